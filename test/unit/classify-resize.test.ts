/**
 * Classify Image sees what training saw: a real Fashion-MNIST test image, given to the classify
 * path as the RGBA pixels a browser decodes from its PNG, gets the logits the training batch
 * (makeBatch) of the same image gets from the same model at 96x96, where both resize.
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeBatch } from '../../src/data/batches';
import { DEBIAN_DIR, FILES, type Split } from '../../src/data/fashionMnist';
import { readIdxFile } from '../../src/data/idx';
import { buildNetwork } from '../../src/model/network';
import { presetSpec } from '../../src/model/spec';
import { classifyLogits } from '../../src/webview/classify/predict';
import { prepareImage } from '../../src/webview/classify/preprocess';

const SIZE = 96;

/** Gray bytes as the opaque RGBA a browser decodes from a grayscale PNG. */
function rgbaOf(gray: Uint8Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(4 * gray.length);
  gray.forEach((v, i) => out.set([v, v, v, 255], 4 * i));
  return out;
}

describe('Classify Image and the training batches share one resize', function () {
  this.timeout(60_000);
  let test: Split;
  before(async () => {
    await tf.setBackend('cpu');
    const images = readIdxFile(join(DEBIAN_DIR, `${FILES.testImages.name}.gz`)).data;
    const labels = readIdxFile(join(DEBIAN_DIR, `${FILES.testLabels.name}.gz`)).data;
    test = { images, labels, count: 10000 };
  });

  it(`real test images through the classify path get makeBatch's logits (compact at ${SIZE}x${SIZE})`, () => {
    const { model } = buildNetwork(presetSpec('compact', SIZE));
    try {
      for (const i of [0, 1, 2, 3, 4]) {
        const batch = makeBatch(test, Int32Array.of(i), SIZE);
        const expected = tf.tidy(() =>
          (model.predict(tf.tensor4d(batch.x, [1, SIZE, SIZE, 1])) as tf.Tensor).dataSync(),
        );
        const { pixels, inverted } = prepareImage(rgbaOf(test.images.subarray(i * 784, (i + 1) * 784)), 28, 28);
        assert.equal(inverted, false, 'a Fashion-MNIST image has a dark background');
        const t = classifyLogits(model, pixels, [SIZE, SIZE]);
        const got = t.dataSync();
        t.dispose();
        // Relative to the largest logit: the two paths round the [0, 1] scaling differently.
        const scale = Math.max(...Array.from(expected, Math.abs));
        const diff = Math.max(...Array.from(got, (v, k) => Math.abs(v - expected[k])));
        assert.ok(
          diff <= 1e-5 * scale,
          `image ${i}: logits differ by ${diff.toExponential(2)} (largest ${scale.toFixed(4)}): ${Array.from(got).map((v) => v.toFixed(4))} vs ${Array.from(expected).map((v) => v.toFixed(4))}`,
        );
      }
    } finally {
      model.dispose();
    }
  });
});
