import * as assert from 'node:assert/strict';
import {
  affordable,
  calibrationFresh,
  CALIBRATION_MAX_AGE_MS,
  costModel,
  estimateSeconds,
  EVAL_COST_RATIO,
  isCalibration,
  splitDuration,
  trainSecondsPerImage,
} from '../../src/train/recipes';

const close = (a: number, b: number, rel = 1e-9) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} != ${b}`);

describe('time estimates from a calibration', () => {
  it('one point: time proportional to FLOPs', () => {
    const m = costModel([{ flops: 1e9, imagesPerSecond: 100 }]);
    assert.equal(m.overhead, 0);
    close(trainSecondsPerImage(m, 1e9), 0.01);
    close(trainSecondsPerImage(m, 4e9), 0.04);
  });

  it('two points: a line with a fixed per-image overhead, through both measurements', () => {
    // 1 ms overhead + 1 ns per FLOP
    const pts = [1e6, 1e8].map((f) => ({ flops: f, imagesPerSecond: 1 / (1e-3 + 1e-9 * f) }));
    const m = costModel(pts);
    close(m.overhead, 1e-3, 1e-6);
    close(m.perFlop, 1e-9, 1e-6);
    for (const p of pts) close(trainSecondsPerImage(m, p.flops), 1 / p.imagesPerSecond, 1e-9);
    // order of the points does not matter
    assert.deepEqual(costModel([...pts].reverse()), m);
  });

  it('a noisy pair that would give a negative overhead falls back to proportional through the dearer point', () => {
    const m = costModel([
      { flops: 1e6, imagesPerSecond: 5000 },
      { flops: 1e8, imagesPerSecond: 20 },
    ]);
    assert.equal(m.overhead, 0);
    close(m.perFlop, 1 / 20 / 1e8);
  });

  it('rejects a calibration without valid points', () => {
    assert.throws(() => costModel([]), /no valid measurement/);
    assert.throws(() => costModel([{ flops: 1e6, imagesPerSecond: 0 }]), /no valid measurement/);
  });

  it('a run: epochs x (train images + a third of the test images) x seconds per image', () => {
    const m = { overhead: 0, perFlop: 1e-9 };
    const s = estimateSeconds(m, { flops: 1e8, epochs: 10, trainImages: 60000, testImages: 10000 });
    close(s, 10 * (60000 + EVAL_COST_RATIO * 10000) * 0.1);
    // halving the images halves the time; doubling the FLOPs doubles it (no overhead)
    close(estimateSeconds(m, { flops: 2e8, epochs: 10, trainImages: 60000, testImages: 10000 }), 2 * s);
    close(estimateSeconds(m, { flops: 1e8, epochs: 5, trainImages: 60000, testImages: 10000 }), s / 2);
  });

  it('the second calibration point is skipped when a batch of it would take too long', () => {
    const slow = [{ flops: 1e7, imagesPerSecond: 50 }]; // 20 ms / image at 1e7
    assert.equal(affordable(slow, 1e9, 32), false); // 2 s/image x 32
    assert.equal(affordable([{ flops: 1e7, imagesPerSecond: 50000 }], 1e9, 32), true);
    assert.equal(affordable([], 1e12), true);
  });

  it('cached calibrations expire and are validated when read back', () => {
    const c = { backend: 'wasm', at: 1000, points: [{ flops: 1, imagesPerSecond: 2 }] };
    assert.ok(isCalibration(c));
    assert.ok(calibrationFresh(c, 2000));
    assert.equal(calibrationFresh(c, 1000 + CALIBRATION_MAX_AGE_MS), false);
    assert.equal(calibrationFresh(undefined, 0), false);
    assert.equal(isCalibration({ backend: 'wasm', at: 1, points: [{ flops: 1, imagesPerSecond: -1 }] }), false);
    assert.equal(isCalibration(null), false);
  });

  it('durations are rounded for display', () => {
    assert.deepEqual(splitDuration(42.4), { hours: 0, minutes: 0, seconds: 42 });
    assert.deepEqual(splitDuration(123), { hours: 0, minutes: 2, seconds: 5 });
    assert.deepEqual(splitDuration(3 * 3600 + 29 * 60 + 40), { hours: 3, minutes: 30, seconds: 0 });
    assert.deepEqual(splitDuration(-5), { hours: 0, minutes: 0, seconds: 0 });
  });
});
