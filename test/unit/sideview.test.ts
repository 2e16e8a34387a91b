import * as assert from 'node:assert/strict';
import { validateHostToSideView, validateSideViewMessage } from '../../src/protocol/index';
import { buildSideViewState } from '../../src/extension/sideView/state';
import { englishT } from '../../src/extension/settings';
import { fixture } from './helpers';

interface TorchCase {
  input: number[];
  layers?: { output: number[]; params: number }[];
  params?: number;
}

describe('architecture side view', () => {
  it('the seed network at 224x224: every row has the shapes and parameters PyTorch measured', () => {
    const s = buildSideViewState({ preset: 'seed', input: 224 }, [], false, englishT);
    assert.equal(s.error, undefined);
    assert.deepEqual(s.input, [1, 224, 224]);
    assert.deepEqual(
      s.rows.map((r) => [r.name, r.output.join('x'), r.params]),
      [
        ['nin_block_1', '96x54x54', 30336],
        ['maxpool_1', '96x26x26', 0],
        ['nin_block_2', '256x26x26', 746240],
        ['maxpool_2', '256x12x12', 0],
        ['nin_block_3', '384x12x12', 1180800],
        ['maxpool_3', '384x5x5', 0],
        ['dropout', '384x5x5', 0],
        ['nin_block_4', '10x5x5', 34790],
        ['global_avg_pool', '10x1x1', 0],
        ['flatten', '10', 0],
      ],
    );
    assert.equal(s.params, 1992166);
    assert.ok(s.rows.every((r) => r.status === 'ok'));
    assert.equal(s.rows[0].label, 'NiN block 1');
    assert.match(s.rows[0].detail, /^11×11 conv \(stride 4, padding 0\) → 1×1 conv → 1×1 conv, 96 channels/);
    assert.equal(s.rows[8].label, 'Global average pooling');
    assert.ok(validateHostToSideView({ type: 'state', state: s }).ok);
  });

  it('both presets at every size in the PyTorch fixture agree on shapes and parameters', () => {
    const f = fixture<{ presets: Record<'seed' | 'compact', TorchCase[]> }>('pytorch-nin-shapes.json');
    let checked = 0;
    for (const preset of ['seed', 'compact'] as const) {
      for (const c of f.presets[preset]) {
        if (c.input[0] !== 1 || c.input[1] !== c.input[2] || !c.layers?.length || c.layers.length < 10) continue;
        const s = buildSideViewState({ preset, input: c.input[1] }, [], false, englishT);
        assert.deepEqual(s.rows.map((r) => r.output), c.layers.map((l) => l.output), `${preset} at ${c.input.join('x')}`);
        assert.deepEqual(s.rows.map((r) => r.params), c.layers.map((l) => l.params), `${preset} at ${c.input.join('x')}`);
        assert.equal(s.params, c.params);
        checked++;
      }
    }
    assert.ok(checked >= 4, `checked ${checked} cases`);
  });

  it('a collapsing configuration is an error on the block where it breaks; the rest is unreached', () => {
    const s = buildSideViewState({ preset: 'seed', input: 66 }, [], false, englishT);
    const err = s.rows.findIndex((r) => r.status === 'error');
    assert.equal(s.rows[err].name, 'maxpool_3', 'the CLI and PyTorch agree: 66x66 breaks at the third max-pool');
    assert.match(s.rows[err].error ?? '', /^maxpool_3: /);
    assert.deepEqual(s.rows[err].input, s.rows[err - 1].output, 'the broken row shows what it received');
    assert.ok(s.rows.slice(0, err).every((r) => r.status === 'ok'));
    assert.ok(s.rows.slice(err + 1).every((r) => r.status === 'unreached' && r.output.length === 0));
    assert.match(s.error ?? '', /collapses at maxpool_3 for a 66×66 input/);
    assert.ok(validateHostToSideView({ type: 'state', state: s }).ok);
  });

  it('carries the settings issues and the running flag', () => {
    const s = buildSideViewState({ preset: 'compact', input: 28 }, ['Setting "nin.epochs": bad'], true, englishT);
    assert.deepEqual(s.issues, ['Setting "nin.epochs": bad']);
    assert.equal(s.running, true);
    assert.ok(Object.values(s.strings).every((v) => typeof v === 'string' && v.length > 0));
  });

  it('texts go through the translator', () => {
    const zh = (m: string, ...a: Array<string | number | boolean>) => `«${englishT(m, ...a)}»`;
    const s = buildSideViewState({ preset: 'seed', input: 224 }, [], false, zh);
    assert.ok(s.rows.every((r) => r.label.startsWith('«') && r.detail.startsWith('«')));
    assert.ok(Object.values(s.strings).every((v) => v.startsWith('«')));
  });

  it('messages from the view are validated; unknown or malformed ones are rejected', () => {
    assert.ok(validateSideViewMessage({ type: 'ready' }).ok);
    assert.ok(validateSideViewMessage({ type: 'reveal', index: 2, name: 'nin_block_2' }).ok);
    assert.ok(validateSideViewMessage({ type: 'openSettings', setting: 'nin.inputSize' }).ok);
    assert.ok(validateSideViewMessage({ type: 'openSettings' }).ok);
    for (const bad of [
      null,
      'ready',
      { type: 'reveal', index: -1, name: 'nin_block_1' },
      { type: 'reveal', index: 1, name: '<img onerror=x>' },
      { type: 'openSettings', setting: 'workbench.colorTheme' },
      { type: 'runCommand', command: 'x' },
    ]) {
      assert.equal(validateSideViewMessage(bad).ok, false, JSON.stringify(bad));
    }
    assert.equal(validateHostToSideView({ type: 'state', state: { rows: 'x' } }).ok, false);
  });
});
