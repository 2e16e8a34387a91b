/**
 * Checks made before a run allocates: how many threads the machine can use, and whether a
 * training step at this batch size and input size fits in what the engine can address (a
 * WebAssembly instance has 4 GB) and in the machine's memory. Failing late costs more than a
 * wrong answer: `--threads 999` filled 21.7 GB of a 23 GB machine, `--batch-size 4096` ended
 * in "memory access out of bounds" and a stack trace after a minute.
 */
import { availableParallelism, freemem, totalmem } from 'node:os';
import type { BackendName } from '../backends/backend-names';
import type { ShapeReport } from '../model/shapes';

/** What a WebAssembly instance can address: 65536 pages of 64 KiB (tfjs-backend-wasm's maximum). */
export const WASM_ADDRESSABLE = 4 * 1024 ** 3;

/** Share of the machine's memory a run may plan to use (the OS, the editor and tfjs's pools need the rest). */
const MACHINE_SHARE = 0.8;

/** Threads a request gets: at most the cores this process may use; `note` says when it was capped. */
export function capThreads(asked: number, cores = availableParallelism()): { threads: number; note?: string } {
  if (asked <= cores) return { threads: asked };
  return {
    threads: cores,
    note: `${asked} threads asked for, but this machine has ${cores} cores: using ${cores}`,
  };
}

/**
 * Bytes one image costs in a training step (or, with `training` false, in inference): for
 * every convolution its output before and after ReLU (and in training the gradient of each,
 * which backprop keeps), the patches a kxk convolution unfolds, the pools' outputs (and
 * gradients); the input image itself. An estimate from the shapes alone.
 */
export function bytesPerImage(report: ShapeReport, training = true): number {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const kept = training ? 2 : 1;
  let floats = size(report.spec.input);
  for (const l of report.layers) {
    for (const c of l.convs ?? []) {
      const [, h, w] = c.output;
      floats += 2 * kept * size(c.output);
      if (c.kernel > 1) floats += h * w * c.kernel * c.kernel * c.inChannels;
    }
    if (!l.convs) floats += kept * size(l.output);
  }
  return floats * 4;
}

/** What limits a step's memory, and how much there is. */
export interface MemoryLimits {
  /** Bytes one engine instance can address (WebAssembly: 4 GB; native: unlimited). */
  readonly perInstance: number;
  /** Bytes the machine can give the run. */
  readonly machine: number;
}

/** The limits for a backend on this machine. */
export function memoryLimits(backend: BackendName): MemoryLimits {
  const machine = Math.min(totalmem() * MACHINE_SHARE, freemem());
  return { perInstance: backend === 'wasm' ? WASM_ADDRESSABLE : Infinity, machine };
}

const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;

/**
 * Throws, with the largest batch that fits, when a training step of `batchSize` images split
 * over `threads` engine instances needs more memory than one instance can address or the
 * machine has. The message names the numbers so that a user can pick another batch or input.
 */
export function checkBatchMemory(report: ShapeReport, batchSize: number, threads: number, limits: MemoryLimits): void {
  const input = report.spec.input[1];
  const perImage = bytesPerImage(report);
  // Evaluation runs whole batches in this thread's instance, forward only.
  const perImageEval = bytesPerImage(report, false);
  const instances = Math.max(1, Math.min(threads, batchSize));
  const slice = Math.ceil(batchSize / instances);
  const fitsInstance = Math.floor(limits.perInstance / perImage);
  const fitsEval = Math.floor(limits.perInstance / perImageEval);
  const fitsMachine = Math.floor(limits.machine / perImage);
  const largest = Math.min(fitsInstance * instances, fitsEval, fitsMachine);
  if (batchSize <= largest) return;
  const where =
    slice > fitsInstance
      ? `${gb(slice * perImage)} in each of ${instances} engine instance(s) (${slice} images each), more than the ${gb(limits.perInstance)} one WebAssembly instance can address`
      : batchSize > fitsEval
        ? `${gb(batchSize * perImageEval)} to evaluate a batch in one engine instance, more than the ${gb(limits.perInstance)} WebAssembly can address`
        : `${gb(batchSize * perImage)}, more than the ${gb(limits.machine)} this machine has free`;
  const advice =
    largest >= 1
      ? `the largest batch that fits is ${largest} (--batch-size ${largest}, or the nin.batchSize setting)`
      : `not even one image fits at ${input}x${input}: choose a smaller input size (--input, or nin.inputSize)`;
  throw new Error(`a training step of batch ${batchSize} at ${input}x${input} needs about ${where}; ${advice}`);
}
