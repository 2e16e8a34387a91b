/**
 * Models built by their code (a class with its own forward()) on the PyTorch engine, with the
 * real PyTorch (Debian's /usr/bin/python3, CPU) on real Fashion-MNIST: `nin train --model
 * --engine pytorch` trains to done without running the file past the model, exports the
 * PyTorch state dict with its SHA-256, `nin eval` evaluates it on PyTorch, the run resumes; a
 * model whose output is not 10 classes is refused before training, the TensorFlow.js engines
 * refuse such a model, and the engine runs none of its code unless the host allows it.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, validateEvent, type TrainConfig, type TrainEvent } from '../../src/protocol/index';
import { specOf, staticSpecOf } from '../../src/model/spec';
import { runTraining } from '../../src/train/engine';
import { networkFlops } from '../../src/train/recipes';
import { PytorchEngine } from '../../src/train/pytorch/engine';
import { runPytorchTraining } from '../../src/train/pytorch/run';
import { ROOT, runCli, TORCH_PYTHON } from './helpers';

const MODELS = join(ROOT, 'test', 'fixtures', 'models');
const DATA = '/usr/share/datasets/fashion-mnist';
const hasTorch = existsSync(TORCH_PYTHON);

type Ev<T extends TrainEvent['type']> = Extract<TrainEvent, { type: T }>;

/** The events of a `--json` CLI run, each validated. */
function events(stdout: string): TrainEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const v = validateEvent(JSON.parse(l));
      assert.ok(v.ok, v.ok ? '' : `${v.error}: ${l.slice(0, 300)}`);
      return v.value;
    });
}
const ofType = <T extends TrainEvent['type']>(es: TrainEvent[], t: T): Ev<T>[] =>
  es.filter((e): e is Ev<T> => e.type === t);

/** A model from code as the CLI records it, for runs started through the API. */
function codeConfig(runsDir: string, source: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    preset: 'model',
    model: {
      name: 'Net()',
      file: join(runsDir, 'net.py'),
      source,
      input: [1, 28, 28],
      build: 'code',
      why: 'a module with its own forward(): train it through PyTorch',
      params: 0,
    },
    input: 28,
    epochs: 1,
    batchSize: 64,
    lr: 0.002,
    optimizer: 'adam',
    limitTrain: 128,
    limitTest: 64,
    backend: 'pytorch',
    seed: 1,
    threads: 0,
    dataDir: DATA,
    runsDir,
    ...over,
  };
}

const SEVEN_CLASSES = [
  'import torch',
  'from torch import nn',
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.fc = nn.Linear(784, 7)',
  '    def forward(self, x):',
  '        return self.fc(x.flatten(1))',
].join('\n');

describe('models built by their code, on the PyTorch engine (real torch, real data)', function () {
  this.timeout(600_000);
  let dir: string;
  let runs: string;
  const train = (args: string[]) =>
    runCli(
      [
        'train',
        '--engine',
        'pytorch',
        '--python',
        TORCH_PYTHON,
        '--epochs',
        '1',
        '--limit-train',
        '256',
        '--limit-test',
        '128',
        '--batch-size',
        '64',
        '--optimizer',
        'adam',
        '--lr',
        '0.003',
        '--data',
        DATA,
        '--runs',
        runs,
        '--json',
        ...args,
      ],
      300_000,
    );
  before(function () {
    if (!hasTorch) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'nin-user-model-run-'));
    runs = join(dir, 'runs');
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  let stateDictRun = '';
  it('a class-based NiN with its own forward() trains to done via the CLI and exports its state dict with a SHA-256', () => {
    const file = join(dir, 'nin_class.py');
    copyFileSync(join(MODELS, 'nin_class.py'), file);
    const r = train(['--model', `${file}:SmallNin()`]);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const es = events(r.stdout);
    const [start] = ofType(es, 'start');
    assert.equal(start.backend, 'pytorch');
    assert.equal(start.config.model?.build, 'code');
    assert.equal(start.params, 2_248, 'the built model counts its parameters (the analyser said 2,248 too)');
    assert.deepEqual(
      start.layers.map((l) => l.output),
      [[16, 28, 28], [16, 14, 14], [16, 14, 14], [10, 14, 14], [10]],
      "the analyser's shapes through forward() are the start event's layers",
    );
    const [done] = ofType(es, 'done');
    assert.equal(done.modelFormat, 'torch-state-dict');
    const bytes = readFileSync(join(done.modelDir, 'model.pt'));
    const sum = createHash('sha256').update(bytes).digest('hex');
    assert.equal(readFileSync(join(done.modelDir, 'weights.sha256'), 'utf8'), `${sum}  model.pt\n`);
    assert.ok(!existsSync(join(done.modelDir, 'model.json')), 'no TensorFlow.js model for a network from code');
    assert.match(r.stdout + r.stderr, /"modelFormat":"torch-state-dict"/);
    stateDictRun = done.runDir;
  });

  it('nin eval on that run evaluates the state dict on PyTorch and reproduces its test accuracy', function () {
    if (!stateDictRun) this.skip();
    const r = runCli(['eval', stateDictRun, '--python', TORCH_PYTHON, '--json'], 300_000);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { testAcc: number; runTestAcc: number; backend: string; testSize: number };
    assert.equal(out.backend, 'pytorch');
    assert.equal(out.testSize, 128);
    assert.equal(out.testAcc, out.runTestAcc);
    // A flipped byte in the state dict is an error naming the file, not a quiet wrong model.
    const pt = join(stateDictRun, 'model', 'model.pt');
    const bytes = readFileSync(pt);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(pt, bytes);
    const bad = runCli(['eval', stateDictRun, '--python', TORCH_PYTHON], 300_000);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /model\.pt: SHA-256 .* does not match/);
  });

  it('resumes that run for a second epoch on PyTorch, from its checkpoint by weight name', function () {
    if (!stateDictRun) this.skip();
    const r = train(['--resume', stateDictRun, '--epochs', '2']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const es = events(r.stdout);
    assert.equal(ofType(es, 'start')[0].startEpoch, 2);
    assert.deepEqual(
      ofType(es, 'epoch').map((e) => e.epoch),
      [2],
    );
    assert.equal(ofType(es, 'done')[0].modelFormat, 'torch-state-dict');
  });

  it("a file whose top level trains the model (train(net) writes a marker) is run only as far as the model's definition", () => {
    const file = join(dir, 'nin_class_train.py');
    copyFileSync(join(MODELS, 'nin_class_train.py'), file);
    const r = train(['--model', file]);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    assert.equal(ofType(events(r.stdout), 'done').length, 1);
    assert.ok(!existsSync(join(dir, 'TRAINED')), "the file's own train(net) call never ran");
  });

  it('the TensorFlow.js engines refuse a model built by its code, saying it needs the PyTorch engine', async () => {
    const file = join(dir, 'nin_class.py');
    const r = runCli(['train', '--model', `${file}:SmallNin()`, '--runs', runs, '--data', DATA]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /SmallNin\(\): this model needs the PyTorch engine: a module with its own forward\(\).*--engine pytorch/,
    );
    const got: TrainEvent[] = [];
    const outcome = await runTraining(codeConfig(runs, SEVEN_CLASSES, { backend: 'wasm' }), undefined, {
      emit: (e) => got.push(e),
      shouldStop: () => false,
    });
    assert.equal(outcome, 'error');
    const err = ofType(got, 'error')[0];
    assert.match(err.message, /Net\(\): this model needs the PyTorch engine: a module with its own forward/);
    assert.equal(ofType(got, 'start').length, 0);
  });

  it('a model whose output is not 10 classes is refused before training, by the analysis and by PyTorch', async () => {
    const file = join(dir, 'seven.py');
    writeFileSync(file, SEVEN_CLASSES + '\n# input shape: 1x28x28\n');
    const cli = train(['--model', `${file}:Net()`]);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /Net\(\): its output is 7, not 10 class scores/);
    // Where the analysis does not say (or is wrong), Python checks the built model before training.
    const got: TrainEvent[] = [];
    const outcome = await runPytorchTraining(codeConfig(runs, SEVEN_CLASSES), undefined, {
      emit: (e) => got.push(e),
      shouldStop: () => false,
      python: { configured: TORCH_PYTHON },
      allowUserCode: true,
    });
    assert.equal(outcome, 'error');
    assert.match(
      ofType(got, 'error')[0].message,
      /Net\(\): its output for a batch of 2 images of 1x28x28 is \[2, 7\]; training needs \[N, 10\]/,
    );
    assert.equal(ofType(got, 'start').length + ofType(got, 'batch').length, 0, 'nothing trained');
    const runDir = ofType(got, 'error')[0].runDir!;
    const ck = join(runDir, 'checkpoints');
    assert.ok(!existsSync(ck) || readdirSync(ck).length === 0, 'no checkpoint');
  });

  it('the engine runs none of the code unless its host allows it (the extension: a trusted workspace)', async () => {
    const marker = join(dir, 'RAN');
    const source = `open(${JSON.stringify(marker)}, 'w').write('ran')\n${SEVEN_CLASSES.replace('7)', '10)')}`;
    const engine = new PytorchEngine({ python: () => ({ configured: TORCH_PYTHON }), allowUserCode: () => false });
    const got: TrainEvent[] = [];
    const finished = new Promise<void>((resolve) =>
      engine.onEvent((e) => {
        got.push(e as TrainEvent);
        if (e.type === 'error' || e.type === 'done') resolve();
      }),
    );
    engine.train(codeConfig(runs, source));
    await finished;
    await engine.dispose();
    assert.match(
      ofType(got, 'error')[0]?.message ?? '',
      /Net\(\) is built by running its code .* that code runs only in a trusted workspace/,
    );
    assert.ok(!existsSync(marker));
  });

  it('--build code on a network the analysis also builds: the code trains it, and the export is TensorFlow.js (same network)', () => {
    const r = train(['--model', join(MODELS, 'lenet.py'), '--build', 'code']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const es = events(r.stdout);
    const [start] = ofType(es, 'start');
    assert.equal(start.config.model?.build, 'code');
    assert.ok(start.config.model?.layers?.length, 'the spec is kept beside the code');
    const [done] = ofType(es, 'done');
    assert.equal(done.modelFormat, 'tfjs-layers');
    assert.ok(existsSync(join(done.modelDir, 'model.json')));
    const ev = runCli(['eval', done.runDir, '--json'], 300_000);
    assert.equal(ev.code, 0, ev.stderr);
    const out = JSON.parse(ev.stdout) as { testAcc: number; runTestAcc: number; backend: string };
    assert.notEqual(out.backend, 'pytorch', 'a TensorFlow.js model evaluates on TensorFlow.js');
    assert.ok(Math.abs(out.testAcc - out.runTestAcc) <= 1 / 128, `${out.testAcc} vs ${out.runTestAcc}`);
  });

  it("the reader's NiN variant (one 1x1 convolution per block) trains to done on PyTorch, from its analysis and by its code", () => {
    const variant = join(ROOT, 'test', 'fixtures', 'codelens', 'nin_one1x1_28.py');
    const torch = JSON.parse(readFileSync(variant.replace(/\.py$/, '.torch.json'), 'utf8')) as { params: number };
    for (const build of ['spec', 'code']) {
      const r = train(['--model', `${variant}:nin()`, '--build', build]);
      assert.equal(r.code, 0, `--build ${build}: ${r.stderr}${r.stdout.slice(-2000)}`);
      const es = events(r.stdout);
      const [start] = ofType(es, 'start');
      assert.equal(start.backend, 'pytorch');
      assert.equal(start.config.model?.name, 'nin()');
      assert.equal(start.params, torch.params, `--build ${build}: PyTorch's parameter count`);
      const [done] = ofType(es, 'done');
      assert.equal(done.modelFormat, 'tfjs-layers', `--build ${build}: the same network exports TensorFlow.js`);
      assert.equal(ofType(es, 'epoch').length, 1);
    }
  });

  it('without torch the message says the model trains on PyTorch only, and what to install', () => {
    // Debian's python3 without its site packages (-S): a Python 3 that has no torch.
    const bare = join(dir, 'python-without-torch');
    writeFileSync(bare, `#!/bin/sh\nexec ${TORCH_PYTHON} -S "$@"\n`, { mode: 0o755 });
    const r = runCli([
      'train',
      '--model',
      `${join(MODELS, 'nin_class.py')}:SmallNin()`,
      '--engine',
      'pytorch',
      '--python',
      bare,
      '--runs',
      runs,
      '--data',
      DATA,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /SmallNin\(\) is built by its code and trains on PyTorch only: .*has no torch.*pip install torch/,
    );
  });

  it('the config validator keeps the two builds apart', () => {
    const base = codeConfig(runs, SEVEN_CLASSES);
    assert.ok(validateConfig(base).ok);
    const noWhy = { ...base.model!, why: undefined };
    const r1 = validateConfig({ ...base, model: noWhy });
    assert.ok(!r1.ok && /says why/.test(r1.error), JSON.stringify(r1));
    const r2 = validateConfig({ ...base, model: { ...noWhy, build: 'spec' } });
    assert.ok(!r2.ok && /needs its layers/.test(r2.error), JSON.stringify(r2));
    const r3 = validateConfig({ ...base, model: { ...base.model, build: 'python' } });
    assert.ok(!r3.ok);
  });
});

describe('a model from code without a spec, where the TensorFlow.js side meets it', () => {
  const config = codeConfig('/nonexistent', SEVEN_CLASSES);
  it('specOf refuses it naming the PyTorch engine and why; drawing and FLOPs have no spec for it', () => {
    assert.throws(() => specOf(config), /Net\(\): this model needs the PyTorch engine: a module with its own forward/);
    assert.equal(staticSpecOf(config), undefined);
    assert.equal(networkFlops(config), undefined, 'unknown, not a crash of the estimate');
    const lenet = {
      preset: 'model',
      input: 28,
      model: { ...config.model!, layers: [{ kind: 'flatten' as const }, { kind: 'linear' as const, outFeatures: 10 }] },
    };
    assert.equal(staticSpecOf(lenet)?.layers.length, 2, 'with its layers kept, a model from code still draws');
    assert.equal(networkFlops(lenet), 2 * 784 * 10, 'a multiply and an add per weight');
  });
});
