/**
 * The architecture as the folders show it: each folder under src/ is a subsystem, imports
 * between them go one way (no cycle), and only src/extension may import vscode.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '../../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** The top-level folder under src/ that holds `file`. */
const folderOf = (file: string): string => relative(SRC, file).split('/')[0];

/** Every relative import of every source file, as [from folder, to folder, file, specifier]. */
function imports(): Array<[string, string, string, string]> {
  const out: Array<[string, string, string, string]> = [];
  const spec = /(?:from|import)\s*\(?\s*['"](\.\.?\/[^'"]+)['"]/g;
  for (const file of sources(SRC)) {
    for (const m of readFileSync(file, 'utf8').matchAll(spec)) {
      const target = resolve(dirname(file), m[1]);
      out.push([folderOf(file), folderOf(target), relative(SRC, file), m[1]]);
    }
  }
  return out;
}

/** A cycle in the folder graph, as a path, or undefined. */
function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const m of edges.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of edges.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

describe('source layout', () => {
  it('no import cycle between the folders under src/', () => {
    const edges = new Map<string, Set<string>>();
    for (const [from, to] of imports()) {
      if (from === to) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
    assert.ok(edges.size >= 8, `folder graph: ${[...edges.keys()].join(', ')}`);
    const cycle = findCycle(edges);
    assert.equal(cycle, undefined, `folder cycle: ${cycle?.join(' -> ')}`);
  });

  it('the cycle check finds a cycle when there is one', () => {
    const edges = new Map([
      ['train', new Set(['parallel'])],
      ['parallel', new Set(['model', 'train'])],
    ]);
    assert.deepEqual(findCycle(edges), ['train', 'parallel', 'train']);
  });

  it('only src/extension imports vscode; src/webview imports no Node module', () => {
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      const folder = folderOf(file);
      if (folder !== 'extension') assert.doesNotMatch(text, /from\s+['"]vscode['"]/, relative(SRC, file));
      if (folder === 'webview') assert.doesNotMatch(text, /from\s+['"]node:/, relative(SRC, file));
    }
  });

  it('the webview reaches only browser-safe folders (protocol, model, its own) and the shared resize', () => {
    const allowed = new Set(['webview', 'protocol', 'model']);
    // Classify Image resizes with the training batches' own function (one resize, no drift);
    // the rest of src/data reads files with node:fs.
    const allowedFiles = new Set(['data/resize.ts']);
    const bad = imports().filter(
      ([from, to, file, spec]) =>
        from === 'webview' &&
        !allowed.has(to) &&
        !allowedFiles.has(relative(SRC, resolve(SRC, dirname(file), spec)) + '.ts'),
    );
    assert.deepEqual(bad, []);
  });
});
