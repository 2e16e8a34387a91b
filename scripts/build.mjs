// One esbuild script, separate bundles: extension host, training worker, CLI (Node, CJS),
// webviews (browser, IIFE) and tests; plus the AssemblyScript matrix kernel (out/wasm).
//
// The shipped bundles (out/extension.js, worker.js, shape-worker.js, parallel-replica.js, cli.js) contain
// TensorFlow.js (tfjs-core, -layers, -backend-cpu, -backend-wasm) and web-tree-sitter, so the
// VSIX carries no node_modules: only the .wasm binaries those load, copied into out/wasm.
//
// @tensorflow/tfjs-node stays external and optional: it is a native addon per platform that
// cannot be bundled, and when it is present (a checkout where it installed, or a folder on
// NODE_PATH) it loads its own copy of tfjs-core from node_modules. The two copies still share
// ONE engine: tfjs-core keeps its engine, kernel and gradient registries and the Tensor class
// on globalThis (`_tfengine`, getGlobal('kernelRegistry'), ...) precisely so that duplicated
// copies cooperate, and ours loads first, so tfjs-node's `registerBackend('tensorflow')` lands
// in the engine our code trains with. src/backends/backend.ts loads it with tfjs's PROD flag
// set, which silences the "already registered" warnings of its second cpu backend. The
// alternative (tfjs-core external so both resolve the same file) would ship tfjs-core and its
// dependencies in node_modules and still not share a module with a tfjs-node found elsewhere
// (NODE_PATH, a parent folder): the global registries are what tfjs-node relies on either way.
// Tests (out/test) keep TensorFlow.js external: they run the same sources on node_modules'
// copies, and build much faster; tests that start out/cli.js or the worker run the bundles.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const flag = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const root = new URL('..', import.meta.url).pathname;
// --out=DIR and --only=NAME (host, tests, webview) let a test build one bundle elsewhere.
const out = flag('out') ?? join(root, 'out');
const only = flag('only');

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
  external: ['vscode', '@tensorflow/tfjs-node'],
  // tfjs's package.json "sideEffects" lists its ESM files, not the .node.js (CJS) builds esbuild
  // takes for Node, so without this a bare `import '@tensorflow/tfjs-backend-cpu'` is dropped.
  ignoreAnnotations: true,
  logLevel: 'warning',
};

const builds = [
  {
    name: 'host',
    ...nodeCommon,
    entryPoints: {
      extension: 'src/extension/main.ts',
      worker: 'src/train/worker/main.ts',
      'shape-worker': 'src/pyshape/worker.ts',
      'parallel-replica': 'src/train/parallel/replica.ts',
      cli: 'src/cli/main.ts',
    },
    outdir: out,
  },
  {
    name: 'tests',
    ...nodeCommon,
    entryPoints: [
      ...files('test/unit', /\.test\.ts$/),
      ...files('test/integration', /\.ts$/),
      ...files('test/e2e', /\.ts$/),
    ],
    external: ['vscode', '@tensorflow/*', 'web-tree-sitter', 'playwright-core', 'mocha', 'code-server'],
    outdir: join(out, 'test'),
    outbase: 'test',
  },
  {
    name: 'webview',
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    entryPoints: files('src/webview', /(^|\/)main\.ts$/).map((f) => ({
      in: f,
      out: relative('src/webview', f).replace(/\/main\.ts$/, ''),
    })),
    outdir: join(out, 'webview'),
    loader: { '.css': 'css' },
    // Test hooks (globalThis.__ninPanel) exist in development builds only; minify drops the code.
    define: { NIN_TEST_HOOKS: String(!production) },
    logLevel: 'warning',
  },
]
  .filter(
    (b) =>
      (!only || b.name === only) &&
      (Array.isArray(b.entryPoints) ? b.entryPoints.length : Object.keys(b.entryPoints).length),
  )
  .map((b) => Object.fromEntries(Object.entries(b).filter(([k]) => k !== 'name')));

/**
 * The .wasm binaries the bundles load at run time, copied to out/wasm (src/backends/wasmAssets.ts
 * finds them there). tfjs-backend-wasm picks the SIMD or the plain build; its threaded build is
 * never used in Node (tfjs reports no thread support there), so it is not shipped.
 */
const WASM_ASSETS = [
  'node_modules/web-tree-sitter/web-tree-sitter.wasm',
  'node_modules/tree-sitter-python/tree-sitter-python.wasm',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
];

function copyAssets() {
  mkdirSync(join(out, 'wasm'), { recursive: true });
  for (const a of WASM_ASSETS) {
    if (!existsSync(join(root, a))) throw new Error(`${a} is missing (npm ci?): the bundles load it at run time`);
    cpSync(join(root, a), join(out, 'wasm', a.split('/').pop()));
  }
}

/** Compile our kernels (AssemblyScript, asm/index.ts) to out/wasm/nin-kernels.wasm. */
async function compileGemm() {
  const { default: asc } = await import('assemblyscript/asc');
  const args = [
    'asm/index.ts',
    '-O3',
    '--runtime',
    'stub',
    '--noAssert',
    '--enable',
    'simd',
    '--enable',
    'relaxed-simd',
    '--initialMemory',
    '1',
    '-o',
    join(out, 'wasm', 'nin-kernels.wasm'),
  ];
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) throw new Error(`asc failed on asm/index.ts: ${error.message}\n${stderr.toString()}`);
}

if (!watch && !only) rmSync(out, { recursive: true, force: true });
if (!only) {
  copyAssets();
  await compileGemm();
}
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching...');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
