import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's node bundle registers no gradients; tfjs-layers' bundle registers them all (as in the app).
import '@tensorflow/tfjs-layers';
import { registerWasmTrainingKernels } from '../../src/backends/wasm';
import { buildNetwork, crossEntropy } from '../../src/model/network';
import { selectBackend } from '../../src/backends/backend';
import { setNinKernelsEnabled } from '../../src/backends/wasm/nin-kernels';
import { KERNEL_MODES, relErr, smallNin } from './wasm-helpers';

/** Run `f` on wasm and on cpu with the same inputs; every output must agree to 1e-4. */
async function agree(
  inputs: Array<{ shape: number[]; relu?: boolean }>,
  f: (...t: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  seed = 1,
): Promise<void> {
  const out: Record<string, Float32Array[]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const ts = inputs.map((s, i) => {
      const t = tf.randomNormal(s.shape, 0, 1, 'float32', seed + i);
      return s.relu ? tf.relu(t) : t;
    });
    const r = f(...ts);
    const rs = Array.isArray(r) ? r : [r];
    out[backend] = await Promise.all(rs.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose([...ts, ...rs]);
  }
  out.cpu.forEach((ref, i) => {
    const e = relErr(out.wasm[i], ref);
    assert.ok(e < 1e-4, `output ${i}: relative error ${e}`);
  });
}

/** A small NiN's parameter gradients on wasm and on cpu agree to 1e-4. */
async function smallNinGradientsAgree(): Promise<void> {
  const spec = smallNin(16, [
    { kind: 'nin_block', outChannels: 6, kernel: 5, stride: 1, padding: 2 },
    { kind: 'maxpool', kernel: 3, stride: 2, padding: 0 },
    { kind: 'nin_block', outChannels: 8, kernel: 3, stride: 1, padding: 1 },
    { kind: 'maxpool', kernel: 3, stride: 2, padding: 0 },
    { kind: 'nin_block', outChannels: 10, kernel: 3, stride: 1, padding: 1 },
    { kind: 'gap' },
    { kind: 'flatten' },
  ]);
  const grads: Record<string, Float32Array[]> = {};
  let weights: tf.Tensor[] | undefined;
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const { model } = buildNetwork(spec);
    if (weights) model.setWeights(weights);
    else weights = model.getWeights().map((w) => tf.clone(w));
    const x = tf.randomUniform([3, 16, 16, 1], 0, 1, 'float32', 7);
    const y = tf.tensor1d([1, 4, 7], 'int32');
    const { value, grads: g } = tf.variableGrads(() =>
      crossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D),
    );
    grads[backend] = await Promise.all(
      model.trainableWeights.map(async (w) => (await g[(w.read() as tf.Variable).name].data()) as Float32Array),
    );
    tf.dispose([value, x, y, ...Object.values(g)]);
    model.dispose();
  }
  assert.equal(grads.cpu.length, 18);
  grads.cpu.forEach((ref, i) => {
    const e = relErr(grads.wasm[i], ref);
    assert.ok(e < 1e-4, `parameter ${i}: relative error ${e}`);
  });
  tf.dispose(weights);
}

describe('wasm fast training kernels match the cpu reference kernels', () => {
  before(() => registerWasmTrainingKernels('wasm'));
  after(async () => {
    await tf.setBackend('cpu');
  });

  it('auto picks wasm here (no tfjs-node) and says why, in one line', async () => {
    const choice = await selectBackend('auto');
    assert.equal(choice.name, 'wasm');
    assert.match(
      choice.reason,
      /tfjs-node is not available.*XNNPACK SIMD kernels and fused multiply-add convolutions.*fastest backend that loads here/,
    );
    assert.ok(!choice.reason.includes('\n'));
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  });

  for (const mode of KERNEL_MODES) {
    describe(`convolutions, products, sums and pooling gradients on ${mode.name}`, () => {
      before(() => setNinKernelsEnabled(mode.gemm));
      after(() => setNinKernelsEnabled(true));

      describe('BatchMatMul in every transposition', () => {
        for (const [ta, tb] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ] as const) {
          it(`transposeA ${ta} transposeB ${tb}, rank 2 and rank 3`, async () => {
            const a = ta ? [7, 5] : [5, 7];
            const b = tb ? [3, 7] : [7, 3];
            await agree([{ shape: a }, { shape: b }], (x, y) => tf.matMul(x, y, ta, tb));
            await agree([{ shape: [1, ...a] }, { shape: [1, ...b] }], (x, y) => tf.matMul(x, y, ta, tb));
          });
        }
        it('batched products (left to the original kernel)', async () => {
          await agree([{ shape: [2, 4, 6] }, { shape: [2, 3, 6] }], (x, y) => tf.matMul(x, y, false, true));
        });
      });

      describe('Conv2DBackpropInput and Conv2DBackpropFilter through padded convs', () => {
        const cases: Array<{ x: number[]; k: number; co: number; stride: number; pad: 'same' | 'valid' | number }> = [
          { x: [2, 9, 9, 3], k: 5, co: 4, stride: 1, pad: 'same' },
          { x: [2, 7, 8, 6], k: 3, co: 5, stride: 1, pad: 1 },
          { x: [2, 6, 6, 4], k: 2, co: 3, stride: 1, pad: 'valid' },
          { x: [2, 6, 6, 8], k: 1, co: 5, stride: 1, pad: 'valid' },
          { x: [2, 9, 9, 3], k: 3, co: 4, stride: 2, pad: 'same' }, // stride 2: original kernel
        ];
        for (const c of cases) {
          it(`${c.k}x${c.k} stride ${c.stride} pad ${c.pad} on ${c.x.join('x')}`, async () => {
            await agree([{ shape: c.x }, { shape: [c.k, c.k, c.x[3], c.co] }, { shape: [1] }], (x, w) => {
              const f = (a: tf.Tensor, b: tf.Tensor) =>
                tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)));
              return tf.grads(f)([x, w]);
            });
          });
        }
      });

      describe('Sum (bias gradients)', () => {
        it('over all leading axes, with and without keepDims', async () => {
          await agree([{ shape: [3, 5, 4, 7] }], (x) => [
            tf.sum(x, [0, 1, 2]),
            tf.sum(x, [2, 0, 1], true),
            tf.sum(x, 0),
          ]);
        });
        it('other axes (left to the original kernel)', async () => {
          await agree([{ shape: [3, 5, 4, 7] }], (x) => [tf.sum(x, [1]), tf.sum(x, [1, 2]), tf.sum(x)]);
        });
      });

      describe('MaxPoolGrad', () => {
        for (const [k, s, pad] of [
          [3, 2, 'valid'],
          [2, 2, 'same'],
          [3, 1, 'same'],
        ] as const) {
          it(`${k}x${k} stride ${s} ${pad}, after a ReLU (ties at 0 follow the reference)`, async () => {
            await agree([{ shape: [2, 9, 9, 5], relu: true }, { shape: [1] }], (x) => {
              const g = (a: tf.Tensor) => {
                const y = tf.maxPool(a as tf.Tensor4D, k, s, pad);
                return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 99)));
              };
              return tf.grad(g)(x);
            });
          });
        }
      });

      it('a small NiN: every parameter gradient matches the cpu backend', smallNinGradientsAgree);
    });
  }

  it('Identity shares the buffer: a clone outlives its source, and the buffer is freed with the last one', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const c = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(await c.data()), [1, 2, 3, 4]);
    const d = tf.add(c, 1);
    c.dispose();
    assert.deepEqual(Array.from(await d.data()), [2, 3, 4, 5]);
    d.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.equal(tf.engine().backend.numDataIds(), buffers);
  });
});
