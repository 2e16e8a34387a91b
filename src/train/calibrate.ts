/**
 * Measure steady-state training speed for a few seconds on random data (speed does not depend
 * on pixel values), so recipes can show their cost on this machine and backend before they run.
 */
import type { BackendName } from '../backends/backend-names';
import type { CalibrationRequest } from './engineApi';
import { inferShapes } from '../model/shapes';
import { presetSpec } from '../model/spec';
import type { BatchTrainerFactory } from './batchTrainer';
import { createParallelTrainer } from './parallel/parallelTrainer';

/** The measurement. */
export interface Calibration {
  readonly backend: BackendName;
  readonly imagesPerSecond: number;
  /** Forward FLOPs of one image (to scale to other recipes). */
  readonly flops: number;
}

/** The longest step calibration times; beyond it the timed batch stays smaller than asked. */
export const MAX_STEP_SECONDS = 4;

/**
 * Time real training steps for about `seconds`. The timed batch stays below the request's when a
 * full batch would take more than MAX_STEP_SECONDS, so the article's 224x224 network on a slow
 * backend still answers in seconds (its estimate then errs on the slow side).
 */
export async function calibrate(
  req: CalibrationRequest,
  seconds = 3,
  factory: BatchTrainerFactory = createParallelTrainer,
): Promise<Calibration> {
  const spec = presetSpec(req.preset, req.input);
  const report = inferShapes(spec);
  if (report.error) throw new Error(`${req.preset} at ${req.input}: ${report.error.name}: ${report.error.message}`);
  const trainer = await factory({
    spec,
    optimizer: 'sgd',
    lr: 0.01,
    backend: req.backend,
    threads: req.threads,
    seed: 1,
  });
  try {
    const px = req.input * req.input * spec.input[0];
    const batch = (n: number) => {
      const x = new Float32Array(n * px);
      for (let i = 0; i < x.length; i++) x[i] = Math.random();
      return { x, y: Int32Array.from({ length: n }, (_, i) => i % 10) };
    };
    // The batch grows 2 -> 8 -> 32 -> 128 (up to the request's) while a step stays affordable:
    // per-image cost falls with the batch, so timing small batches overstated a run's time
    // (1.7x for seed@96 here when the timed batch came from the cold first step).
    let n = Math.min(req.batchSize, 2);
    let b = batch(n);
    await trainer.step(b.x, b.y, n, 1); // compiles kernels and allocates: not timed
    for (;;) {
      const t = performance.now();
      await trainer.step(b.x, b.y, n, 1);
      const perImage = Math.max(1e-6, (performance.now() - t) / 1000 / n);
      const next = Math.min(req.batchSize, n * 4);
      if (next === n || perImage * next > MAX_STEP_SECONDS) break;
      n = next;
      b = batch(n);
    }
    await trainer.step(b.x, b.y, n, 1); // first step at the final size sets it up: not timed
    let steps = 0;
    const t0 = performance.now();
    while (steps < 2 || performance.now() - t0 < seconds * 1000) {
      await trainer.step(b.x, b.y, n, 1);
      steps++;
    }
    const elapsed = (performance.now() - t0) / 1000;
    return { backend: trainer.backend, imagesPerSecond: (steps * n) / elapsed, flops: report.flops };
  } finally {
    await trainer.dispose();
  }
}
