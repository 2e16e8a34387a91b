import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildNetwork, crossEntropy } from '../../src/model/network';
import { PRESET_NAMES, presetSpec, type PresetName, type Shape3 } from '../../src/model/spec';
import { fixture } from './helpers';

interface TorchCase {
  input: Shape3;
  layers: { output: number[]; params: number }[];
  params?: number;
  errorAt?: number;
}
const torch = fixture<{ presets: Record<PresetName, TorchCase[]> }>('pytorch-nin-shapes.json');

/** NHWC layer output shape (batch dropped) as C x H x W, or [n] for vectors. */
function chw(shape: tfl.Shape | tfl.Shape[]): number[] {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  const dims = s.slice(1) as number[];
  return dims.length === 3 ? [dims[2], dims[0], dims[1]] : dims;
}

describe('tfjs network built from the spec', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const cases: [PresetName, number][] = [
    ['seed', 224],
    ['seed', 96],
    ['seed', 128],
    ['compact', 28],
    ['compact', 32],
    ['compact', 56],
  ];
  for (const [preset, size] of cases) {
    it(`${preset} at ${size}: every row's shape and the parameter count match the inference`, () => {
      const { model, report, rowEnds } = buildNetwork(presetSpec(preset, size));
      try {
        assert.deepEqual(
          rowEnds.map((n) => chw(model.getLayer(n).outputShape)),
          report.layers.map((l) => [...l.output]),
        );
        assert.equal(model.countParams(), report.params);
      } finally {
        model.dispose();
      }
    });
  }

  it('every preset is measured in PyTorch, and each tfjs layer matches its shape and parameters there', () => {
    assert.deepEqual(Object.keys(torch.presets).sort(), [...PRESET_NAMES].sort());
    for (const [preset, cases] of Object.entries(torch.presets) as [PresetName, TorchCase[]][]) {
      for (const c of cases.filter((x) => x.errorAt === undefined)) {
        const { model, rowEnds } = buildNetwork(presetSpec(preset, c.input));
        try {
          const layerParams = (end: string, i: number): number => {
            // A row's parameters: the tfjs layers from the previous row's end to this one.
            const start = i === 0 ? 1 : model.layers.findIndex((l) => l.name === rowEnds[i - 1]) + 1;
            const stop = model.layers.findIndex((l) => l.name === end);
            return model.layers.slice(start, stop + 1).reduce((a, l) => a + l.countParams(), 0);
          };
          assert.deepEqual(
            rowEnds.map((n, i) => [chw(model.getLayer(n).outputShape), layerParams(n, i)]),
            c.layers.map((l) => [l.output, l.params]),
            `${preset} at ${c.input.join('x')}`,
          );
          assert.equal(model.countParams(), c.params);
        } finally {
          model.dispose();
        }
      }
    }
  });

  it("flattens channel-major, as PyTorch does, so a Linear layer's weights mean the same in both", () => {
    const { model, rowEnds } = buildNetwork(presetSpec('compact-fc'));
    try {
      const flat = rowEnds.findIndex((n) => n === 'flatten');
      const before = tfl.model({
        inputs: model.inputs,
        outputs: model.getLayer(rowEnds[flat - 1]).output as tfl.SymbolicTensor,
      });
      const upto = tfl.model({ inputs: model.inputs, outputs: model.getLayer('flatten').output as tfl.SymbolicTensor });
      const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3);
      const nhwc = (before.predict(x) as tf.Tensor4D).arraySync();
      const flatOut = (upto.predict(x) as tf.Tensor2D).arraySync();
      const [h, w, c] = [nhwc[0].length, nhwc[0][0].length, nhwc[0][0][0].length];
      assert.ok(h * w > 1, 'the flatten sees a spatial map');
      for (let n = 0; n < 2; n++)
        for (let ch = 0; ch < c; ch++)
          for (let i = 0; i < h; i++)
            for (let j = 0; j < w; j++) assert.equal(flatOut[n][(ch * h + i) * w + j], nhwc[n][i][j][ch]);
      x.dispose();
    } finally {
      model.dispose();
    }
  });

  it('initialises conv kernels Xavier-uniform and biases at zero', () => {
    const { model } = buildNetwork(presetSpec('compact'));
    try {
      const [kernel, bias] = model.getLayer('nin_block_2_conv').getWeights();
      // fan_in = 5*5*32, fan_out = 5*5*64: bound sqrt(6 / (fan_in + fan_out)).
      const bound = Math.sqrt(6 / (5 * 5 * 32 + 5 * 5 * 64));
      const max = Math.max(...Array.from(kernel.dataSync(), Math.abs));
      // The bound as float32 (the draw is float32: it can equal the rounded-up bound).
      assert.ok(max <= Math.fround(bound) && max > 0.95 * bound, `max |w| ${max} vs bound ${bound}`);
      assert.ok(bias.dataSync().every((v) => v === 0));
    } finally {
      model.dispose();
    }
  });

  it('produces 10 logits per image and a finite cross-entropy near ln(10) at init', () => {
    const { model } = buildNetwork(presetSpec('compact'));
    try {
      const loss = tf.tidy(() => {
        const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 7);
        const logits = model.predict(x) as tf.Tensor2D;
        assert.deepEqual(logits.shape, [4, 10]);
        return crossEntropy(tf.tensor1d([0, 1, 2, 3], 'int32'), logits).dataSync()[0];
      });
      assert.ok(Math.abs(loss - Math.log(10)) < 0.5, `loss ${loss}`);
    } finally {
      model.dispose();
    }
  });

  it('pads explicitly where tfjs "same" is not PyTorch padding (stride 2, padding 1), and the shapes still match', () => {
    const seed = presetSpec('seed', 96);
    const layers = seed.layers.map((l, i) => (i === 0 && l.kind === 'nin_block' ? { ...l, stride: 2, padding: 1 } : l));
    const { model, report, rowEnds } = buildNetwork({ ...seed, layers });
    try {
      assert.ok(model.layers.some((l) => l.name === 'nin_block_1_pad'));
      assert.ok(!model.layers.some((l) => l.name === 'nin_block_2_pad'), 'a stride-1 conv with 2p = k-1 pads itself');
      assert.deepEqual(
        rowEnds.map((n) => chw(model.getLayer(n).outputShape)),
        report.layers.map((l) => [...l.output]),
      );
    } finally {
      model.dispose();
    }
  });

  for (const [k, p] of [
    [5, 2],
    [3, 1],
  ]) {
    it(`a stride-1 ${k}x${k} conv with "same" equals zero padding ${p} then "valid" (PyTorch's padding)`, () => {
      const err = tf.tidy(() => {
        const x = tf.randomNormal<tf.Rank.R4>([2, 9, 7, 3], 0, 1, 'float32', 3);
        const w = tf.randomNormal<tf.Rank.R4>([k, k, 3, 4], 0, 1, 'float32', 4);
        const same = tf.conv2d(x, w, 1, 'same');
        const explicit = tf.conv2d(
          tf.pad(x, [
            [0, 0],
            [p, p],
            [p, p],
            [0, 0],
          ]),
          w,
          1,
          'valid',
        );
        return tf.max(tf.abs(tf.sub(same, explicit))).dataSync()[0];
      });
      assert.ok(err < 1e-5, `max |same - explicit| = ${err}`);
    });
  }

  it('rejects a collapsing configuration with the layer name', () => {
    assert.throws(() => buildNetwork(presetSpec('seed', 66)), /maxpool_3/);
  });
});

describe('a 1x1 convolution is a dense layer applied at every pixel', () => {
  it('matches x[h,w,:] . W + b at each position', () => {
    tf.tidy(() => {
      const x = tf.randomNormal<tf.Rank.R4>([2, 5, 7, 3], 0, 1, 'float32', 1);
      const w = tf.randomNormal([3, 4], 0, 1, 'float32', 2);
      const b = tf.randomNormal([4], 0, 1, 'float32', 3);
      const conv = tf.add(tf.conv2d(x, tf.reshape(w, [1, 1, 3, 4]) as tf.Tensor4D, 1, 'valid'), b);
      const dense = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [2 * 5 * 7, 3]), w), b), [2, 5, 7, 4]);
      assert.deepEqual(conv.shape, [2, 5, 7, 4]);
      const err = tf.max(tf.abs(tf.sub(conv, dense))).dataSync()[0];
      assert.ok(err < 1e-5, `max difference ${err}`);
    });
  });
});
