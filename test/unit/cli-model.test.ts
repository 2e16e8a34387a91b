// `nin train --model FILE[:NAME]` / `nin shapes --model`: the reader's own network, read from code
// and trained in TensorFlow.js without running the code; the run keeps what it trained.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ARTICLE_RECIPE, validateConfig, validateEvent, type TrainEvent } from '../../src/protocol/index';
import { runPaths } from '../../src/runs';
import { ROOT, runCli } from './helpers';

const LENET = join(ROOT, 'test', 'fixtures', 'models', 'lenet.py');

describe('training a network read from code (nin train --model)', function () {
  this.timeout(240_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'nin-model-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trains LeNet from its file to done; the run records the code and the network, so eval ignores a later edit', () => {
    const file = join(dir, 'lenet.py');
    copyFileSync(LENET, file);
    const text = readFileSync(file, 'utf8');
    const args = ['--optimizer', 'adam', '--lr', '0.002', '--epochs', '1', '--limit-train', '256', '--limit-test', '64', '--batch-size', '64'];
    const r = runCli(['train', '--model', file, ...args, '--runs', join(dir, 'runs'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => {
        const v = validateEvent(JSON.parse(l));
        assert.ok(v.ok, v.ok ? '' : v.error);
        return v.value;
      });
    const start = events.find((e): e is Extract<TrainEvent, { type: 'start' }> => e.type === 'start')!;
    const done = events.find((e): e is Extract<TrainEvent, { type: 'done' }> => e.type === 'done')!;
    assert.ok(done, 'ends done');
    assert.deepEqual([start.config.preset, start.config.model?.name, start.config.model?.file, start.params, start.config.input], ['model', 'net', file, 61_706, 28]);
    assert.equal(start.config.model?.params, 61_706);
    assert.match(basename(done.runDir), /-net28-adam$/);
    const saved = JSON.parse(readFileSync(runPaths(done.runDir).config, 'utf8'));
    assert.equal(saved.model.source, text, 'the code as it was');
    // A later edit of the file does not change what the run was.
    writeFileSync(file, 'this is not python any more');
    const ev = runCli(['eval', done.runDir, '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    assert.equal(JSON.parse(ev.stdout).testAcc, done.testAcc);
  });

  it("a config's model is checked: preset 'model' goes with a model and only it, layers are well-formed, the input fits", () => {
    const model = { name: 'net', file: '/f.py', source: 'x', input: [1, 28, 28], layers: [{ kind: 'flatten' }, { kind: 'linear', outFeatures: 10 }], params: 7850 };
    const base = { ...ARTICLE_RECIPE, dataDir: '', runsDir: '' };
    assert.equal(validateConfig({ ...base, preset: 'model', input: 28, model }).ok, true);
    const bad = (c: unknown) => {
      const v = validateConfig(c);
      return v.ok ? '' : v.error;
    };
    assert.match(bad({ ...base, preset: 'model', input: 28 }), /goes with a model/);
    assert.match(bad({ ...base, preset: 'compact', input: 28, model }), /goes with a model/);
    assert.match(bad({ ...base, preset: 'model', input: 32, model }), /input 1x28x28 is not 32x32/);
    assert.match(bad({ ...base, preset: 'model', input: 28, model: { ...model, layers: [{ kind: 'linear', outFeatures: 0 }] } }), /model/);
    assert.match(bad({ ...base, preset: 'model', input: 28, model: { ...model, layers: [{ kind: 'flatten', extra: 1 }] } }), /model/);
  });

  it('shapes --model prints the network as tfjs will build it; a model it cannot build, or a bad pick, is a usage error saying why', () => {
    const s = runCli(['shapes', '--model', LENET, '--json']);
    assert.equal(s.code, 0, s.stderr);
    const j = JSON.parse(s.stdout);
    assert.deepEqual([j.params, j.input, j.layers.at(-1).output], [61_706, [1, 28, 28], [10]]);
    const cls = join(dir, 'cls.py');
    writeFileSync(cls, 'import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(784, 10)\n    def forward(self, x):\n        return self.fc(x.flatten(1))\n');
    const c = runCli(['train', '--model', cls, '--epochs', '1']);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /Net\(\): a module with its own forward\(\): train it through PyTorch/);
    assert.match(runCli(['train', '--model', LENET, '--preset', 'compact']).stderr, /goes without --preset/);
    assert.match(runCli(['shapes', '--model', `${LENET}:lenet`]).stderr, /has no model lenet \(it has net\)/);
    // A notebook: its code cells as one program (the article's two blocks as two cells).
    const nb = runCli(['shapes', '--model', `${join(ROOT, 'test', 'fixtures', 'pyshape', 'nin_article.ipynb')}:nin()`, '--json']);
    assert.equal(nb.code, 0, nb.stderr);
    assert.deepEqual([JSON.parse(nb.stdout).params, JSON.parse(nb.stdout).layers[0].kind], [1_992_166, 'nin_block']);
  });
});
