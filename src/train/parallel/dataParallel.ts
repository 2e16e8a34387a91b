/**
 * Data-parallel training steps over worker_threads, for backends that run one kernel on one
 * core (wasm without its threaded build, cpu). The batch is cut into one slice per thread;
 * this thread computes the first slice while replicas compute the others at the same
 * weights; the gradients are averaged weighted by slice size and applied once, by this
 * thread's optimizer. Mean loss over the batch is the size-weighted mean of the slices' mean
 * losses, so the combined gradient is the full batch's gradient: the step equals a
 * single-thread step up to float summation order (and dropout draws, which are random anyway).
 */
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BackendName } from '../../backends/backend-names';
import { mixSeed } from '../../data/batches';
import type { NinSpec } from '../../model/spec';
import { flatSize, flatWeights, sliceGradients } from './gradients';
import { parseFromReplica, type FromReplica, type ReplicaInit, type ToReplica } from './messages';

/** Threads to use for a setting (0 = every core this process may use). */
export function resolveThreads(setting: number): number {
  if (setting > 0) return Math.floor(setting);
  return typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
}

/** Cut n into `parts` near-equal sizes (earlier slices take the remainder), dropping empty ones. */
export function splitBatch(n: number, parts: number): number[] {
  const p = Math.max(1, Math.min(parts, n));
  return Array.from({ length: p }, (_, i) => Math.floor(n / p) + (i < n % p ? 1 : 0));
}

/** Where the bundled replica entry is: beside this bundle, or up to two folders above (tests). */
export function replicaScriptPath(): string {
  for (const dir of [__dirname, join(__dirname, '..'), join(__dirname, '..', '..')]) {
    const p = join(dir, 'parallel-replica.js');
    if (existsSync(p)) return p;
  }
  throw new Error(`parallel-replica.js not found beside ${__dirname} (run the build)`);
}

interface Pending {
  resolve(m: Extract<FromReplica, { type: 'grads' }>): void;
  reject(e: Error): void;
}

/** One replica thread and its request in flight. */
class Replica {
  private pending: Pending | undefined;
  private failed: Error | undefined;
  liveTensors = 0;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (raw: unknown) => {
      let m: FromReplica;
      try {
        m = parseFromReplica(raw);
      } catch (e) {
        return this.fail(e as Error);
      }
      if (m.type === 'grads') {
        this.liveTensors = m.liveTensors;
        const p = this.pending;
        this.pending = undefined;
        p?.resolve(m);
      } else if (m.type === 'error') this.fail(new Error(`replica: ${m.message}`));
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`replica exited with code ${code}`)));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  /** Start a replica and wait until its network is built. */
  static start(script: string, init: ReplicaInit): Promise<Replica> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(script, { workerData: init });
      const onFirst = (raw: unknown): void => {
        worker.off('error', reject);
        try {
          const m = parseFromReplica(raw);
          if (m.type === 'ready') resolve(new Replica(worker));
          else throw new Error(m.type === 'error' ? `replica failed to start: ${m.message}` : `unexpected ${m.type}`);
        } catch (e) {
          void worker.terminate();
          reject(e as Error);
        }
      };
      worker.once('message', onFirst);
      worker.once('error', reject);
    });
  }

  request(
    m: Extract<ToReplica, { type: 'step' }>,
    transfer: ArrayBuffer[],
  ): Promise<Extract<FromReplica, { type: 'grads' }>> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.pending) return Promise.reject(new Error('replica is busy'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(m, transfer);
    });
  }

  async close(): Promise<void> {
    this.failed ??= new Error('replica closed');
    await this.worker.terminate();
  }
}

/** What a data-parallel step needs from the training thread. */
export interface DataParallelOptions {
  readonly spec: NinSpec;
  /** The backend this thread runs; replicas run the same one. */
  readonly backend: BackendName;
  /** Total threads including this one (>= 1; resolve 0 with `resolveThreads` first). */
  readonly threads: number;
  /** Path of parallel-replica.js (default: found beside the bundle). */
  readonly replicaScript?: string;
}

/** Steps one model with gradients computed over `threads` threads. */
export class DataParallelStepper {
  private nextId = 1;

  private constructor(
    private readonly model: tfl.LayersModel,
    private readonly vars: tf.Variable[],
    private readonly replicas: Replica[],
  ) {}

  /** Start `threads - 1` replicas (none for one thread) for `model`. */
  static async create(model: tfl.LayersModel, options: DataParallelOptions): Promise<DataParallelStepper> {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const extra = Math.max(0, Math.floor(options.threads) - 1);
    const script = extra ? (options.replicaScript ?? replicaScriptPath()) : '';
    const started = await Promise.allSettled(
      Array.from({ length: extra }, () => Replica.start(script, { spec: options.spec, backend: options.backend })),
    );
    const replicas = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await Promise.all(replicas.map((r) => r.close()));
      throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
    }
    return new DataParallelStepper(model, vars, replicas);
  }

  /** Threads in use, this one included. */
  get threads(): number {
    return this.replicas.length + 1;
  }

  /** Tensors held by replicas at their last answer (they should stay constant). */
  replicaTensors(): number {
    return this.replicas.reduce((s, r) => s + r.liveTensors, 0);
  }

  /**
   * One training step on `n` images: gradients over all threads, then `optimizer` applies
   * their size-weighted mean to this thread's variables. Returns the batch's mean loss and
   * correct count (before the update).
   */
  async step(
    optimizer: tf.Optimizer,
    x: Float32Array,
    labels: Int32Array,
    n: number,
    seed: number,
  ): Promise<{ loss: number; correct: number }> {
    const sizes = splitBatch(n, this.threads);
    const pixels = x.length / n;
    const weights = sizes.length > 1 ? flatWeights(this.vars) : undefined;
    const answers: Array<Promise<{ grads: Float32Array; loss: number; correct: number }>> = [];
    let start = sizes[0];
    for (let i = 1; i < sizes.length; i++) {
      const xs = x.slice(start * pixels, (start + sizes[i]) * pixels);
      const ls = labels.slice(start, start + sizes[i]);
      answers.push(
        this.replicas[i - 1].request(
          {
            type: 'step',
            id: this.nextId++,
            weights: weights!,
            x: xs,
            labels: ls,
            n: sizes[i],
            seed: mixSeed(seed, i),
          },
          [xs.buffer, ls.buffer],
        ),
      );
      start += sizes[i];
    }
    // This thread's slice runs while the replicas run theirs.
    const own = sliceGradients(
      this.model,
      this.vars,
      x.subarray(0, sizes[0] * pixels),
      labels.subarray(0, sizes[0]),
      sizes[0],
      mixSeed(seed, 0),
    );
    const parts = [own, ...(await Promise.all(answers))];
    const total = new Float32Array(flatSize(this.vars));
    let loss = 0;
    let correct = 0;
    parts.forEach((p, i) => {
      const wgt = sizes[i] / n;
      for (let j = 0; j < total.length; j++) total[j] += wgt * p.grads[j];
      loss += wgt * p.loss;
      correct += p.correct;
    });
    tf.tidy(() => {
      const named: tf.NamedTensorMap = {};
      let at = 0;
      for (const v of this.vars) {
        named[v.name] = tf.tensor(total.subarray(at, at + v.size), v.shape, 'float32');
        at += v.size;
      }
      optimizer.applyGradients(named);
    });
    return { loss, correct };
  }

  /** Stop the replicas. */
  async dispose(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.close()));
  }
}
