import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's node bundle registers no gradients; tfjs-layers' bundle registers them all (as in the app).
import '@tensorflow/tfjs-layers';
import { registerWasmTrainingKernels } from '../../src/backends/wasm';
import { setNinKernelsEnabled } from '../../src/backends/wasm/nin-kernels';
import { KERNEL_MODES, relErr } from './wasm-helpers';

interface Case {
  x: [number, number, number, number];
  k: number;
  co: number;
  stride: number;
  pad: number;
}

/** Filter and input gradients of a padded conv, computed on `backend`. */
async function grads(backend: string, c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const x = tf.randomNormal(c.x, 0, 1, 'float32', 11) as tf.Tensor4D;
  const w = tf.randomNormal([c.k, c.k, c.x[3], c.co], 0, 1, 'float32', 12) as tf.Tensor4D;
  const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) => {
    const padded = c.pad
      ? tf.pad(xx, [
          [0, 0],
          [c.pad, c.pad],
          [c.pad, c.pad],
          [0, 0],
        ])
      : xx;
    return tf.sum(tf.square(tf.conv2d(padded as tf.Tensor4D, ww, c.stride, 'valid')));
  };
  const [gx, gw] = tf.grads((a, b) => f(a as tf.Tensor4D, b as tf.Tensor4D))([x, w]);
  const out = [(await gw.data()) as Float32Array, (await gx.data()) as Float32Array];
  tf.dispose([x, w, gx, gw]);
  return out;
}

describe('wasm training kernels match the cpu reference kernels', () => {
  before(() => registerWasmTrainingKernels('wasm'));
  after(async () => {
    await tf.setBackend('cpu');
  });

  const cases: Case[] = [
    { x: [3, 28, 28, 1], k: 5, co: 8, stride: 1, pad: 2 }, // compact block 1
    { x: [2, 13, 13, 8], k: 5, co: 6, stride: 1, pad: 2 },
    { x: [2, 40, 40, 1], k: 11, co: 4, stride: 4, pad: 0 }, // seed block 1: stride 4
    { x: [2, 9, 9, 5], k: 3, co: 7, stride: 2, pad: 1 },
    { x: [4, 6, 6, 12], k: 1, co: 9, stride: 1, pad: 0 }, // the 1x1 "MLP" convs
  ];
  for (const mode of KERNEL_MODES) {
    describe(mode.name, () => {
      before(() => setNinKernelsEnabled(mode.gemm));
      after(() => setNinKernelsEnabled(true));
      for (const c of cases) {
        it(`conv ${c.k}x${c.k} stride ${c.stride} pad ${c.pad} on ${c.x.join('x')}: filter and input gradients`, async () => {
          const ref = await grads('cpu', c);
          const ours = await grads('wasm', c);
          assert.equal(tf.getBackend(), 'wasm');
          for (const [i, name] of ['dW', 'dX'].entries()) {
            const e = relErr(ours[i], ref[i]);
            assert.ok(e < 1e-4, `${name} relative error ${e}`);
          }
        });
      }
    });
  }

  it('leaves no tensors behind (the kernel frees its intermediates)', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 12, 12, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const w = tf.variable(tf.randomNormal([5, 5, 3, 4], 0, 1, 'float32', 6) as tf.Tensor4D);
    const f = () =>
      tf.sum(
        tf.conv2d(
          tf.pad(x, [
            [0, 0],
            [2, 2],
            [2, 2],
            [0, 0],
          ]) as tf.Tensor4D,
          w,
          2,
          'valid',
        ),
      ) as tf.Scalar;
    const once = () => {
      const { value, grads } = tf.variableGrads(f);
      tf.dispose([value, grads]);
    };
    once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) once();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, w]);
  });
});
