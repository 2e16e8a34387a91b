import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { presetSpec, type NinSpec } from '../../src/model/spec';
import { loadLayersModelFrom } from '../../src/train/modelIo';
import { TfjsTrainer } from '../../src/train/tfjsTrainer';

/** A fixed batch of n noisy 28x28 images whose label k shows as a bright band at rows 2k..2k+5. */
function batch(n: number, seed = 3): { x: Float32Array; y: Int32Array } {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  const x = new Float32Array(n * 28 * 28).map((_, j) => {
    const img = Math.floor(j / 784);
    const row = Math.floor((j % 784) / 28);
    return 0.3 * rnd() + (row >= 2 * y[img] && row < 2 * y[img] + 6 ? 0.7 : 0);
  });
  return { x, y };
}

describe('TfjsTrainer (in-thread BatchTrainer, wasm backend)', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('fits a fixed batch (loss falls), leaks no tensors, and its state round-trips with Adam slots', async () => {
    const opts = {
      spec: presetSpec('compact'),
      optimizer: 'adam',
      lr: 0.003,
      backend: 'wasm',
      threads: 1,
      seed: 2,
    } as const;
    const t = await TfjsTrainer.create(opts);
    assert.equal(t.backend, 'wasm');
    const { x, y } = batch(20);
    const first = await t.step(x, y, 20, 1);
    const live = t.liveTensors();
    const losses: number[] = [];
    for (let i = 0; i < 39; i++) losses.push((await t.step(x, y, 20, 1)).loss);
    assert.equal(t.liveTensors(), live, 'tensors leaked across steps');
    // NiN starts flat (Adam 0.003 on this batch: ~2.30 for 5-15 steps): judge the descent after 40.
    // Every draw is seeded, so this is one fixed trajectory, the same on every run.
    const last = (losses[36] + losses[37] + losses[38]) / 3;
    assert.ok(last < first.loss - 0.05, `loss ${first.loss} -> ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    assert.ok(first.correct >= 0 && first.correct <= 20);

    const state = await t.getState();
    assert.equal(t.liveTensors(), live, 'getState leaked');
    assert.equal(state.weights.length, 24); // 4 blocks x 3 convs x (kernel, bias)
    assert.equal(state.optimizer.length, 1 + 2 * 24); // iter + Adam m, v per variable
    const p1 = await t.predict(x, 20);
    assert.equal(p1.probabilities.length, 200);
    const rowSum = p1.probabilities.slice(0, 10).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(rowSum - 1) < 1e-5);

    // A second trainer restored from the state predicts the same and continues identically on the optimizer side.
    const u = await TfjsTrainer.create(opts);
    await u.setState(state);
    const p2 = await u.predict(x, 20);
    assert.deepEqual(Array.from(p2.predicted), Array.from(p1.predicted));
    const s2 = await u.getState();
    assert.deepEqual(s2.optimizer[0].values, state.optimizer[0].values); // iterations restored
    assert.deepEqual(s2.optimizer[5].values, state.optimizer[5].values);

    // Exported model loads back and predicts the same logits.
    const dir = mkdtempSync(join(tmpdir(), 'nin-model-'));
    dirs.push(dir);
    await t.saveModel(join(dir, 'model'));
    assert.match(readFileSync(join(dir, 'model', 'README.md'), 'utf8'), /loadLayersModel/);
    const m = await loadLayersModelFrom(join(dir, 'model'));
    const probs = tf.tidy(() => tf.softmax(m.predict(tf.tensor4d(x, [20, 28, 28, 1])) as tf.Tensor2D).dataSync());
    for (let i = 0; i < probs.length; i++) assert.ok(Math.abs(probs[i] - p1.probabilities[i]) < 1e-5);
    m.dispose();
    await t.dispose();
    await u.dispose();
  });

  it('rejects a state for another network, naming the weight', async () => {
    const sgdTrainer = (spec: NinSpec) =>
      TfjsTrainer.create({ spec, optimizer: 'sgd', lr: 0.1, backend: 'wasm', threads: 1, seed: 1 });
    const a = await sgdTrainer(presetSpec('compact'));
    const s = await a.getState();
    await a.dispose();
    // The article's init, reproducible from the seed: Xavier kernels, PyTorch-default biases U(+-1/sqrt(fan_in)).
    const bias = s.weights[1].values;
    assert.equal(s.weights[1].name, 'nin_block_1_conv/bias');
    assert.ok(bias.every((v) => Math.abs(v) <= 1 / Math.sqrt(25)) && bias.some((v) => Math.abs(v) > 0.05));
    const again = await sgdTrainer(presetSpec('compact'));
    assert.deepEqual((await again.getState()).weights[0].values, s.weights[0].values);
    await again.dispose();
    const b = await sgdTrainer(presetSpec('seed', 96));
    await assert.rejects(
      b.setState(s),
      /weight 0: state has nin_block_1_conv\/kernel \[5,5,1,32\], the model nin_block_1_conv\/kernel \[11,11,1,96\]/,
    );
    await b.dispose();
  });
});
