import * as assert from 'node:assert/strict';
import type { BatchTrainer, BatchTrainerFactory } from '../../src/train/batchTrainer';
import { calibrate, MAX_STEP_SECONDS } from '../../src/train/calibrate';

/**
 * The batch sizing of calibration, isolated: a stand-in trainer whose step busy-waits a fixed
 * cost per image (the real engine's calibration runs in worker.test.ts). `seconds` records how
 * long each step really took (on a busy machine a step takes longer than its cost).
 */
function stepCosting(secondsPerImage: number, sizes: number[], seconds: number[] = []): BatchTrainerFactory {
  const trainer: BatchTrainer = {
    backend: 'cpu',
    backendReason: 'stand-in for the sizing test',
    step: async (_x, _y, n) => {
      sizes.push(n);
      const t = performance.now();
      while (performance.now() - t < secondsPerImage * n * 1000);
      seconds.push((performance.now() - t) / 1000);
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
    const seconds: number[] = [];
    const c = await calibrate(
      { preset: 'compact', input: 28, batchSize: 128, backend: 'cpu', threads: 1 },
      0.2,
      stepCosting(0.0002, sizes, seconds),
    );
    assert.deepEqual(sizes.slice(0, 5), [2, 2, 8, 32, 128]);
    assert.ok(
      sizes.slice(4).every((n) => n === 128),
      `timed sizes ${sizes.slice(4)}`,
    );
    // The rate of the timed steps (after the set-up step at 128), as long as they really took.
    const timed = seconds.slice(5);
    const rate = (128 * timed.length) / timed.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(c.imagesPerSecond / rate - 1) < 0.25, `${c.imagesPerSecond} images/s, the steps ran at ${rate}`);
  });

  it('stops growing before a step would take longer than MAX_STEP_SECONDS', async () => {
    const sizes: number[] = [];
    const seconds: number[] = [];
    const perImage = (MAX_STEP_SECONDS / 128) * 1.15; // a 128-image step would overrun by 15%
    const c = await calibrate(
      { preset: 'compact', input: 28, batchSize: 128, backend: 'cpu', threads: 1 },
      0.1,
      stepCosting(perImage, sizes, seconds),
    );
    assert.equal(Math.max(...sizes), 32);
    // Sized at 32, then one set-up step at 32, then the timed ones.
    const timed = seconds.slice(sizes.indexOf(32) + 2);
    const rate = (32 * timed.length) / timed.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(c.imagesPerSecond / rate - 1) < 0.25, `${c.imagesPerSecond} images/s, the steps ran at ${rate}`);
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
