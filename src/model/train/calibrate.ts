/**
 * Measure steady-state training speed for a few seconds on random data (speed does not depend
 * on pixel values), so recipes can show their cost on this machine and backend before they run.
 */
import type { BackendName } from '../backend-names';
import type { CalibrationRequest } from './engineApi';
import { inferShapes } from '../shapes';
import { presetSpec } from '../spec';
import type { BatchTrainerFactory } from './batchTrainer';
import { createParallelTrainer } from '../parallel/parallelTrainer';

/** The measurement. */
export interface Calibration {
  readonly backend: BackendName;
  readonly imagesPerSecond: number;
  /** Forward FLOPs of one image (to scale to other recipes). */
  readonly flops: number;
}

/**
 * Time real training steps for about `seconds`. The timed batch is shrunk (down to 1) when a
 * full batch would take more than ~1.5 s, so the article's 224x224 network on a slow backend
 * still answers in seconds; per-image cost barely depends on the batch size at those sizes.
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
    // Warm-up (kernel compilation, allocation) with a small batch, which also sizes the timed one.
    const w = Math.min(req.batchSize, 2);
    const wb = batch(w);
    let t0 = performance.now();
    await trainer.step(wb.x, wb.y, w);
    const perImage = Math.max(1e-6, (performance.now() - t0) / 1000 / w);
    const n = Math.max(1, Math.min(req.batchSize, Math.floor(1.5 / perImage)));
    const b = batch(n);
    await trainer.step(b.x, b.y, n);
    let steps = 0;
    t0 = performance.now();
    while (steps < 2 || performance.now() - t0 < seconds * 1000) {
      await trainer.step(b.x, b.y, n);
      steps++;
    }
    const elapsed = (performance.now() - t0) / 1000;
    return { backend: trainer.backend, imagesPerSecond: (steps * n) / elapsed, flops: report.flops };
  } finally {
    await trainer.dispose();
  }
}
