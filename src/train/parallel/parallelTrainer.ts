/**
 * The BatchTrainer that uses several cores on backends that run each kernel on one core (wasm,
 * cpu): the in-thread TfjsTrainer does everything (model, optimizer, state, predictions,
 * export) except the step, whose gradients come from a DataParallelStepper over worker
 * threads. Same initial weights, same optimizer, same checkpoints: only where gradients are
 * computed changes. With one thread, or on native TensorFlow (which threads its own kernels),
 * it is the TfjsTrainer itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BatchTrainer, Predictions, StepResult, TrainerOptions, TrainerState } from '../batchTrainer';
import { TfjsTrainer } from '../tfjsTrainer';
import { DataParallelStepper, resolveThreads } from './dataParallel';

/** The TfjsTrainer fields the step needs (TypeScript-private there; checked at creation). */
interface TrainerInternals {
  readonly model: tfl.LayersModel;
  readonly optimizer: tf.Optimizer;
}

function internals(t: TfjsTrainer): TrainerInternals {
  const i = t as unknown as Partial<TrainerInternals>;
  if (!i.model || !i.optimizer)
    throw new Error('TfjsTrainer no longer exposes model/optimizer: the parallel trainer needs them');
  return i as TrainerInternals;
}

/** Data-parallel training over `threads` threads, this one included. */
export class ParallelTrainer implements BatchTrainer {
  private constructor(
    private readonly inner: TfjsTrainer,
    /** Undefined when the replicas could not start: then every step runs in this thread. */
    private readonly stepper: DataParallelStepper | undefined,
    readonly backendReason: string,
  ) {}

  get backend(): BatchTrainer['backend'] {
    return this.inner.backend;
  }

  /** Threads in use, this one included. */
  get threads(): number {
    return this.stepper?.threads ?? 1;
  }

  /**
   * A trainer for `options`: data-parallel when more than one thread is asked for (0 = all
   * cores) and the backend runs one kernel on one core; otherwise the plain TfjsTrainer.
   */
  static async create(options: TrainerOptions): Promise<BatchTrainer> {
    const inner = await TfjsTrainer.create(options);
    const threads = resolveThreads(options.threads);
    if (threads <= 1 || inner.backend === 'tensorflow') return inner;
    try {
      const stepper = await DataParallelStepper.create(internals(inner).model, {
        spec: options.spec,
        backend: inner.backend,
        threads,
      });
      return new ParallelTrainer(
        inner,
        stepper,
        `${inner.backendReason}; data-parallel over ${stepper.threads} threads`,
      );
    } catch (e) {
      // Threads are a speed-up, never a requirement: say why and train in this thread.
      const why = e instanceof Error ? e.message : String(e);
      return new ParallelTrainer(
        inner,
        undefined,
        `${inner.backendReason}; one thread (worker threads failed: ${why})`,
      );
    }
  }

  async step(x: Float32Array, labels: Int32Array, n: number, seed: number): Promise<StepResult> {
    if (!this.stepper) return this.inner.step(x, labels, n, seed);
    const { optimizer } = internals(this.inner); // setState may have replaced it
    return this.stepper.step(optimizer, x, labels, n, seed);
  }

  predict(x: Float32Array, n: number): Promise<Predictions> {
    return this.inner.predict(x, n);
  }

  getState(): Promise<TrainerState> {
    return this.inner.getState();
  }

  setState(state: TrainerState): Promise<void> {
    return this.inner.setState(state);
  }

  saveModel(dir: string): Promise<void> {
    return this.inner.saveModel(dir);
  }

  liveTensors(): number {
    return tf.memory().numTensors + (this.stepper?.replicaTensors() ?? 0);
  }

  async dispose(): Promise<void> {
    await this.stepper?.dispose();
    await this.inner.dispose();
  }
}

/** The factory for the engine: data-parallel where it helps, the in-thread trainer elsewhere. */
export const createParallelTrainer = (options: TrainerOptions): Promise<BatchTrainer> =>
  ParallelTrainer.create(options);
