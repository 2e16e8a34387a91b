import * as assert from 'node:assert/strict';
import type { BatchTrainer, BatchTrainerFactory } from '../../src/train/batchTrainer';
import { calibrate, MAX_STEP_SECONDS } from '../../src/train/calibrate';

/**
 * The batch sizing of calibration, isolated: a stand-in trainer whose step busy-waits a fixed
 * cost per image (the real engine's calibration runs in worker.test.ts).
 */
function stepCosting(secondsPerImage: number, sizes: number[]): BatchTrainerFactory {
  const trainer: BatchTrainer = {
    backend: 'cpu',
    backendReason: 'stand-in for the sizing test',
    step: async (_x, _y, n) => {
      sizes.push(n);
      const t = performance.now();
      while (performance.now() - t < secondsPerImage * n * 1000);
      return { loss: 2, correct: 0 };
    },
    predict: async () => ({ probabilities: new Float32Array(0), predicted: new Int32Array(0) }),
    getState: async () => ({ weights: [], optimizer: [] }),
    setState: async () => {},
    saveModel: async () => {},
    liveTensors: () => 0,
    dispose: async () => {},
  };
  return async () => trainer;
}

describe('calibration batch sizing', () => {
  it('times the requested batch when its step is affordable', async () => {
    const sizes: number[] = [];
    const c = await calibrate(
      { preset: 'compact', input: 28, batchSize: 128, backend: 'cpu', threads: 1 },
      0.2,
      stepCosting(0.0002, sizes),
    );
    assert.deepEqual(sizes.slice(0, 5), [2, 2, 8, 32, 128]);
    assert.ok(
      sizes.slice(4).every((n) => n === 128),
      `timed sizes ${sizes.slice(4)}`,
    );
    assert.ok(Math.abs(c.imagesPerSecond * 0.0002 - 1) < 0.25, `${c.imagesPerSecond} images/s`);
  });

  it('stops growing before a step would take longer than MAX_STEP_SECONDS', async () => {
    const sizes: number[] = [];
    const perImage = (MAX_STEP_SECONDS / 128) * 1.15; // a 128-image step would overrun by 15%
    const c = await calibrate(
      { preset: 'compact', input: 28, batchSize: 128, backend: 'cpu', threads: 1 },
      0.1,
      stepCosting(perImage, sizes),
    );
    assert.equal(Math.max(...sizes), 32);
    assert.ok(Math.abs(c.imagesPerSecond * perImage - 1) < 0.25, `${c.imagesPerSecond} images/s`);
  });

  it('never exceeds a small requested batch', async () => {
    const sizes: number[] = [];
    await calibrate(
      { preset: 'compact', input: 28, batchSize: 5, backend: 'cpu', threads: 1 },
      0.05,
      stepCosting(0.0001, sizes),
    );
    assert.equal(Math.max(...sizes), 5);
  });
});
