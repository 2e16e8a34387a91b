/**
 * Everything the wasm backend needs to train NiN fast: the missing Conv2DBackpropFilter, our
 * nin-kernels.wasm (FMA convolutions, SIMD gradient loops) where it loads, and the overrides
 * of the slow gradient kernels that fall back to XNNPACK and JavaScript where it does not.
 */
import { registerConv2DBackpropFilter } from './conv2d-backprop-filter';
import { installFastTrainingKernels } from './fast-kernels';
import { installGemmKernels } from './gemm-kernels';
import { installJsKernels } from './js-kernels';

/** Register the training kernels on the wasm backend (idempotent; after importing tfjs-backend-wasm). */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  registerConv2DBackpropFilter(backendName);
  installGemmKernels(backendName);
  installFastTrainingKernels(backendName);
  installJsKernels(backendName);
}
