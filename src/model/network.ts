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
  activation: 'relu' | 'linear' = 'relu',
): tfl.layers.Layer {
  return tfl.layers.conv2d({
    name,
    filters,
    kernelSize: kernel,
    strides: stride,
    padding,
    activation,
    kernelInitializer: 'glorotUniform',
    biasInitializer: 'zeros',
  });
}

/** A kxk conv with PyTorch's integer padding: tfjs's own `same` where it is exactly that, else a pad layer. */
function paddedConv(
  add: (layer: tfl.layers.Layer) => void,
  row: string,
  name: string,
  l: { outChannels: number; kernel: number; stride: number; padding: number },
  activation: 'relu' | 'linear',
): void {
  const same = l.padding > 0 && l.stride === 1 && 2 * l.padding === l.kernel - 1;
  if (l.padding > 0 && !same) add(tfl.layers.zeroPadding2d({ name: `${row}_pad`, padding: l.padding }));
  add(conv(name, l.outChannels, l.kernel, l.stride, same ? 'same' : 'valid', activation));
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
        paddedConv(add, n, `${n}_conv`, l, 'relu');
        let last = `${n}_conv`;
        for (let i = 1; i <= (l.mlpConvs ?? 2); i++) add(conv((last = `${n}_mlp${i}`), l.outChannels, 1, 1));
        rowEnds.push(last);
        break;
      }
      case 'conv':
        paddedConv(add, n, n, l, 'linear');
        rowEnds.push(n);
        break;
      case 'avgpool':
        add(tfl.layers.averagePooling2d({ name: n, poolSize: l.kernel, strides: l.stride, padding: 'valid' }));
        rowEnds.push(n);
        break;
      case 'linear':
        add(
          tfl.layers.dense({
            name: n,
            units: l.outFeatures,
            kernelInitializer: 'glorotUniform',
            biasInitializer: 'zeros',
          }),
        );
        rowEnds.push(n);
        break;
      case 'activation':
        add(tfl.layers.activation({ name: n, activation: l.fn }));
        rowEnds.push(n);
        break;
      case 'batchnorm':
        // PyTorch's defaults: eps 1e-5, running averages updated by 0.1 (tfjs's momentum is the kept share).
        add(tfl.layers.batchNormalization({ name: n, axis: -1, epsilon: 1e-5, momentum: 0.9 }));
        rowEnds.push(n);
        break;
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
        // PyTorch flattens C x H x W channel-major; tfjs's NHWC would interleave channels. Permuting
        // to NCHW first keeps the flattened order, and so a Linear layer's weights, PyTorch's.
        if (row.input.length === 3 && row.input[1] * row.input[2] > 1)
          add(tfl.layers.permute({ name: `${n}_nchw`, dims: [3, 1, 2] }));
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
