/**
 * The gradient half of a training step, shared by the training thread and its replicas: the
 * gradients of the mean cross-entropy over a slice, flattened into one Float32Array in the
 * order of `vars`, with the slice's loss and correct count. Leaves no tensors behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { crossEntropy, seedDropout } from '../../model/network';

/** One slice's contribution. */
export interface SliceGradients {
  readonly grads: Float32Array;
  readonly loss: number;
  readonly correct: number;
}

/** Total number of elements of `vars`. */
export function flatSize(vars: readonly tf.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}

/** Gradients of the mean loss over `n` images at the current weights (dropout active, its masks drawn from `seed`). */
export function sliceGradients(
  model: tfl.LayersModel,
  vars: tf.Variable[],
  x: Float32Array,
  labels: Int32Array,
  n: number,
  seed: number,
): SliceGradients {
  const [, h, w, c] = model.inputs[0].shape as number[];
  if (x.length !== n * h * w * c) throw new Error(`slice of ${n} needs ${n * h * w * c} pixels, got ${x.length}`);
  seedDropout(model, seed);
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.tidy(() => {
    const xs = tf.tensor4d(x, [n, h, w, c]);
    const ys = tf.tensor1d(labels, 'int32');
    return tf.variableGrads(() => {
      const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), ys), 'int32')) as tf.Scalar);
      return crossEntropy(ys, logits);
    }, vars);
  });
  try {
    const flat = new Float32Array(flatSize(vars));
    let at = 0;
    for (const v of vars) {
      flat.set(grads[v.name].dataSync() as Float32Array, at);
      at += v.size;
    }
    return { grads: flat, loss: value.dataSync()[0], correct: correct!.dataSync()[0] };
  } finally {
    tf.dispose([value, correct!, ...Object.values(grads)]);
  }
}

/** Copy a flat weight vector into `vars` (same order as `flatWeights`). */
export function assignFlat(vars: readonly tf.Variable[], flat: Float32Array): void {
  let at = 0;
  for (const v of vars) {
    const t = tf.tensor(flat.subarray(at, at + v.size), v.shape, 'float32');
    v.assign(t);
    t.dispose();
    at += v.size;
  }
  if (at !== flat.length) throw new Error(`weights: expected ${at} values, got ${flat.length}`);
}

/** The current values of `vars`, concatenated. */
export function flatWeights(vars: readonly tf.Variable[]): Float32Array {
  const flat = new Float32Array(flatSize(vars));
  let at = 0;
  for (const v of vars) {
    flat.set(v.dataSync() as Float32Array, at);
    at += v.size;
  }
  return flat;
}
