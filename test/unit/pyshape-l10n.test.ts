import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGES } from '../../src/pyshape/messages';
import { ROOT } from './helpers';

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('pyshape: every user-facing string has a Simplified Chinese translation', () => {
  const zh = JSON.parse(readFileSync(join(ROOT, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
  const dir = join(ROOT, 'src', 'extension', 'language');
  const literals = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      [...readFileSync(join(dir, f), 'utf8').matchAll(/l10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)].map((m) =>
        m[1].replace(/\\'/g, "'"),
      ),
    );

  it('analyser messages and the extension texts are in l10n/bundle.l10n.zh-cn.json with the same placeholders', () => {
    assert.ok(literals.length >= 10, `found ${literals.length} l10n.t literals`);
    for (const en of [...Object.values(MESSAGES), ...literals]) {
      assert.ok(en in zh, `missing zh-cn for "${en}"`);
      assert.deepEqual(placeholders(zh[en]), placeholders(en), en);
    }
  });

  it('package.nls keys exist in both languages', () => {
    const en = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const cn = JSON.parse(readFileSync(join(ROOT, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
    const pkg = readFileSync(join(ROOT, 'package.json'), 'utf8');
    for (const key of [...pkg.matchAll(/"%([\w.]+)%"/g)].map((m) => m[1])) {
      assert.ok(key in en && key in cn, key);
    }
  });
});
