/**
 * The part of the WebAssembly JS API that nin-kernels.ts uses. Node has it as a global, but
 * TypeScript declares it only in the DOM library, which the Node side's tsconfig leaves out on
 * purpose (so that browser code cannot creep into the host).
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: BufferSource);
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Instance {
    constructor(module: Module, imports: Record<string, unknown>);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: BufferSource): boolean;
}
type BufferSource = ArrayBufferView | ArrayBuffer;
