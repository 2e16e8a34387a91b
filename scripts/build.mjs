// One esbuild script, separate bundles: extension host, training worker, CLI (Node, CJS),
// webviews (browser, IIFE) and tests; plus the AssemblyScript matrix kernel (out/wasm).
// Native and wasm-loading packages stay external so tfjs-node (when present) and our code
// share one @tensorflow/tfjs-core instance.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'out');

/** Files under `dir` (recursive) whose name matches `re`, relative to the repo root. */
function files(dir, re) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => re.test(f))
    .map((f) => join(dir, f));
}

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode', '@tensorflow/*', 'web-tree-sitter', 'playwright-core', 'mocha', 'code-server'],
  logLevel: 'warning',
};

const builds = [
  {
    ...nodeCommon,
    entryPoints: {
      extension: 'src/extension/main.ts',
      worker: 'src/train/worker/main.ts',
      'parallel-replica': 'src/train/parallel/replica.ts',
      cli: 'src/cli/main.ts',
    },
    outdir: out,
  },
  {
    ...nodeCommon,
    entryPoints: [...files('test/unit', /\.test\.ts$/), ...files('test/integration', /\.ts$/), ...files('test/e2e', /\.ts$/)],
    outdir: join(out, 'test'),
    outbase: 'test',
  },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    entryPoints: files('src/webview', /(^|\/)main\.ts$/).map((f) => ({ in: f, out: relative('src/webview', f).replace(/\/main\.ts$/, '') })),
    outdir: join(out, 'webview'),
    loader: { '.css': 'css' },
    logLevel: 'warning',
  },
].filter((b) => (Array.isArray(b.entryPoints) ? b.entryPoints.length : Object.keys(b.entryPoints).length));

function copyAssets() {
  mkdirSync(join(out, 'wasm'), { recursive: true });
  const assets = [
    'node_modules/web-tree-sitter/web-tree-sitter.wasm',
    'node_modules/tree-sitter-python/tree-sitter-python.wasm',
  ];
  for (const a of assets) if (existsSync(join(root, a))) cpSync(join(root, a), join(out, 'wasm', a.split('/').pop()));
}

/** Compile our kernels (AssemblyScript, asm/index.ts) to out/wasm/nin-kernels.wasm. */
async function compileGemm() {
  const { default: asc } = await import('assemblyscript/asc');
  const args = ['asm/index.ts', '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--enable', 'relaxed-simd', '--initialMemory', '1', '-o', join(out, 'wasm', 'nin-kernels.wasm')];
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) throw new Error(`asc failed on asm/index.ts: ${error.message}\n${stderr.toString()}`);
}

if (!watch) rmSync(out, { recursive: true, force: true });
copyAssets();
await compileGemm();
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching...');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
