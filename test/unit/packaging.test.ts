/**
 * What the VSIX ships: the listing vsce would package (under 100 files, the .wasm binaries,
 * nothing from node_modules), bundles that need no package at run time but vscode and the
 * optional tfjs-node, and no test hook in the production webview bundle. The real .vsix is
 * checked end to end by scripts/check-package.mjs (CI), which builds and unzips it.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers';

/** The .wasm files the bundles load at run time. */
const WASM = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'nin-kernels.wasm',
  'web-tree-sitter.wasm',
  'tree-sitter-python.wasm',
];
/**
 * What a shipped bundle may require: Node's own modules, VS Code's API, the optional native
 * addon, and `encoding`, which node-fetch (tfjs-core's) requires inside a try as optional.
 */
const ALLOWED = new Set([...builtinModules, 'vscode', '@tensorflow/tfjs-node', 'encoding']);

/** Bare package names a bundle requires (relative requires are bundled away). */
export function requiredPackages(code: string): string[] {
  const names = [...code.matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)].map((m) =>
    m[1].replace(/^node:/, ''),
  );
  return [...new Set(names)].sort();
}

describe('packaging', function () {
  this.timeout(120_000);

  it('vsce lists under 100 files: the bundles and .wasm binaries, nothing from node_modules or tests', () => {
    // The same dependency mode as `npm run package`.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const mode = pkg.scripts.package.includes('--no-dependencies') ? ['--no-dependencies'] : [];
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', ...mode], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const files = r.stdout.split('\n').filter(Boolean);
    assert.ok(files.length < 100, `${files.length} files`);
    for (const w of WASM)
      assert.ok(files.includes(`out/wasm/${w}`), `out/wasm/${w} is not packaged: ${files.join(', ')}`);
    for (const b of ['extension', 'worker', 'shape-worker', 'parallel-replica', 'cli'])
      assert.ok(files.includes(`out/${b}.js`), `out/${b}.js`);
    const stray = files.filter((f) => /^(node_modules|src|test|out\/test|\.cache)(\/|$)|\.(ts|map)$/.test(f));
    assert.deepEqual(stray, []);
  });

  it('the shipped bundles require no package but vscode and the optional tfjs-node', () => {
    for (const b of ['extension', 'worker', 'shape-worker', 'parallel-replica', 'cli']) {
      const needs = requiredPackages(readFileSync(join(ROOT, 'out', `${b}.js`), 'utf8'));
      assert.deepEqual(
        needs.filter((n) => !ALLOWED.has(n)),
        [],
        `out/${b}.js requires ${needs.join(', ')}`,
      );
    }
  });

  it('the require scan sees a package left external', () => {
    assert.deepEqual(
      requiredPackages(`const a = require("@tensorflow/tfjs-core"); require('node:fs'); require("./x")`),
      ['@tensorflow/tfjs-core', 'fs'],
    );
  });

  it('a production build of the webview has no test hook (__ninPanel); the development build has it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nin-prod-'));
    try {
      const r = spawnSync(
        process.execPath,
        [join(ROOT, 'scripts', 'build.mjs'), '--production', '--only=webview', `--out=${dir}`],
        { cwd: ROOT, encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      const prod = readFileSync(join(dir, 'webview', 'panel.js'), 'utf8');
      assert.ok(prod.length > 10_000, 'the production panel bundle is missing or empty');
      assert.ok(!prod.includes('__ninPanel'), 'the production panel bundle contains the __ninPanel test hook');
      assert.ok(
        readFileSync(join(ROOT, 'out', 'webview', 'panel.js'), 'utf8').includes('__ninPanel'),
        'the development build lacks __ninPanel',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
