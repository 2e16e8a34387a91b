// Entry of nin-kernels.wasm (AssemblyScript; compiled by scripts/build.mjs, loaded by
// src/model/wasm/nin-kernels.ts): the matrix product and the gradient loops.
export * from './gemm';
export * from './loops';
