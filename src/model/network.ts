/**
 * Builds the tfjs layers model of a NiN spec. PyTorch pads explicitly with integers, which
 * tfjs's `same`/`valid` strings cannot express in general, so a padded conv gets a ZeroPadding2D,
 * except where `same` is exactly PyTorch's padding (stride 1, 2 x padding = kernel - 1): there the
 * conv pads itself, which halves the cost of its backward pass on wasm (no separate pad layer
 * whose gradient is a slice of a bigger tensor).
 * Max pools never pad here (rejected): NiN's pools have padding 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mixSeed } from '../data/batches';
import { inferShapes, type ShapeReport } from './shapes';
import type { NinSpec } from './spec';

/** The built model and, for each spec row, the name of the tfjs layer that ends it. */
export interface BuiltNetwork {
  readonly model: tfl.LayersModel;
  readonly report: ShapeReport;
  /** rowEnds[i] is the tfjs layer whose output is row i of the table. */
  readonly rowEnds: readonly string[];
}

function conv(
  name: string,
  filters: number,
  kernel: number,
  stride: number,
  padding: 'same' | 'valid' = 'valid',
): tfl.layers.Layer {
  return tfl.layers.conv2d({
    name,
    filters,
    kernelSize: kernel,
    strides: stride,
    padding,
    activation: 'relu',
    kernelInitializer: 'glorotUniform',
    biasInitializer: 'zeros',
  });
}

/** Build the model (NHWC input). Throws with the layer name when the spec collapses. */
export function buildNetwork(spec: NinSpec): BuiltNetwork {
  const report = inferShapes(spec);
  if (report.error) throw new Error(report.error.message);
  const [c, h, w] = spec.input;
  const model = tfl.sequential({ name: `nin_${spec.preset}` });
  const rowEnds: string[] = [];
  model.add(tfl.layers.inputLayer({ name: 'input', inputShape: [h, w, c] }));
  const add = (layer: tfl.layers.Layer): void => model.add(layer);
  for (const row of report.layers) {
    const l = spec.layers[row.index];
    const n = row.name;
    switch (l.kind) {
      case 'nin_block': {
        const same = l.padding > 0 && l.stride === 1 && 2 * l.padding === l.kernel - 1;
        if (l.padding > 0 && !same) add(tfl.layers.zeroPadding2d({ name: `${n}_pad`, padding: l.padding }));
        add(conv(`${n}_conv`, l.outChannels, l.kernel, l.stride, same ? 'same' : 'valid'));
        add(conv(`${n}_mlp1`, l.outChannels, 1, 1));
        add(conv(`${n}_mlp2`, l.outChannels, 1, 1));
        rowEnds.push(`${n}_mlp2`);
        break;
      }
      case 'maxpool':
        if (l.padding !== 0) throw new Error(`${n}: padded max pooling is not supported by the builder`);
        add(tfl.layers.maxPooling2d({ name: n, poolSize: l.kernel, strides: l.stride, padding: 'valid' }));
        rowEnds.push(n);
        break;
      case 'dropout':
        add(tfl.layers.dropout({ name: n, rate: l.rate }));
        rowEnds.push(n);
        break;
      case 'gap': {
        const [, gh, gw] = row.input;
        add(tfl.layers.averagePooling2d({ name: n, poolSize: [gh, gw], strides: [gh, gw], padding: 'valid' }));
        rowEnds.push(n);
        break;
      }
      case 'flatten':
        add(tfl.layers.flatten({ name: n }));
        rowEnds.push(n);
        break;
    }
  }
  return { model, report, rowEnds };
}

/** Softmax cross-entropy on logits against integer labels, averaged over the batch. */
export function crossEntropy(labels: tf.Tensor1D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
    return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
  });
}

/**
 * Fix the masks of every Dropout layer of `model` for the next forward pass from `seed`. tfjs
 * draws an unseeded dropout mask from Math.random, which made two runs of one config differ;
 * the engine derives `seed` from the run's seed and the step's position, so a run (resumed or
 * not) draws the same masks every time. tfjs treats a seed of 0 as "none", hence `|| 1`.
 */
export function seedDropout(model: tfl.LayersModel, seed: number): void {
  model.layers.forEach((layer, i) => {
    if (layer.getClassName() === 'Dropout') (layer as unknown as { seed: number }).seed = mixSeed(seed, i) || 1;
  });
}
