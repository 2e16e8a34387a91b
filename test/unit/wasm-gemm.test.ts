import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { registerWasmTrainingKernels } from '../../src/model/wasm';
import {
  GEMM_WASM,
  SLICE_BYTES,
  convGeometry,
  instantiateGemm,
  loadGemm,
  setGemmEnabled,
  type GemmKernel,
} from '../../src/model/wasm/gemm-module';
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

function kernel(): GemmKernel {
  const { kernel: k, reason } = loadGemm();
  assert.ok(k, `nin-gemm did not load: ${reason}`);
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

describe('nin-gemm.wasm, the fused multiply-add matrix kernel, against the cpu reference kernels', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('loads here (Node 20 needs its relaxed-SIMD flag, which loading sets)', () => {
    kernel();
  });

  it('says why when it cannot load: no file, a corrupt file, or turned off', () => {
    const empty = mkdtempSync(join(tmpdir(), 'nin-gemm-'));
    assert.match(instantiateGemm(empty).reason ?? '', /nin-gemm\.wasm could not be read/);
    const corrupt = mkdtempSync(join(tmpdir(), 'nin-gemm-'));
    writeFileSync(join(corrupt, GEMM_WASM), Buffer.from('\0asm not really'));
    assert.match(instantiateGemm(corrupt).reason ?? '', /nin-gemm\.wasm does not load in this runtime.*relaxed SIMD/);
    process.env.NIN_WASM_GEMM = '0';
    try {
      assert.match(instantiateGemm().reason ?? '', /turned off by NIN_WASM_GEMM=0/);
    } finally {
      delete process.env.NIN_WASM_GEMM;
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
});

describe('the wasm backend runs its convolutions on nin-gemm', () => {
  before(() => registerWasmTrainingKernels('wasm'));
  after(async () => {
    setGemmEnabled(true);
    await tf.setBackend('cpu');
  });

  /** How many times the kernel's conv2d ran during `f` on wasm. */
  async function conv2dCalls(f: () => tf.Tensor): Promise<number> {
    await tf.setBackend('wasm');
    const k = kernel();
    const original = k.conv2d;
    let calls = 0;
    k.conv2d = function (...args: Parameters<GemmKernel['conv2d']>) {
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

  it('Conv2D and the stride-1 input gradient go to nin-gemm, and back to XNNPACK when it is off', async () => {
    const x = () => tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = () => tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 2) as tf.Tensor4D;
    const gradX = () => tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w(), 1, 'same')))(x());
    assert.equal(await conv2dCalls(() => tf.conv2d(x(), w(), 1, 'same')), 1);
    assert.equal(await conv2dCalls(gradX), 2); // the forward conv and dx as a conv of dy
    setGemmEnabled(false);
    assert.equal(await conv2dCalls(() => tf.conv2d(x(), w(), 1, 'same')), 0);
    setGemmEnabled(true);
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
});
