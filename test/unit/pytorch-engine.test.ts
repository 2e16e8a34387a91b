/**
 * The PyTorch engine end to end with the real PyTorch (Debian's /usr/bin/python3, CPU) on real
 * Fashion-MNIST: validated events, a complete run folder, an exported model that TensorFlow.js
 * evaluates as PyTorch did, runs resumed across engines, and a killed process.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEvent, type TrainConfig, type TrainEvent } from '../../src/protocol/index';
import { loadFashionMnist } from '../../src/data/fashionMnist';
import { SALT, subsetIndices } from '../../src/data/batches';
import { readCheckpoint, latestCheckpoint } from '../../src/train/checkpoint';
import { evaluate, runTraining } from '../../src/train/engine';
import { loadLayersModelFrom, modelPredictor } from '../../src/train/modelIo';
import { runPytorchTraining, type PytorchHooks } from '../../src/train/pytorch/run';
import { PytorchEngine } from '../../src/train/pytorch/engine';
import { RoutingEngine } from '../../src/train/routingEngine';
import { modelPayload, readModelFiles } from '../../src/extension/commandsModel';
import { classifyLogits, loadPayloadModel } from '../../src/webview/classify/predict';
import { prepareImage, topClasses } from '../../src/webview/classify/preprocess';
import { readMetrics, runFacts } from '../../src/runs';
import { runCli, TORCH_PYTHON } from './helpers';

type Ev<T extends TrainEvent['type']> = Extract<TrainEvent, { type: T }>;

/** Collects validated events; a stop after `stopAfterBatches` batch events when asked. */
function recorder(stopAfterBatches = Infinity) {
  const events: TrainEvent[] = [];
  let batches = 0;
  return {
    events,
    hooks: {
      emit(e: TrainEvent) {
        const v = validateEvent(JSON.parse(JSON.stringify(e)));
        assert.ok(v.ok, v.ok ? '' : `${v.error}: ${JSON.stringify(e).slice(0, 300)}`);
        events.push(e);
        if (e.type === 'batch') batches++;
      },
      shouldStop: () => batches >= stopAfterBatches,
      batchEventIntervalMs: 0,
    },
    of<T extends TrainEvent['type']>(type: T): Ev<T>[] {
      return events.filter((e): e is Ev<T> => e.type === type);
    },
  };
}

/**
 * The loss curve continues across a resume: every batch after it has the loss of the same batch
 * in the uninterrupted run to within 0.02 (measured here: at most 0.006; a run from another
 * trajectory, PyTorch's own uninterrupted one, differs by up to 0.054; batch to batch the loss
 * moves by up to 0.06 in these runs). Only the dropout masks (each engine draws its own) and
 * float rounding differ; weights lost at the switch would start another trajectory, as above.
 */
function continues(resumed: ReturnType<typeof recorder>, whole: ReturnType<typeof recorder>, what: string): void {
  const loss = new Map(whole.of('batch').map((b) => [b.batch, b.loss]));
  const after = resumed.of('batch');
  assert.ok(after.length > 0, `${what}: no batch after the resume`);
  for (const b of after) {
    const l = loss.get(b.batch);
    assert.ok(
      l !== undefined && Math.abs(b.loss - l) < 0.02,
      `${what}: batch ${b.batch} loss ${b.loss}, uninterrupted ${l}`,
    );
  }
}

describe('PyTorch engine (real torch, real data)', function () {
  // Real training in a child process: minutes when the shared machine is busy.
  this.timeout(600_000);
  let runs: string;
  const python = { configured: TORCH_PYTHON };
  const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({
    preset: 'compact',
    input: 28,
    epochs: 1,
    batchSize: 64,
    lr: 0.003,
    optimizer: 'adam',
    limitTrain: 512,
    limitTest: 200,
    backend: 'pytorch',
    seed: 3,
    threads: 2,
    device: 'cpu',
    dataDir: '',
    runsDir: runs,
    ...over,
  });
  before(() => (runs = mkdtempSync(join(tmpdir(), 'nin-pytorch-'))));
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('trains to done: events in order, the run folder complete, the exported model predicts as PyTorch did', async () => {
    const r = recorder();
    const outcome = await runPytorchTraining(config({ epochs: 2 }), undefined, { ...r.hooks, python });
    const done = r.of('done')[0];
    assert.equal(outcome, 'done', JSON.stringify(r.of('error')));
    const types = r.events.filter((e) => e.type !== 'prepare').map((e) => e.type);
    assert.equal(types[0], 'start');
    assert.deepEqual(types.slice(-4), ['epoch', 'evaluation', 'checkpoint', 'done']);
    const start = r.of('start')[0];
    assert.equal(start.backend, 'pytorch');
    assert.match(start.backendReason, /PyTorch \d+\.\d+.* on the CPU \(2 threads\)/);
    assert.equal(start.trainSize, 512);
    assert.equal(start.batchesPerEpoch, 8);
    assert.equal(r.of('batch').length, 16, 'every batch with a 0 ms interval');
    assert.equal(r.of('epoch').length, 2);

    // The run folder: config, a metrics log equal to the events (bar prepare), checkpoints, model.
    const runDir = done.runDir;
    assert.deepEqual(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')), config({ epochs: 2 }));
    const logged = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(logged, JSON.parse(JSON.stringify(r.events.filter((e) => e.type !== 'prepare'))));
    assert.deepEqual(readdirSync(join(runDir, 'checkpoints')).sort(), ['epoch-0001.ckpt', 'epoch-0002.ckpt']);
    const ck = readCheckpoint(join(runDir, 'checkpoints', 'epoch-0002.ckpt'));
    assert.equal(ck.state.weights[0].name, 'nin_block_1_conv/kernel');
    assert.deepEqual(ck.state.weights[0].shape, [5, 5, 1, 32], 'tfjs HWIO layout');
    assert.equal(ck.state.optimizer[0].name, 'iter');
    assert.equal(ck.state.optimizer[0].values[0], 16);
    assert.equal(ck.state.optimizer.length, 1 + 2 * ck.state.weights.length, 'adam: iter, every m, every v');

    // The exported model, on TensorFlow.js: the same accuracy, and each sample's confidence.
    const model = await loadLayersModelFrom(done.modelDir);
    const data = await loadFashionMnist({});
    const subset = subsetIndices(data.test.count, 200, 3, SALT.testSubset);
    const ev = await evaluate(modelPredictor(model), data.test, subset, 28, 64);
    const last = r.of('evaluation')[1];
    assert.ok(
      ev && Math.abs(ev.testAcc - done.testAcc) <= 1 / 200 + 1e-9,
      `tfjs ${ev?.testAcc} vs torch ${done.testAcc}`,
    );
    const tfjsConfidence = new Map(ev!.samples.map((s) => [s.index, s.confidence]));
    let compared = 0;
    for (const s of last.samples) {
      const c = tfjsConfidence.get(s.index);
      if (c === undefined) continue;
      assert.ok(Math.abs(c - s.confidence) < 1e-4, `image ${s.index}: tfjs ${c}, torch ${s.confidence}`);
      compared++;
    }
    assert.ok(compared >= 100, `${compared} samples compared`);
    model.dispose();

    // Classify Image on this run: the host's checks and payload, the webview's loading, preparation
    // and logits (only the browser's PNG decoding is left out). PyTorch's gallery images (as RGBA)
    // get PyTorch's class and confidence.
    const viewModel = await loadPayloadModel(modelPayload(readModelFiles(done.modelDir)));
    for (const s of last.samples) {
      const gray = Buffer.from(s.pixels, 'base64');
      const rgba = Uint8Array.from({ length: 784 * 4 }, (_, i) => (i % 4 === 3 ? 255 : gray[i >> 2]));
      const { pixels, inverted } = prepareImage(rgba, 28, 28);
      assert.equal(inverted, false, `image ${s.index}: a Fashion-MNIST image is not inverted`);
      const logits = classifyLogits(viewModel, pixels, [28, 28]);
      const [top] = topClasses(logits.dataSync());
      logits.dispose();
      assert.equal(
        top.label,
        s.predicted,
        `image ${s.index}: Classify Image says ${top.label}, PyTorch ${s.predicted}`,
      );
      assert.ok(
        Math.abs(top.probability - s.confidence) < 1e-4,
        `image ${s.index}: ${top.probability} vs ${s.confidence}`,
      );
    }
    viewModel.dispose();

    // `nin eval RUN` on the run: the exported model reproduces the run's final test accuracy.
    const cli = runCli(['eval', runDir, '--json'], 600_000);
    assert.equal(cli.code, 0, cli.stderr);
    const out = JSON.parse(cli.stdout) as { testAcc: number; runTestAcc: number };
    assert.ok(
      Math.abs(out.testAcc - done.testAcc) <= 1 / 200 + 1e-9,
      `nin eval ${out.testAcc}, the run ${done.testAcc}`,
    );
    assert.equal(out.runTestAcc, done.testAcc);

    // Killed after the model was written but before `done` was logged: the resume exports it
    // again (no Python training) and ends done; asked once more, it is refused and stays done.
    const log = join(runDir, 'metrics.jsonl');
    writeFileSync(
      log,
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith('{"type":"done"'))
        .join('\n'),
    );
    const again = recorder();
    assert.equal(await runPytorchTraining(config({ epochs: 2 }), runDir, { ...again.hooks, python }), 'done');
    assert.equal(again.of('batch').length, 0, 'no batch trained again');
    assert.equal(again.of('done')[0].testAcc, done.testAcc);
    const refused = recorder();
    assert.equal(await runPytorchTraining(config({ epochs: 2 }), runDir, { ...refused.hooks, python }), 'error');
    assert.match(refused.of('error')[0].message, /already completed 2 of 2 epochs/);
    assert.equal(runFacts((await readMetrics(runDir)).events).status, 'done');
  });

  it('a run stopped mid-epoch on wasm resumes on PyTorch to done, and one stopped on PyTorch resumes on wasm', async () => {
    const a = recorder(3);
    const wasmFirst = config({ backend: 'wasm', threads: 1, limitTest: 64 });
    assert.equal(await runTraining(wasmFirst, undefined, a.hooks), 'stopped');
    const stopped = a.of('stopped')[0];
    assert.match(stopped.checkpoint ?? '', /epoch-0000-batch-000003\.ckpt$/);
    // The same run uninterrupted, on each engine: the curves a resumed run must continue.
    const wasmWhole = recorder();
    assert.equal(await runTraining(wasmFirst, undefined, wasmWhole.hooks), 'done');
    const torchWhole = recorder();
    assert.equal(
      await runPytorchTraining(config({ limitTest: 64 }), undefined, { ...torchWhole.hooks, python }),
      'done',
    );

    const b = recorder();
    const outcome = await runPytorchTraining({ ...wasmFirst, backend: 'pytorch' }, stopped.runDir, {
      ...b.hooks,
      python,
    });
    assert.equal(outcome, 'done', JSON.stringify(b.of('error')));
    const first = b.of('batch')[0];
    assert.equal(b.of('start')[0].backend, 'pytorch');
    assert.equal(first.batch, 4, 'continues at batch 4 of epoch 1');
    continues(b, wasmWhole, 'wasm, then PyTorch');
    const epoch = b.of('epoch')[0];
    assert.ok(epoch.trainAcc > 0 && epoch.seconds > 0);

    // The reverse: PyTorch first, stopped after 3 batches, resumed on wasm.
    const c = recorder(3);
    assert.equal(await runPytorchTraining(config({ limitTest: 64 }), undefined, { ...c.hooks, python }), 'stopped');
    const stopped2 = c.of('stopped')[0];
    // The stop reaches Python through its stdin while it trains: a batch or two later.
    const ck2 = readCheckpoint(stopped2.checkpoint ?? '');
    const lastBatch = c.of('batch').pop()!;
    assert.ok(ck2.completedEpochs === 0 && ck2.batchesDone === lastBatch.batch && lastBatch.batch < 8);
    const d = recorder();
    assert.equal(
      await runTraining({ ...config({ limitTest: 64 }), backend: 'wasm', threads: 1 }, stopped2.runDir, d.hooks),
      'done',
      JSON.stringify(d.of('error')),
    );
    assert.equal(d.of('batch')[0].batch, lastBatch.batch + 1);
    continues(d, torchWhole, 'PyTorch, then wasm');
    assert.ok(existsSync(join(stopped2.runDir, 'model', 'model.json')));
  });

  it('killing the Python process mid-epoch is an error event that keeps the last checkpoint; resume ends done', async () => {
    const r = recorder();
    let killed = false;
    const hooks: PytorchHooks = {
      ...r.hooks,
      python,
      emit(e) {
        r.hooks.emit(e);
        if (!killed && e.type === 'batch' && e.epoch === 2 && e.batch === 2) {
          killed = true;
          child?.kill('SIGKILL');
        }
      },
      onProcess: (c) => (child = c),
    };
    let child: Parameters<NonNullable<PytorchHooks['onProcess']>>[0] | undefined;
    assert.equal(await runPytorchTraining(config({ epochs: 2, limitTest: 64 }), undefined, hooks), 'error');
    const err = r.of('error')[0];
    assert.match(err.message, /the PyTorch process was killed \(SIGKILL\) in epoch 2 before the run ended/);
    assert.match(err.message, /epoch-0001\.ckpt\) is kept: resume the run/);
    assert.ok(err.runDir && latestCheckpoint(join(err.runDir, 'checkpoints'))?.endsWith('epoch-0001.ckpt'));

    // SIGTERM (a system shutdown, `kill`) stops it after the current batch with a checkpoint.
    const again = recorder();
    let termed = false;
    let child2: Parameters<NonNullable<PytorchHooks['onProcess']>>[0] | undefined;
    const resumed = await runPytorchTraining(config({ epochs: 2, limitTest: 64 }), err.runDir, {
      ...again.hooks,
      python,
      onProcess: (c) => (child2 = c),
      emit(e) {
        again.hooks.emit(e);
        if (!termed && e.type === 'batch') {
          termed = true;
          child2?.kill('SIGTERM');
        }
      },
    });
    assert.equal(again.of('start')[0].startEpoch, 2);
    assert.equal(resumed, 'stopped', JSON.stringify(again.of('error')));
    const stoppedAt = again.of('stopped')[0];
    assert.match(stoppedAt.checkpoint ?? '', /epoch-0001-batch-\d{6}\.ckpt$/);

    const last = recorder();
    assert.equal(
      await runPytorchTraining(config({ epochs: 2, limitTest: 64 }), err.runDir, { ...last.hooks, python }),
      'done',
    );
    assert.ok(last.of('batch')[0].batch > 1, 'continues mid-epoch 2');
  });
});

describe('PyTorch engine behind the TrainingEngine interface', function () {
  this.timeout(600_000);
  let runs: string;
  before(() => (runs = mkdtempSync(join(tmpdir(), 'nin-pytorch-engine-'))));
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('the routing engine sends backend pytorch to PyTorch: a run ends done, stop() ends one stopped, calibrate measures', async () => {
    const pytorch = new PytorchEngine({ python: () => ({ configured: TORCH_PYTHON }), device: () => 'cpu' });
    const engine = new RoutingEngine({
      tfjs: () => {
        throw new Error('the tfjs engine must not be made for a pytorch run');
      },
      pytorch: () => pytorch,
    });
    const ended = (stopOnFirstBatch = false) =>
      new Promise<TrainEvent[]>((resolveEvents) => {
        const seen: TrainEvent[] = [];
        const off = engine.onEvent((e) => {
          if (e.type === 'calibration') return;
          assert.ok(validateEvent(e).ok);
          seen.push(e);
          if (e.type === 'batch' && stopOnFirstBatch) engine.stop();
          if (e.type === 'done' || e.type === 'stopped' || e.type === 'error') {
            off();
            resolveEvents(seen);
          }
        });
      });
    const config: TrainConfig = {
      preset: 'compact',
      input: 28,
      epochs: 1,
      batchSize: 32,
      lr: 0.003,
      optimizer: 'momentum',
      limitTrain: 256,
      limitTest: 64,
      backend: 'pytorch',
      seed: 5,
      threads: 2,
      dataDir: '',
      runsDir: runs,
    };
    const first = ended();
    engine.train(config);
    assert.equal(engine.busy, true);
    assert.throws(() => engine.train(config), /already in progress/);
    const ev = await first;
    assert.equal(ev[ev.length - 1].type, 'done', JSON.stringify(ev[ev.length - 1]));
    assert.equal(engine.busy, false);
    const ck = readCheckpoint(join((ev[ev.length - 1] as Ev<'done'>).runDir, 'checkpoints', 'epoch-0001.ckpt'));
    assert.equal(
      ck.state.optimizer.length,
      1 + ck.state.weights.length,
      'momentum: iter and one accumulator per weight',
    );
    assert.equal(ck.state.optimizer[1].name, 'nin_block_1_conv/kernel/momentum');

    const second = ended(true);
    engine.train({ ...config, limitTrain: 4096 });
    const ev2 = await second;
    const last = ev2[ev2.length - 1];
    assert.equal(last.type, 'stopped');
    assert.ok(last.type === 'stopped' && last.checkpoint && existsSync(last.checkpoint));

    const c = await engine.calibrate({ preset: 'compact', input: 28, batchSize: 32, backend: 'pytorch', threads: 2 });
    assert.equal(c.backend, 'pytorch');
    assert.ok(c.imagesPerSecond > 0 && c.flops > 0);
    await engine.dispose();
  });
});
