/**
 * Every context key the session sets is read by a `when` or `enablement` clause of package.json
 * (else setting it is dead code), and every `nin.*` key a clause reads is one the session sets
 * (else the clause is always false).
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers';
import './session-fake-vscode';
// Loaded after the hook: esbuild keeps a require() of a bundled module lazy.
const { CONTEXT_KEYS } = require('../../src/extension/session') as typeof import('../../src/extension/session');

interface Manifest {
  contributes: {
    commands: { command: string; enablement?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    views: Record<string, { id: string }[]>;
  };
}

/** The `nin.*` names in a clause, without view ids (`view == nin.architecture`). */
function keysIn(clause: string, viewIds: Set<string>): string[] {
  return [...clause.matchAll(/\bnin\.[\w.]+/g)].map((m) => m[0]).filter((k) => !viewIds.has(k));
}

describe('context keys', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
  const viewIds = new Set(Object.values(pkg.contributes.views).flatMap((vs) => vs.map((v) => v.id)));
  const clauses = [
    ...pkg.contributes.commands.map((c) => c.enablement ?? ''),
    ...Object.values(pkg.contributes.menus).flatMap((items) => items.map((i) => i.when ?? '')),
  ];
  const read = new Set(clauses.flatMap((c) => keysIn(c, viewIds)));

  it('each key the session sets is read by some when/enablement clause', () => {
    const unread = Object.values(CONTEXT_KEYS).filter((k) => !read.has(k));
    assert.deepEqual(unread, [], `set but never read: ${unread.join(', ')}`);
  });

  it('each nin.* key a clause reads is set by the session', () => {
    const set = new Set<string>(Object.values(CONTEXT_KEYS));
    assert.deepEqual(
      [...read].filter((k) => !set.has(k)),
      [],
    );
  });
});
