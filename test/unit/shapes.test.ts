import * as assert from 'node:assert/strict';
import { inferShapes } from '../../src/model/shapes';
import { parseInputShape, presetSpec, type PresetName, type Shape3 } from '../../src/model/spec';
import { windowOutput } from '../../src/model/window';
import { fixture } from './helpers';

interface TorchCase {
  input: Shape3;
  layers: { output: number[]; params: number }[];
  params?: number;
  errorAt?: number;
}
const torch = fixture<{ presets: Record<PresetName, TorchCase[]> }>('pytorch-nin-shapes.json');

describe('shape inference against PyTorch', () => {
  for (const [preset, cases] of Object.entries(torch.presets) as [PresetName, TorchCase[]][]) {
    for (const c of cases) {
      it(`${preset} at ${c.input.join('x')}`, () => {
        const r = inferShapes(presetSpec(preset, c.input));
        const ok = c.errorAt === undefined ? c.layers : c.layers.slice(0, c.errorAt);
        assert.deepEqual(
          r.layers.slice(0, ok.length).map((l) => [l.output, l.params]),
          ok.map((l) => [l.output, l.params]),
        );
        if (c.errorAt === undefined) {
          assert.equal(r.error, undefined);
          assert.equal(r.params, c.params);
        } else {
          assert.equal(r.error?.layerIndex, c.errorAt);
          assert.equal(r.layers.length, c.errorAt);
        }
      });
    }
  }

  it('reproduces the article table (DESIGN.md) for the seed preset', () => {
    const r = inferShapes(presetSpec('seed'));
    assert.deepEqual(
      r.layers.map((l) => l.output.join('x')),
      ['96x54x54', '96x26x26', '256x26x26', '256x12x12', '384x12x12', '384x5x5', '384x5x5', '10x5x5', '10x1x1', '10'],
    );
    assert.deepEqual(
      r.layers.filter((l) => l.kind === 'nin_block').map((l) => l.params),
      [30336, 746240, 1180800, 34790],
    );
    assert.equal(r.params, 1_992_166);
  });

  it('names the layer and sizes when a configuration collapses', () => {
    const r = inferShapes(presetSpec('seed', 66));
    assert.equal(r.error?.name, 'maxpool_3');
    assert.match(r.error?.message ?? '', /window 3 is larger than its padded input 2/);
  });

  it('counts FLOPs as 2 x multiply-accumulates of the convolutions', () => {
    const b1 = inferShapes(presetSpec('seed')).layers[0];
    // 11x11 conv: 96 filters x 121 taps x 54x54 positions; two 1x1 convs: 96x96 x 54x54 each.
    assert.equal(b1.flops, 2 * (96 * 121 * 54 * 54 + 2 * 96 * 96 * 54 * 54));
  });
});

describe('window arithmetic', () => {
  it('shows the formula with the numbers', () => {
    assert.deepEqual(windowOutput({ size: 224, kernel: 11, stride: 4, padding: 0 }), {
      ok: true,
      size: 54,
      formula: 'floor((224 + 2*0 - 11) / 4) + 1 = 54',
    });
  });
  it('follows PyTorch ceil_mode, including the dropped last window', () => {
    // Measured with torch 1.13: MaxPool2d(2, 2, ceil_mode=True) on 5 -> 3;
    // MaxPool2d(3, 2, padding=1, ceil_mode=True) on 6 -> 4; MaxPool2d(3, 3, padding=1, ceil_mode=True) on 5 -> 2.
    const size = (s: number, k: number, st: number, p: number) => {
      const r = windowOutput({ size: s, kernel: k, stride: st, padding: p, ceilMode: true });
      return r.ok ? r.size : r.message;
    };
    assert.deepEqual([size(5, 2, 2, 0), size(6, 3, 2, 1), size(5, 3, 3, 1)], [3, 4, 2]);
  });
  it('accounts for dilation', () => {
    const r = windowOutput({ size: 10, kernel: 3, stride: 1, padding: 0, dilation: 2 });
    assert.ok(r.ok && r.size === 6);
  });
});

describe('input shape parsing', () => {
  it('accepts N, C,H,W, CxHxW, C * H * W and (C, H, W)', () => {
    assert.deepEqual(parseInputShape('96'), [1, 96, 96]);
    assert.deepEqual(parseInputShape('3,32,32'), [3, 32, 32]);
    assert.deepEqual(parseInputShape('1x224x224'), [1, 224, 224]);
    assert.deepEqual(parseInputShape('1 * 224 * 224'), [1, 224, 224]);
    assert.deepEqual(parseInputShape('(1, 28, 28)'), [1, 28, 28]);
  });
  it('rejects garbage with the text in the message', () => {
    assert.throws(() => parseInputShape('1,2'), /"1,2"/);
    assert.throws(() => parseInputShape('0'), /positive/);
    assert.throws(() => parseInputShape('a,b,c'), /"a,b,c"/);
  });
});
