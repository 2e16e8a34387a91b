import * as assert from 'node:assert/strict';
import { SecondsPerImage } from '../../src/train/rate';

describe('SecondsPerImage (ETA smoothing)', () => {
  it('a steady rate is reported exactly, and the warm-up batch is forgotten', () => {
    const r = new SecondsPerImage(30);
    r.add(20, 128); // warm-up: 10x slower than the rest
    for (let i = 0; i < 5; i++) r.add(2, 128);
    assert.equal(r.seconds, 2 / 128);
  });

  it('one slow batch moves the estimate by its share of the time window only', () => {
    const r = new SecondsPerImage(30);
    for (let i = 0; i < 20; i++) r.add(3, 128);
    r.add(6, 128); // the machine was busy for one batch
    const rise = r.seconds / (3 / 128) - 1;
    // weight 1 - exp(-6/30) = 0.18 of a 100% excursion; a per-batch mean with weight 0.2 or more would exceed it
    assert.ok(rise > 0.15 && rise < 0.2, `rise ${rise}`);
  });

  it('a lasting change of speed is followed within a few windows', () => {
    const r = new SecondsPerImage(30);
    for (let i = 0; i < 20; i++) r.add(3, 128);
    for (let i = 0; i < 60; i++) r.add(1.5, 128); // 90 s at twice the speed
    assert.ok(Math.abs(r.seconds / (1.5 / 128) - 1) < 0.06, `${r.seconds * 128}`);
  });

  it('short batches weigh less than long ones: the window is time, not a batch count', () => {
    const fast = new SecondsPerImage(30);
    const slow = new SecondsPerImage(30);
    for (let i = 0; i < 3; i++) {
      fast.add(0.1, 8);
      slow.add(10, 800);
    }
    fast.add(0.2, 8);
    slow.add(20, 800);
    assert.ok(fast.seconds < slow.seconds, `${fast.seconds} vs ${slow.seconds}`);
  });

  it('nothing measured yet reads 0, and empty or broken samples are ignored', () => {
    const r = new SecondsPerImage();
    assert.equal(r.seconds, 0);
    r.add(0, 128);
    r.add(NaN, 128);
    r.add(1, 0);
    assert.equal(r.seconds, 0);
  });
});
