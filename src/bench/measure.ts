/**
 * Training throughput of one engine on one network: forward + cross-entropy + backward + SGD
 * update on a fixed random batch, timed in steady state after warm-up. Inputs are random
 * because throughput does not depend on pixel values; the data pipeline is not timed here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendPreference } from '../backends/backend';
import { buildNetwork, crossEntropy } from '../model/network';
import { DataParallelStepper } from '../train/parallel/dataParallel';
import { presetSpec, type PresetName } from '../model/spec';

/** What to measure. */
export interface BenchCase {
  readonly preset: PresetName;
  readonly input: number;
  readonly batch: number;
  readonly backend: BackendPreference;
  /** Keep stepping until this many seconds have passed (after at least `minSteps`). */
  readonly seconds: number;
  readonly minSteps: number;
  readonly warmupSteps: number;
  /** Threads for data-parallel steps (1 = this thread only, the plain tfjs step). */
  readonly threads?: number;
}

/** One measured row. */
export interface BenchResult {
  readonly engine: string;
  readonly preset: PresetName;
  readonly input: number;
  readonly batch: number;
  readonly threads: number;
  readonly imagesPerSecond: number;
  /**
   * Images per second of CPU time used by this process (all its threads): on a shared machine
   * this stays near what one idle core would give, where wall-clock throughput follows the load.
   */
  readonly imagesPerCpuSecond: number;
  readonly steps: number;
  readonly backendReason: string;
  /** Tensors alive after the timed steps minus before: 0 when nothing leaks. */
  readonly leakedTensors: number;
}

/** Measure one case in this process (it selects the tfjs backend globally). */
export async function measureTraining(c: BenchCase): Promise<BenchResult> {
  const choice = await selectBackend(c.backend);
  const spec = presetSpec(c.preset, c.input);
  const { model } = buildNetwork(spec);
  const optimizer = tf.train.sgd(0.1);
  const x = tf.randomUniform([c.batch, c.input, c.input, 1], 0, 1, 'float32', 1);
  const y = tf.tensor1d(
    Array.from({ length: c.batch }, (_, i) => i % 10),
    'int32',
  );
  const threads = Math.max(1, c.threads ?? 1);
  const parallel =
    threads > 1 ? await DataParallelStepper.create(model, { spec, backend: choice.name, threads }) : undefined;
  const xs = x.dataSync() as Float32Array;
  const ys = y.dataSync() as Int32Array;
  const step = async (): Promise<void> => {
    if (parallel) {
      await parallel.step(optimizer, xs, ys, c.batch, 1);
      return;
    }
    const loss = optimizer.minimize(() => crossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D), true);
    loss?.dataSync();
    loss?.dispose();
  };
  try {
    for (let i = 0; i < c.warmupSteps; i++) await step();
    const before = tf.memory().numTensors;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let steps = 0;
    while (steps < c.minSteps || performance.now() - t0 < c.seconds * 1000) {
      await step();
      steps++;
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      engine: choice.name,
      preset: c.preset,
      input: c.input,
      batch: c.batch,
      threads,
      imagesPerSecond: (steps * c.batch) / elapsed,
      imagesPerCpuSecond: (steps * c.batch) / cpuSeconds,
      steps,
      backendReason: choice.reason,
      leakedTensors: tf.memory().numTensors - before,
    };
  } finally {
    await parallel?.dispose();
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}
