import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backends/backend';
import { buildNetwork, crossEntropy } from '../src/model/network';
import { presetSpec } from '../src/model/spec';
async function main() {
  await selectBackend('wasm');
  const { model } = buildNetwork(presetSpec('compact-fc'));
  const opt = tf.train.sgd(0.01);
  const x = tf.randomUniform([128, 28, 28, 1]);
  const y = tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 10), 'int32');
  const step = () => { const l = opt.minimize(() => crossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D), true); l?.dataSync(); l?.dispose(); };
  step();
  const p = await tf.profile(() => step());
  const by = new Map<string, number>();
  for (const k of p.kernels) by.set(k.name + ' ' + JSON.stringify(k.inputShapes), (by.get(k.name + ' ' + JSON.stringify(k.inputShapes)) ?? 0) + (k.kernelTimeMs as number));
  console.log([...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${v.toFixed(1)} ms ${k}`).join('\n'));
}
void main();
