import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { batchCount, batchIndices, epochOrder, makeBatch, permutation, subsetIndices } from '../../src/data/batches';
import { DEBIAN_DIR, FILES, type Split } from '../../src/data/fashionMnist';
import { readIdxFile } from '../../src/data/idx';

describe('batch pipeline', () => {
  let test: Split;
  before(async () => {
    // The tfjs engine is global to the mocha process: other suites leave other backends selected.
    await tf.setBackend('cpu');
    const images = readIdxFile(join(DEBIAN_DIR, `${FILES.testImages.name}.gz`)).data;
    const labels = readIdxFile(join(DEBIAN_DIR, `${FILES.testLabels.name}.gz`)).data;
    test = { images, labels, count: 10000 };
  });

  it('shuffles each epoch reproducibly from the seed, differently per epoch and per seed', () => {
    const subset = subsetIndices(10000, 0, 1, 202);
    const e1 = epochOrder(subset, 1, 1);
    assert.deepEqual(e1, epochOrder(subset, 1, 1));
    assert.notDeepEqual(e1, epochOrder(subset, 1, 2));
    assert.notDeepEqual(e1, epochOrder(subset, 2, 1));
    assert.deepEqual(
      Array.from(e1).sort((a, b) => a - b),
      Array.from(subset),
    );
    const p = permutation(1000, 7);
    assert.equal(new Set(p).size, 1000);
  });

  it('limits to a seeded subset that is the same every epoch', () => {
    const s = subsetIndices(60000, 1000, 1, 101);
    assert.equal(s.length, 1000);
    assert.equal(new Set(s).size, 1000);
    assert.deepEqual(s, subsetIndices(60000, 1000, 1, 101));
    assert.notDeepEqual(s, subsetIndices(60000, 1000, 2, 101));
    assert.equal(subsetIndices(100, 0, 1, 1).length, 100);
    assert.equal(subsetIndices(100, 500, 1, 1).length, 100);
    assert.deepEqual([batchCount(1000, 128), batchIndices(s, 7, 128).length], [8, 1000 - 7 * 128]);
  });

  it('at 28x28: the bytes scaled to [0, 1], NHWC, labels carried', () => {
    const idx = Int32Array.from([0, 5, 9999]);
    const b = makeBatch(test, idx, 28);
    assert.equal(b.x.length, 3 * 784);
    assert.equal(b.n, 3);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 784; i++) assert.equal(b.x[k * 784 + i], Math.fround(test.images[idx[k] * 784 + i] / 255));
      assert.equal(b.labels[k], test.labels[idx[k]]);
    }
    assert.ok(Math.min(...b.x) >= 0 && Math.max(...b.x) <= 1 && Math.max(...b.x) > 0.9);
  });

  for (const size of [96, 224]) {
    it(`resized per batch to ${size}x${size}: matches tfjs resizeBilinear (half-pixel centres, as PyTorch/PIL)`, () => {
      const idx = Int32Array.from([3, 1234]);
      const b = makeBatch(test, idx, size);
      assert.equal(b.x.length, 2 * size * size);
      const ref = tf.tidy(() => {
        const src = tf.tensor4d(
          Float32Array.from(
            Array.from(idx).flatMap((i) => Array.from(test.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255)),
          ),
          [2, 28, 28, 1],
        );
        return tf.image.resizeBilinear(src, [size, size], false, true).dataSync();
      });
      let maxErr = 0;
      for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(ref[i] - b.x[i]));
      assert.ok(maxErr < 1e-5, `max error ${maxErr}`);
      // Corners copy the corner source pixels (clamped edges); values stay in [0, 1].
      assert.equal(b.x[0], Math.fround(test.images[3 * 784] / 255));
      assert.ok(Math.min(...b.x) >= 0 && Math.max(...b.x) <= 1);
      // Upsampling keeps the mean brightness close to the original's.
      const mean = (a: ArrayLike<number>, from: number, n: number) =>
        Array.from({ length: n }, (_, i) => a[from + i]).reduce((x, y) => x + y, 0) / n;
      assert.ok(
        Math.abs(
          mean(b.x, 0, size * size) -
            mean(
              Array.from(test.images.subarray(3 * 784, 4 * 784), (v) => v / 255),
              0,
              784,
            ),
        ) < 0.01,
      );
    });
  }
});
