/**
 * Everything the wasm backend needs to train NiN fast: the missing Conv2DBackpropFilter and
 * the XNNPACK-backed overrides of the slow gradient kernels.
 */
import { registerConv2DBackpropFilter } from './conv2d-backprop-filter';
import { installFastTrainingKernels } from './fast-kernels';
import { installNinKernelss } from './gemm-kernels';
import { installJsKernels } from './js-kernels';

/** Register the training kernels on the wasm backend (idempotent; after importing tfjs-backend-wasm). */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  registerConv2DBackpropFilter(backendName);
  installNinKernelss(backendName);
  installFastTrainingKernels(backendName);
  installJsKernels(backendName);
}
