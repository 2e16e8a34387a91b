/**
 * The model's logits for one prepared 28x28 image (preprocess.ts): the image resized to the
 * model's input and run through it. No DOM, so the classify path is tested in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { MNIST_SIDE } from './preprocess';

/** Logits `[1, classes]` of `pixels` (28x28 in [0, 1]) for a model whose input is `[h, w]`. */
export function classifyLogits(model: tfl.LayersModel, pixels: Float32Array, [h, w]: readonly [number, number]): tf.Tensor {
  return tf.tidy(() => {
    let x: tf.Tensor4D = tf.tensor4d(pixels, [1, MNIST_SIDE, MNIST_SIDE, 1]);
    if (h !== MNIST_SIDE || w !== MNIST_SIDE) x = tf.image.resizeBilinear(x, [h, w]);
    return model.predict(x) as tf.Tensor;
  });
}
