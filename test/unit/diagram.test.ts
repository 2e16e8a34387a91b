import * as assert from 'node:assert/strict';
import { compact, diagramLayout, english, shapeText, type Translate } from '../../src/model/diagram';
import { fcHeadComparison } from '../../src/model/fcHead';
import { inferShapes } from '../../src/model/shapes';
import { presetSpec, type PresetName, type Shape3 } from '../../src/model/spec';
import { fixture } from './helpers';

interface TorchFc {
  input: Shape3;
  featureShape: number[];
  features: number;
  headParams: number;
  ninHeadParams: number;
  ninTotalParams: number;
  fcTotalParams: number;
}
const torchFc = fixture<{ presets: Record<PresetName, TorchFc[]> }>('pytorch-fc-head.json');

describe('architecture diagram layout', () => {
  it('seed: the article table, block by block, with input and output shapes', () => {
    const d = diagramLayout(inferShapes(presetSpec('seed')));
    const rows = d.blocks.map((b) => [b.id, b.kind, b.input, b.output, b.params]);
    assert.deepEqual(rows, [
      ['input', 'input', '1×224×224', '1×224×224', 0],
      ['nin_block_1', 'nin_block', '1×224×224', '96×54×54', 30336],
      ['maxpool_1', 'maxpool', '96×54×54', '96×26×26', 0],
      ['nin_block_2', 'nin_block', '96×26×26', '256×26×26', 746240],
      ['maxpool_2', 'maxpool', '256×26×26', '256×12×12', 0],
      ['nin_block_3', 'nin_block', '256×12×12', '384×12×12', 1180800],
      ['maxpool_3', 'maxpool', '384×12×12', '384×5×5', 0],
      ['dropout', 'dropout', '384×5×5', '384×5×5', 0],
      ['nin_block_4', 'nin_block', '384×5×5', '10×5×5', 34790],
      ['global_avg_pool', 'gap', '10×5×5', '10×1×1', 0],
      ['flatten', 'flatten', '10×1×1', '10', 0],
      ['output', 'output', '10', '10', 0],
    ]);
    assert.equal(d.params, 1_992_166);
    assert.equal(d.error, undefined);
  });

  it('seed: each nin_block shows its kxk conv and two 1x1 convs with their own shapes and params', () => {
    const d = diagramLayout(inferShapes(presetSpec('seed')));
    const b1 = d.blocks.find((b) => b.id === 'nin_block_1')!;
    assert.deepEqual(
      b1.parts.map((p) => [p.kind, p.label, p.output, p.params]),
      [
        ['conv', '11×11 conv, 96 channels, stride 4, pad 0 + ReLU', '96×54×54', 11 * 11 * 96 + 96],
        ['conv1x1', '1×1 conv, 96 channels + ReLU', '96×54×54', 96 * 96 + 96],
        ['conv1x1', '1×1 conv, 96 channels + ReLU', '96×54×54', 96 * 96 + 96],
      ],
    );
    assert.equal(b1.title, 'NiN block 1');
    assert.equal(b1.formula, 'floor((224 + 2*0 - 11) / 4) + 1 = 54');
    assert.equal(d.blocks.find((b) => b.id === 'maxpool_1')!.title, 'Max pooling 3×3, stride 2');
    assert.equal(d.blocks.find((b) => b.id === 'global_avg_pool')!.title, 'Global average pooling');
    assert.equal(d.blocks.find((b) => b.id === 'dropout')!.title, 'Dropout 0.5');
    // Sum of the parts is the block; shares sum to 1.
    for (const b of d.blocks)
      if (b.parts.length)
        assert.equal(
          b.parts.reduce((a, p) => a + p.params, 0),
          b.params,
        );
    assert.ok(Math.abs(d.blocks.reduce((a, b) => a + b.paramShare, 0) - 1) < 1e-12);
    assert.ok(Math.abs(d.blocks.reduce((a, b) => a + b.flopShare, 0) - 1) < 1e-12);
  });

  it('compact at 28x28: shapes come from the inference, not from a fixed table', () => {
    const r = inferShapes(presetSpec('compact'));
    const d = diagramLayout(r);
    const inner = d.blocks.filter((b) => b.index >= 0 && b.index < r.spec.layers.length);
    assert.deepEqual(
      inner.map((b) => b.output),
      r.layers.map((l) => shapeText(l.output)),
    );
    assert.deepEqual(inner.map((b) => b.output).slice(0, 3), ['32×28×28', '32×13×13', '64×13×13']);
    assert.equal(
      d.blocks.find((b) => b.id === 'nin_block_1')!.parts[0].label,
      '5×5 conv, 32 channels, stride 1, pad 2 + ReLU',
    );
    assert.equal(d.params, r.params);
  });

  it('rows never overlap and fit the drawing', () => {
    for (const preset of ['seed', 'compact'] as const) {
      const d = diagramLayout(inferShapes(presetSpec(preset)));
      for (let i = 1; i < d.blocks.length; i++) {
        const a = d.blocks[i - 1];
        assert.ok(d.blocks[i].y >= a.y + a.height + 10, `${preset}: ${d.blocks[i].id} overlaps ${a.id}`);
        for (const p of a.parts)
          assert.ok(p.y >= a.y && p.y + p.height <= a.y + a.height, `${a.id} part outside its block`);
      }
      const last = d.blocks.at(-1)!;
      assert.ok(last.y + last.height <= d.height);
    }
  });

  it('a collapsing configuration is marked on the block where it breaks, with no output row', () => {
    const d = diagramLayout(inferShapes(presetSpec('seed', 32)));
    const bad = d.blocks.filter((b) => b.error);
    assert.equal(bad.length, 1);
    assert.match(bad[0].error!, /^(nin_block|maxpool)_\d/);
    assert.equal(bad[0].output, '');
    assert.equal(d.blocks.at(-1), bad[0]);
    assert.equal(d.fcHead, undefined);
    assert.ok(d.error);
  });

  it('labels go through the translator with their placeholders filled', () => {
    const seen: string[] = [];
    const t: Translate = (m, a) => {
      seen.push(m);
      return `«${english(m, a)}»`;
    };
    const d = diagramLayout(inferShapes(presetSpec('seed')), t);
    assert.equal(d.blocks[1].title, '«NiN block 1»');
    assert.ok(seen.includes('{k}×{k} conv, {c} channels, stride {s}, pad {p} + ReLU'));
    assert.ok(seen.every((m) => !/[«»]/.test(m)));
  });

  it('compact() keeps three significant digits', () => {
    assert.equal(compact(1_992_166), '1.99 M');
    assert.equal(compact(999), '999');
    assert.equal(compact(1_170_000_000), '1.17 G');
  });
});

describe('fully connected head comparison against PyTorch', () => {
  for (const [preset, cases] of Object.entries(torchFc.presets) as [PresetName, TorchFc[]][]) {
    for (const c of cases) {
      it(`${preset} at ${c.input.join('x')}: ${c.features} features, ${c.headParams} head params`, () => {
        const fc = fcHeadComparison(inferShapes(presetSpec(preset, c.input)))!;
        assert.deepEqual(fc.featureShape, c.featureShape);
        assert.equal(fc.features, c.features);
        assert.equal(fc.headParams, c.headParams);
        assert.equal(fc.ninHeadParams, c.ninHeadParams);
        assert.equal(fc.ninTotalParams, c.ninTotalParams);
        assert.equal(fc.fcTotalParams, c.fcTotalParams);
        assert.deepEqual(
          fc.linears.map((l) => [l.inFeatures, l.outFeatures]),
          [
            [c.features, 4096],
            [4096, 4096],
            [4096, 10],
          ],
        );
      });
    }
  }

  it('the article network: an FC head would cost about 29 times the parameters', () => {
    const fc = diagramLayout(inferShapes(presetSpec('seed'))).fcHead!;
    assert.equal(fc.fromName, 'nin_block_4');
    assert.equal(fc.headParams, 56_147_978);
    assert.ok(fc.ratio > 29 && fc.ratio < 30, String(fc.ratio));
  });
});
