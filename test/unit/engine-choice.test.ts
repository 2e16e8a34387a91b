/**
 * `nin.backend: auto` across engines (src/train/engineChoice.ts, the routing engine): the choice
 * by each engine's calibration scaled to the run's FLOPs, on calibrations measured here on the
 * real WebAssembly engine (the training worker) and the real PyTorch engine (Debian's
 * /usr/bin/python3, CPU), and an `auto` run through the routing engine that trains on the choice.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainConfig, TrainEvent, WorkerEvent } from '../../src/protocol/index';
import {
  cachedCalibration,
  calibrationKey,
  chooseEngine,
  chooseForRun,
  choiceReason,
  type CalibrationStore,
  type Measure,
} from '../../src/train/engineChoice';
import type { CalibrationRequest } from '../../src/train/engineApi';
import { PytorchEngine } from '../../src/train/pytorch/engine';
import { clearPythonCache } from '../../src/train/pytorch/python';
import {
  CALIBRATION_MAX_AGE_MS,
  forwardFlops,
  RECIPES,
  runSize,
  type Calibration,
  type RunSize,
} from '../../src/train/recipes';
import { RoutingEngine } from '../../src/train/routingEngine';
import { WorkerEngine } from '../../src/train/workerEngine';
import { ROOT, TORCH_PYTHON } from './helpers';

/** A store as the extension's globalState is: a key-value map. */
function mapStore(): CalibrationStore & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: (k) => map.get(k), update: (k, v) => void map.set(k, v) };
}

const recipe = (id: string): RunSize => runSize(RECIPES.find((r) => r.id === id)!)!;

describe('auto across engines: the choice from calibrations', () => {
  // Two engines as a calibration sees them: one with a fixed cost per image (a process, a
  // framework's per-step overhead) but a fast convolution, one without overhead but slower.
  const at = Date.now();
  const fastConvolutions: Calibration = {
    backend: 'pytorch',
    device: 'cpu',
    at,
    points: [
      { flops: 1e6, imagesPerSecond: 1 / (0.01 + 1e6 * 1e-10) },
      { flops: 1e9, imagesPerSecond: 1 / (0.01 + 1e9 * 1e-10) },
    ],
  };
  const lowOverhead: Calibration = {
    backend: 'wasm',
    at,
    points: [
      { flops: 1e6, imagesPerSecond: 1 / (1e6 * 4e-10) },
      { flops: 1e9, imagesPerSecond: 1 / (1e9 * 4e-10) },
    ],
  };
  const ok = (calibration: Calibration) => ({ ok: true as const, calibration });

  it("decides by the run's FLOPs: the cheap network on the engine without overhead, the article's on the fast convolutions", () => {
    const article = recipe('article');
    const quick = recipe('quick');
    // Per image: 0.01 s + 1e-10 s/FLOP against 4e-10 s/FLOP; they cross at 3.3e7 FLOPs.
    assert.ok(quick.flops < 3.3e7 && article.flops > 3.3e7, `${quick.flops} / ${article.flops}`);
    const big = chooseEngine(article, ok(lowOverhead), ok(fastConvolutions));
    assert.equal(big.backend, 'pytorch');
    assert.equal(big.label, 'pytorch (cpu)');
    const expected = (4e-10 * article.flops) / (0.01 + 1e-10 * article.flops);
    assert.equal(big.why, `${expected.toFixed(1)}x faster than wasm on this machine's calibration`);
    assert.equal(big.chosen?.label, 'pytorch (cpu)');
    assert.equal(big.other?.label, 'wasm');
    const images = article.epochs * (article.trainImages + article.testImages / 3);
    assert.ok(Math.abs(big.chosen!.seconds / (images * (0.01 + 1e-10 * article.flops)) - 1) < 1e-9);
    assert.ok(Math.abs(big.other!.seconds / (images * 4e-10 * article.flops) - 1) < 1e-9);

    const small = chooseEngine(quick, ok(lowOverhead), ok(fastConvolutions));
    assert.equal(small.backend, 'auto', 'TensorFlow.js picks its own backend, as before');
    assert.equal(small.label, 'wasm');
    assert.equal(small.other?.label, 'pytorch (cpu)');
    assert.ok(small.chosen!.seconds < small.other!.seconds);
  });

  it('without PyTorch, auto is TensorFlow.js and says why; without a TensorFlow.js measurement, PyTorch runs', () => {
    const none = chooseEngine(recipe('article'), ok(lowOverhead), { ok: false, reason: 'no Python found' });
    assert.equal(none.backend, 'auto');
    assert.equal(none.why, 'PyTorch not used: no Python found');
    assert.equal(none.other, undefined);
    assert.equal(chooseEngine(recipe('article'), undefined, { ok: false, reason: 'x' }).label, 'TensorFlow.js');
    const onlyTorch = chooseEngine(recipe('article'), { ok: false, reason: 'wasm died' }, ok(fastConvolutions));
    assert.equal(onlyTorch.backend, 'pytorch');
    assert.equal(onlyTorch.why, 'TensorFlow.js not measured: wasm died');
  });

  it('a network with batch norm goes to TensorFlow.js without measuring (the PyTorch engine refuses it)', async () => {
    const layers = [
      { kind: 'conv', filters: 8, kernel: 3, stride: 1, padding: 1 },
      { kind: 'batchnorm' },
      { kind: 'activation', fn: 'relu' },
      { kind: 'gap' },
    ];
    const run = {
      ...RECIPES.find((r) => r.id === 'quick')!,
      preset: 'model',
      model: { name: 'Net', file: 'net.py', source: '', input: [1, 28, 28], layers, params: 0 },
      threads: 2,
    } as unknown as Parameters<typeof chooseForRun>[2];
    const choice = await chooseForRun(mapStore(), () => Promise.reject(new Error('measured')), run);
    assert.equal(choice.backend, 'auto');
    assert.equal(choice.why, 'PyTorch not used: the PyTorch engine does not train batch norm yet');
    const plain = { ...run, model: { ...run.model!, layers: layers.filter((l) => l.kind !== 'batchnorm') } };
    // Without batch norm, PyTorch is measured (this stand-in engine fails, so TensorFlow.js runs).
    const asked = await chooseForRun(mapStore(), () => Promise.reject(new Error('measured')), plain as typeof run);
    assert.equal(asked.why, 'PyTorch not used: measured');
  });

  it('a stored calibration is used while fresh and measured again when a week old', async () => {
    const store = mapStore();
    const asked: CalibrationRequest[] = [];
    // The engine boundary: answers as an engine would, recording what it was asked.
    const measure: Measure = async (r) => {
      asked.push(r);
      const flops = forwardFlops(r.preset, r.input)!;
      return { imagesPerSecond: 1e12 / flops, flops, backend: 'pytorch', device: 'cpu' };
    };
    const s = { backend: 'pytorch', threads: 2, device: 'auto' } as const;
    const first = await cachedCalibration(store, measure, s);
    assert.equal(asked.length, 2, 'both calibration targets');
    assert.equal(first.device, 'cpu');
    assert.deepEqual(store.map.get(calibrationKey(s)), first);
    await cachedCalibration(store, measure, s);
    assert.equal(asked.length, 2, 'the fresh calibration came from the store');
    store.map.set(calibrationKey(s), { ...first, at: Date.now() - CALIBRATION_MAX_AGE_MS - 1 });
    await cachedCalibration(store, measure, s);
    assert.equal(asked.length, 4, 'a stale one is measured again');
    assert.notEqual(calibrationKey(s), calibrationKey({ ...s, device: 'cuda' }), 'a GPU has its own calibration');
  });
});

describe('auto across engines: real calibrations and a run on the choice', function () {
  this.timeout(600_000);
  let runs: string;
  // A worker per test: one that has just posted a run's `done` may still be closing that run.
  let worker: WorkerEngine;
  before(() => (runs = mkdtempSync(join(tmpdir(), 'nin-engine-choice-'))));
  beforeEach(() => (worker = new WorkerEngine({ workerPath: join(ROOT, 'out', 'worker.js') })));
  afterEach(() => worker.dispose());
  after(() => {
    rmSync(runs, { recursive: true, force: true });
    clearPythonCache();
  });
  const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({
    preset: 'compact',
    input: 28,
    epochs: 1,
    batchSize: 32,
    lr: 0.003,
    optimizer: 'adam',
    limitTrain: 64,
    limitTest: 32,
    backend: 'auto',
    seed: 3,
    threads: 2,
    device: 'cpu',
    dataDir: '',
    runsDir: runs,
    ...over,
  });
  const ended = (engine: RoutingEngine) =>
    new Promise<TrainEvent[]>((resolve) => {
      const seen: TrainEvent[] = [];
      const off = engine.onEvent((e: WorkerEvent) => {
        if (e.type === 'calibration') return;
        seen.push(e);
        if (e.type === 'done' || e.type === 'stopped' || e.type === 'error') {
          off();
          resolve(seen);
        }
      });
    });

  it('calibrates wasm and PyTorch (cpu) here, runs the auto run on the faster, and says why on its start event', async () => {
    const store = mapStore();
    const pytorch = new PytorchEngine({ python: () => ({ configured: TORCH_PYTHON }), device: () => 'cpu' });
    const engine = new RoutingEngine({
      tfjs: () => worker,
      pytorch: () => pytorch,
      chooseAuto: (c, measure) => chooseForRun(store, measure, c),
    });
    const run = ended(engine);
    engine.train(config());
    assert.equal(engine.busy, true, 'busy while choosing');
    assert.throws(() => engine.train(config()), /already in progress/);
    const events = await run;
    const last = events[events.length - 1];
    assert.equal(last.type, 'done', JSON.stringify(events.filter((e) => e.type !== 'batch')).slice(0, 2000));
    const tf = store.map.get(calibrationKey({ backend: 'auto', threads: 2, device: 'cpu' })) as Calibration;
    const pt = store.map.get(calibrationKey({ backend: 'pytorch', threads: 2, device: 'cpu' })) as Calibration;
    assert.ok(tf && pt, `both engines calibrated: ${[...store.map.keys()].join(', ')}`);
    assert.equal(tf.backend, 'wasm', 'no tfjs-node here: TensorFlow.js runs on WebAssembly');
    assert.equal(pt.backend, 'pytorch');
    assert.equal(pt.device, 'cpu');
    console.log(`      wasm ${JSON.stringify(tf.points)}\n      pytorch (cpu) ${JSON.stringify(pt.points)}`);
    const size = runSize(config())!;
    const choice = chooseEngine(size, { ok: true, calibration: tf }, { ok: true, calibration: pt });
    assert.ok(choice.chosen && choice.other && choice.chosen.seconds <= choice.other.seconds);
    const start = events.find((e) => e.type === 'start');
    assert.ok(start?.type === 'start');
    assert.equal(start.backend, choice.backend === 'pytorch' ? 'pytorch' : tf.backend);
    assert.equal(start.config.backend, choice.backend, "the chosen engine's config");
    assert.match(
      start.backendReason,
      new RegExp(
        `^auto chose ${choice.label.replace(/[()]/g, '\\$&')}: \\d+\\.\\dx faster than .+ on this machine's calibration; `,
      ),
    );
    if (start.backend === 'pytorch') assert.match(start.backendReason, /on the CPU/);

    // The next auto run takes the stored calibrations: nothing is measured again.
    const again = await chooseForRun(store, () => Promise.reject(new Error('measured again')), config({ seed: 4 }));
    assert.equal(choiceReason(again, ''), choiceReason(choice, ''));
    await pytorch.dispose();
  });

  it('without a usable PyTorch, auto trains on TensorFlow.js as before, unmeasured, and the reason says why', async () => {
    const store = mapStore();
    const engine = new RoutingEngine({
      tfjs: () => worker,
      pytorch: () => new PytorchEngine({ python: () => ({ configured: '/nonexistent/python3' }), device: () => 'cpu' }),
      chooseAuto: (c, measure) => chooseForRun(store, measure, c),
    });
    const run = ended(engine);
    engine.train(config());
    const events = await run;
    assert.equal(events[events.length - 1].type, 'done', JSON.stringify(events[events.length - 1]));
    const start = events.find((e) => e.type === 'start');
    assert.ok(start?.type === 'start');
    assert.equal(start.backend, 'wasm');
    assert.equal(start.config.backend, 'auto');
    assert.match(
      start.backendReason,
      /^auto chose TensorFlow\.js: PyTorch not used: nin\.pythonPath is "\/nonexistent\/python3", which was not found/,
    );
    assert.match(start.backendReason, /using WebAssembly/, "TensorFlow.js's own reason follows");
    assert.equal(store.map.size, 0, 'nothing measured, nothing stored');
  });

  it('a stop while the engine is being chosen ends the run before it trains', async () => {
    const store = mapStore();
    const engine = new RoutingEngine({
      tfjs: () => worker,
      pytorch: () => new PytorchEngine({ python: () => ({ configured: TORCH_PYTHON }), device: () => 'cpu' }),
      chooseAuto: (c, measure) => chooseForRun(store, measure, c),
    });
    const run = ended(engine);
    engine.train(config());
    engine.stop();
    const events = await run;
    assert.deepEqual(
      events.map((e) => e.type),
      ['prepare', 'error'],
    );
    assert.match((events[1] as { message: string }).message, /stopped before training began/);
    assert.equal(engine.busy, false);
  });
});

describe('nin train --engine auto', function () {
  this.timeout(600_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'nin-cli-auto-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'out', 'cli.js'), 'train', ...args], {
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') },
    });

  it('measures both engines once (kept in the cache file), trains on the faster and says why', () => {
    const args = [
      ...['--engine', 'auto', '--python', TORCH_PYTHON, '--device', 'cpu', '--threads', '2'],
      ...['--preset', 'compact', '--input', '28', '--epochs', '1', '--limit-train', '64', '--limit-test', '32'],
      ...['--runs', join(dir, 'runs'), '--json'],
    ];
    const r = cli(args);
    assert.equal(r.status, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrainEvent);
    const start = events.find((e) => e.type === 'start');
    assert.ok(start?.type === 'start');
    assert.match(
      start.backendReason,
      /^auto chose (pytorch \(cpu\)|wasm): \d+\.\dx faster than (wasm|pytorch \(cpu\)) on this machine's calibration; /,
    );
    assert.equal(start.backend, start.backendReason.startsWith('auto chose pytorch') ? 'pytorch' : 'wasm');
    assert.match(r.stderr, /--engine auto: measuring pytorch on compact@28/);
    assert.match(r.stderr, /--engine auto: measuring auto on compact@28/);
    const file = JSON.parse(readFileSync(join(dir, 'cache', 'nin-vscode', 'calibration.json'), 'utf8')) as object;
    assert.deepEqual(Object.keys(file).sort(), ['nin.calibration.auto.2', 'nin.calibration.pytorch.2.cpu']);
    // The second run takes the cached calibrations: nothing measured, the same choice.
    const again = cli(args);
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /measuring/);
    const start2 = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrainEvent)
      .find((e) => e.type === 'start');
    assert.equal(start2?.type === 'start' && start2.backendReason, start.backendReason);
  });

  it('refuses --engine auto with a named backend', () => {
    const r = cli(['--engine', 'auto', '--backend', 'wasm']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--engine auto chooses the engine and its backend; it goes without --backend wasm/);
  });
});
