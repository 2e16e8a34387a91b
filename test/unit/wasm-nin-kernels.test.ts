import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { registerWasmTrainingKernels } from '../../src/backends/wasm';
import {
  KERNELS_WASM,
  SLICE_BYTES,
  convGeometry,
  instantiateNinKernels,
  loadNinKernels,
  setNinKernelsEnabled,
  sliceItems,
  type NinKernels,
} from '../../src/backends/wasm/nin-kernels';
import { relErr } from './wasm-helpers';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  readonly x: [number, number, number, number];
  readonly f: [number, number, number, number];
  readonly strides: [number, number];
  readonly pad: Pad;
  readonly dilations?: [number, number];
}

// Odd sizes on purpose: channels that are not multiples of the 8-wide tile, rows that are not
// multiples of 6, patch columns past one 256-deep block, non-square kernels and strides.
const CONVS: ConvCase[] = [
  { x: [2, 9, 11, 13], f: [3, 5, 13, 9], strides: [2, 1], pad: 'same' },
  {
    x: [3, 10, 10, 16],
    f: [5, 5, 16, 24],
    strides: [1, 1],
    pad: [
      [0, 0],
      [2, 2],
      [2, 2],
      [0, 0],
    ],
  },
  { x: [2, 12, 12, 3], f: [3, 3, 3, 8], strides: [1, 1], pad: 'valid', dilations: [2, 2] },
  { x: [2, 5, 5, 16], f: [1, 1, 16, 10], strides: [1, 1], pad: 'valid' },
  { x: [2, 40, 40, 1], f: [11, 11, 1, 8], strides: [4, 4], pad: 'valid' },
  { x: [1, 7, 7, 5], f: [2, 2, 5, 3], strides: [2, 2], pad: 'valid' },
];

const random = (shape: number[], seed: number): Float32Array =>
  tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);

function info(c: ConvCase): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    c.x,
    c.f,
    c.strides,
    c.dilations ?? [1, 1],
    c.pad,
    undefined,
    false,
    'channelsLast',
  );
}

/** The cpu backend's answer to `f` on tensors made from `arrays`. */
function onCpu(arrays: Array<[Float32Array, number[]]>, f: (...t: tf.Tensor[]) => tf.Tensor): Float32Array {
  return tf.tidy(() => f(...arrays.map(([a, s]) => tf.tensor(a, s))).dataSync() as Float32Array);
}

function kernel(): NinKernels {
  const { kernel: k, reason } = loadNinKernels();
  assert.ok(k, `nin-kernels did not load: ${reason}`);
  return k;
}

/** Slice budgets: the default (whole operands here) and one small enough to cut every batch. */
const SLICES = [SLICE_BYTES, 6000];

function withSlices(bytes: number, f: () => void): void {
  const k = kernel();
  k.sliceBytes = bytes;
  try {
    f();
  } finally {
    k.sliceBytes = SLICE_BYTES;
  }
}

function* transpositions(): Generator<[boolean, boolean, number]> {
  for (const ta of [false, true]) for (const tb of [false, true]) for (const slice of SLICES) yield [ta, tb, slice];
}

describe('nin-kernels.wasm (fused multiply-add products, SIMD gradient loops) against the cpu reference kernels', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('loads here (Node 20 needs its relaxed-SIMD flag, which loading sets)', () => {
    kernel();
  });

  it('says why when it cannot load: no file, a corrupt file, or turned off', () => {
    const empty = mkdtempSync(join(tmpdir(), 'nin-kernels-'));
    assert.match(instantiateNinKernels(empty).reason ?? '', /nin-kernels\.wasm could not be read/);
    const corrupt = mkdtempSync(join(tmpdir(), 'nin-kernels-'));
    writeFileSync(join(corrupt, KERNELS_WASM), Buffer.from('\0asm not really'));
    assert.match(
      instantiateNinKernels(corrupt).reason ?? '',
      /nin-kernels\.wasm does not load in this runtime.*relaxed SIMD/,
    );
    process.env.NIN_WASM_KERNELS = '0';
    try {
      assert.match(instantiateNinKernels().reason ?? '', /turned off by NIN_WASM_KERNELS=0/);
    } finally {
      delete process.env.NIN_WASM_KERNELS;
    }
  });

  for (const [m, n, k] of [
    [1, 1, 1],
    [7, 13, 5],
    [13, 530, 300],
    [64, 9, 257],
  ]) {
    it(`matMul ${m}x${k} . ${k}x${n} in every transposition, whole and in slices`, () => {
      for (const [ta, tb, slice] of transpositions()) {
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        const a = random(aShape, 1);
        const b = random(bShape, 2);
        const out = new Float32Array(m * n).fill(Number.NaN);
        withSlices(slice, () => kernel().matMul(a, b, m, n, k, ta, tb, out));
        const ref = onCpu(
          [
            [a, aShape],
            [b, bShape],
          ],
          (x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb),
        );
        const e = relErr(out, ref);
        assert.ok(e < 1e-5, `transposeA ${ta} transposeB ${tb} slices of ${slice} bytes: relative error ${e}`);
      }
    });
  }

  for (const c of CONVS) {
    const label = `${c.f[0]}x${c.f[1]} stride ${c.strides.join(',')} pad ${JSON.stringify(c.pad)} dilation ${(c.dilations ?? [1, 1]).join(',')} on ${c.x.join('x')} -> ${c.f[3]}`;
    it(`conv2d ${label}`, () => {
      const x = random(c.x, 3);
      const f = random(c.f, 4);
      const g = info(c);
      const ref = onCpu(
        [
          [x, c.x],
          [f, c.f],
        ],
        (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilations ?? [1, 1]),
      );
      for (const slice of SLICES) {
        const out = new Float32Array(ref.length).fill(Number.NaN);
        withSlices(slice, () => kernel().conv2d(x, f, convGeometry(g), out));
        const e = relErr(out, ref);
        assert.ok(e < 1e-5, `slices of ${slice} bytes: relative error ${e}`);
      }
    });
    if (c.dilations) continue; // tfjs's filter gradient has no dilation
    it(`filter gradient ${label}`, () => {
      const g = info(c);
      const x = random(c.x, 5);
      const dy = random(g.outShape, 6);
      const ref = onCpu(
        [
          [x, c.x],
          [dy, g.outShape],
        ],
        (a, b) =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: a, dy: b },
              { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f },
            ) as tf.Tensor,
      );
      for (const slice of SLICES) {
        const out = new Float32Array(ref.length).fill(Number.NaN);
        withSlices(slice, () => kernel().filterGrad(x, dy, convGeometry(g), out));
        const e = relErr(out, ref);
        assert.ok(e < 1e-5, `slices of ${slice} bytes: relative error ${e}`);
      }
    });
  }

  it('sumRows: per-channel sums over every row, whole and in slices', () => {
    const [rows, c] = [1001, 7];
    const x = random([rows, c], 7);
    const ref = new Float64Array(c);
    for (let i = 0; i < x.length; i++) ref[i % c] += x[i];
    for (const slice of SLICES) {
      const out = new Float32Array(c).fill(Number.NaN);
      withSlices(slice, () => kernel().sumRows(x, c, out));
      const e = relErr(out, ref);
      assert.ok(e < 1e-6, `slices of ${slice} bytes: relative error ${e}`);
    }
  });

  for (const [k, s, pad] of [
    [3, 2, 'valid'],
    [2, 2, 'same'],
    [3, 1, 'same'],
  ] as const) {
    it(`maxPoolGrad ${k}x${k} stride ${s} ${pad} after a ReLU (ties at 0), 4 + 2 channels, whole and in slices`, () => {
      const shape = [3, 9, 8, 6];
      const x = onCpu([[random(shape, 8), shape]], (a) => tf.relu(a));
      const g = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], k, s, 1, pad);
      const dy = random(g.outShape, 9);
      const ref = onCpu(
        [
          [x, shape],
          [dy, g.outShape],
        ],
        (a, b) =>
          tf
            .engine()
            .runKernel(
              'MaxPoolGrad',
              { dy: b, input: a, output: tf.maxPool(a as tf.Tensor4D, k, s, pad) },
              { filterSize: k, strides: s, pad },
            ) as tf.Tensor,
      );
      const geometry = {
        n: 3,
        h: 9,
        w: 8,
        c: 6,
        oh: g.outHeight,
        ow: g.outWidth,
        kh: k,
        kw: k,
        sh: s,
        sw: s,
        padTop: g.padInfo.top,
        padLeft: g.padInfo.left,
      };
      for (const slice of SLICES) {
        const dx = new Float32Array(x.length).fill(Number.NaN);
        withSlices(slice, () => kernel().maxPoolGrad(x, dy, geometry, dx));
        // Same positions (the tie rule), same sums up to the order overlapping windows add in.
        assert.deepEqual(
          Array.from(dx, (v) => v !== 0),
          Array.from(ref, (v) => v !== 0),
          `slices of ${slice} bytes: positions`,
        );
        const e = relErr(dx, ref);
        assert.ok(e < 1e-6, `slices of ${slice} bytes: relative error ${e}`);
      }
    });
  }
});

describe('the wasm backend runs its convolutions on nin-kernels', () => {
  before(() => registerWasmTrainingKernels('wasm'));
  after(async () => {
    setNinKernelsEnabled(true);
    await tf.setBackend('cpu');
  });

  /** How many times the kernel's conv2d ran during `f` on wasm. */
  async function conv2dCalls(f: () => tf.Tensor): Promise<number> {
    await tf.setBackend('wasm');
    const k = kernel();
    const original = k.conv2d;
    let calls = 0;
    k.conv2d = function (...args: Parameters<NinKernels['conv2d']>) {
      calls++;
      return original.apply(this, args);
    };
    try {
      tf.tidy(() => f().dataSync());
    } finally {
      k.conv2d = original;
    }
    return calls;
  }

  it('Conv2D and the stride-1 input gradient go to nin-kernels, and back to XNNPACK when it is off', async () => {
    const x = () => tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = () => tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 2) as tf.Tensor4D;
    const gradX = () => tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w(), 1, 'same')))(x());
    assert.equal(await conv2dCalls(() => tf.conv2d(x(), w(), 1, 'same')), 1);
    assert.equal(await conv2dCalls(gradX), 2); // the forward conv and dx as a conv of dy
    setNinKernelsEnabled(false);
    assert.equal(await conv2dCalls(() => tf.conv2d(x(), w(), 1, 'same')), 0);
    setNinKernelsEnabled(true);
  });

  it('FusedConv2D with bias and ReLU (inference) matches the cpu backend', async () => {
    const run = async (backend: string): Promise<Float32Array> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 9, 6], 0, 1, 'float32', 3) as tf.Tensor4D;
        const filter = tf.randomNormal([3, 3, 6, 10], 0, 1, 'float32', 4) as tf.Tensor4D;
        const bias = tf.randomNormal([10], 0, 1, 'float32', 5);
        return tf.fused
          .conv2d({ x, filter, bias, strides: 1, pad: 'same', activation: 'relu' })
          .dataSync() as Float32Array;
      });
    };
    const ref = await run('cpu');
    const ours = await run('wasm');
    assert.ok(ref.some((v) => v === 0) && ref.some((v) => v > 0), 'the ReLU should clip some outputs');
    const e = relErr(ours, ref);
    assert.ok(e < 1e-5, `relative error ${e}`);
  });

  it("a Linear layer's fused product (bias, ReLU) runs on nin-kernels and matches the cpu backend", async () => {
    const run = async (backend: string): Promise<Float32Array> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const a = tf.randomNormal([7, 300], 0, 1, 'float32', 3) as tf.Tensor2D;
        const b = tf.randomNormal([300, 40], 0, 1, 'float32', 4) as tf.Tensor2D;
        const bias = tf.randomNormal([40], 0, 1, 'float32', 5);
        return tf.fused.matMul({ a, b, bias, activation: 'relu' }).dataSync() as Float32Array;
      });
    };
    const ref = await run('cpu');
    const k = kernel();
    const original = k.matMul;
    let calls = 0;
    k.matMul = function (...args: Parameters<NinKernels['matMul']>) {
      calls++;
      return original.apply(this, args);
    };
    let ours: Float32Array;
    try {
      ours = await run('wasm');
    } finally {
      k.matMul = original;
    }
    assert.equal(calls, 1, 'the product ran on nin-kernels');
    assert.ok(ref.some((v) => v === 0) && ref.some((v) => v > 0), 'the ReLU should clip some outputs');
    assert.ok(relErr(ours, ref) < 1e-5, `relative error ${relErr(ours, ref)}`);
  });

  it('slices stay large when the fixed operand alone is over the budget (a 4096x4096 weight)', () => {
    // Before: one row per call, so the 64 MB weight was packed again for every row of the batch.
    const budget = SLICE_BYTES;
    assert.equal(sliceItems(128, (4096 + 4096) * 4, 4096 * 4096 * 4, budget), 128);
    assert.equal(sliceItems(10_000, 1 << 20, 0, budget), 32, 'within the budget as before');
  });
});
