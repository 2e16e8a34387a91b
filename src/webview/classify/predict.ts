/**
 * The model's logits for one prepared 28x28 image (preprocess.ts): the image resized to the
 * model's input by the training batches' own resize (src/data/resize.ts: half-pixel centres),
 * then run through it. No DOM, so the classify path is tested in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ClassifyInputMessage } from '../../protocol/index';
import { resizeBilinear } from '../../data/resize';
import { MNIST_SIDE } from './preprocess';

/** Logits `[1, classes]` of `pixels` (28x28 in [0, 1]) for a model whose input is `[h, w]`. */
export function classifyLogits(
  model: tfl.LayersModel,
  pixels: Float32Array,
  [h, w]: readonly [number, number],
): tf.Tensor {
  const input = new Float32Array(h * w);
  resizeBilinear(pixels, { offset: 0, height: MNIST_SIDE, width: MNIST_SIDE }, input, {
    offset: 0,
    height: h,
    width: w,
  });
  return tf.tidy(() => model.predict(tf.tensor4d(input, [1, h, w, 1])) as tf.Tensor);
}

function base64ToBuffer(b64: string): ArrayBuffer {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes.buffer;
}

/** The model the host sent (its topology, weight specs and base64 weights), loaded from memory. */
export function loadPayloadModel(m: ClassifyInputMessage['model']): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: m.modelTopology as object,
      weightSpecs: m.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: base64ToBuffer(m.weightData),
    }),
  );
}
