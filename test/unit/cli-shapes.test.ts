import * as assert from 'node:assert/strict';
import { runCli } from './helpers';

interface ShapesJson {
  preset: string;
  input: number[];
  layers: { name: string; kind: string; output: number[]; params: number; flops: number }[];
  params: number;
  flops: number;
}

describe('nin shapes (CLI)', () => {
  it('--json prints exactly one object with the article table', () => {
    const r = runCli(['shapes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const j = JSON.parse(lines[0]) as ShapesJson;
    assert.deepEqual(j.input, [1, 224, 224]);
    assert.equal(j.params, 1_992_166);
    assert.equal(j.layers.length, 10);
    assert.deepEqual(j.layers[0], {
      name: 'nin_block_1',
      kind: 'nin_block',
      output: [96, 54, 54],
      params: 30336,
      flops: j.layers[0].flops,
    });
  });

  it('--input 96 gives the PyTorch shapes', () => {
    const j = JSON.parse(runCli(['shapes', '--input', '96', '--json']).stdout) as ShapesJson;
    assert.deepEqual(
      j.layers.map((l) => l.output.join('x')),
      ['96x22x22', '96x10x10', '256x10x10', '256x4x4', '384x4x4', '384x1x1', '384x1x1', '10x1x1', '10x1x1', '10'],
    );
  });

  it('--input 66 is an error at the third max-pool, exit 1', () => {
    const r = runCli(['shapes', '--input', '66', '--json']);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as { error: { layerIndex: number; name: string; message: string } };
    assert.equal(j.error.layerIndex, 5);
    assert.equal(j.error.name, 'maxpool_3');
  });

  it('--preset compact totals 181,158 parameters; the table is human-readable', () => {
    const r = runCli(['shapes', '--preset', 'compact']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Total params: 181,158/);
    assert.match(r.stdout, /nin_block_1 \(nin_block\)\s+32x28x28/);
  });

  it('bad flags are usage errors with exit 2', () => {
    assert.equal(runCli(['shapes', '--preset', 'vgg']).code, 2);
    assert.equal(runCli(['shapes', '--input', '1,2']).code, 2);
    assert.equal(runCli(['shapes', '--bogus']).code, 2);
  });
});

describe('nin COMMAND --help', () => {
  for (const command of ['shapes', 'train', 'eval', 'annotate', 'bench']) {
    it(`${command} --help prints its usage on stdout and exits 0, running nothing`, () => {
      const r = runCli([command, '--help'], 30_000);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: nin ${command} `));
      assert.equal(r.stdout.split('\n').filter(Boolean).length, 1, 'only the usage line');
    });
  }
});
