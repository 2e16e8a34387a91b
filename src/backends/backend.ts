/**
 * Picks the TensorFlow.js backend and says why. `auto` takes the fastest that loads, in the
 * order measured here: the native tfjs-node (optional dependency; it cannot install
 * everywhere), then wasm with our training kernels (XNNPACK; about 100x the cpu backend on
 * NiN training, see `nin bench`), then the pure-JS cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerWasmTrainingKernels } from './wasm';
import { loadNinKernels } from './wasm/nin-kernels';
import { findWasmDir } from './wasmAssets';

import type { BackendName, BackendPreference } from './backend-names';
export { BACKEND_PREFERENCES, isBackendPreference, type BackendName, type BackendPreference } from './backend-names';

/** The backend in use and a one-line reason a user can read. */
export interface BackendChoice {
  readonly name: BackendName;
  readonly reason: string;
}

/** Kernels a backward pass of NiN needs beyond the forward ones. */
export const TRAINING_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'AvgPoolGrad'] as const;

/** tfjs-backend-wasm's SIMD build; its plain build (tfjs-backend-wasm.wasm) lies beside it. */
const WASM_BINARY = 'tfjs-backend-wasm-simd.wasm';

function firstLine(e: unknown): string {
  // tfjs-node's message goes on to a long install hint; its first sentence says it all.
  return String(e instanceof Error ? e.message : e)
    .split(/\n|\. /)[0]
    .replace(/ at path: \S+/, '');
}

/**
 * Load the optional native addon (lazily, so its absence costs nothing). It brings its own
 * tfjs-core and cpu backend from node_modules, while ours are bundled (scripts/build.mjs): the
 * copies share one engine and kernel registry through globalThis, so its 'tensorflow' backend
 * registers where we train. PROD silences the warnings of its second registration of every cpu
 * kernel and gradient (the same code, version for version).
 */
function loadNative(): void {
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    require('@tensorflow/tfjs-node');
  } finally {
    tf.env().set('PROD', prod);
  }
}

async function tryNative(): Promise<string | undefined> {
  try {
    loadNative();
    return (await tf.setBackend('tensorflow')) ? undefined : 'tfjs-node loaded but its backend did not initialise';
  } catch (e) {
    return `@tensorflow/tfjs-node is not available (${firstLine(e)})`;
  }
}

async function tryWasm(): Promise<string | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Bundled, the backend would look for its .wasm beside the bundle; the build puts them in out/wasm.
    wasm.setWasmPaths(`${findWasmDir(WASM_BINARY)}/`);
    registerWasmTrainingKernels('wasm');
    if (!(await tf.setBackend('wasm'))) return 'the wasm backend did not initialise';
  } catch (e) {
    return `the wasm backend failed to load (${firstLine(e)})`;
  }
  const missing = TRAINING_KERNELS.filter((k) => !tf.getKernel(k, 'wasm'));
  return missing.length ? `the wasm backend lacks training kernels: ${missing.join(', ')}` : undefined;
}

/**
 * How the loaded wasm backend runs, for the reason line: SIMD makes XNNPACK about 3x faster,
 * and our fused multiply-add kernel (relaxed SIMD) about 1.3-1.9x more on NiN's convolutions.
 */
async function wasmFlavour(): Promise<string> {
  const simd = await tf
    .env()
    .getAsync('WASM_HAS_SIMD_SUPPORT')
    .catch(() => false);
  const base = simd
    ? 'WebAssembly with XNNPACK SIMD kernels'
    : 'WebAssembly with XNNPACK, no SIMD in this runtime (slower)';
  const own = loadNinKernels();
  return own.kernel
    ? `${base} and fused multiply-add convolutions (relaxed SIMD)`
    : `${base}; convolutions without fused multiply-add: ${own.reason}`;
}

async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
}

/** Select and initialise a backend; throws only when an explicitly requested one fails. */
export async function selectBackend(preference: BackendPreference): Promise<BackendChoice> {
  if (preference === 'pytorch')
    throw new Error('backend "pytorch" is the PyTorch engine (a Python process), not a TensorFlow.js backend');
  if (preference === 'cpu') {
    await useCpu();
    return { name: 'cpu', reason: 'requested (pure JavaScript, slow)' };
  }
  if (preference === 'tensorflow' || preference === 'wasm') {
    const why = preference === 'tensorflow' ? await tryNative() : await tryWasm();
    if (why) throw new Error(`backend "${preference}" was requested but ${why}`);
    return {
      name: preference,
      reason: preference === 'wasm' ? `requested (${await wasmFlavour()})` : 'requested (native TensorFlow)',
    };
  }
  const nativeWhy = await tryNative();
  if (!nativeWhy) return { name: 'tensorflow', reason: 'native TensorFlow (tfjs-node) loaded: the fastest backend' };
  const wasmWhy = await tryWasm();
  if (!wasmWhy)
    return {
      name: 'wasm',
      reason: `${nativeWhy}; using ${await wasmFlavour()}, the fastest backend that loads here (the pure-JavaScript cpu backend is over 100x slower)`,
    };
  await useCpu();
  return { name: 'cpu', reason: `${nativeWhy}; ${wasmWhy}; using the pure-JavaScript cpu backend` };
}
