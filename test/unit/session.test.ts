// The training session against a fake engine, inside a fake `vscode` module (the real one only
// exists in the extension host): lazy engine, one run at a time, progress, cancel -> stop with
// the checkpoint kept, history for views opened mid-run, runs read back from their logs.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTICLE_RECIPE, type TrainConfig, type TrainEvent, type WorkerEvent } from '../../src/protocol/index';
import type { CalibrationRequest, TrainingEngine } from '../../src/train/engineApi';
import { englishT } from '../../src/extension/settings';

import { ui } from './session-fake-vscode';
// Loaded after the hook: esbuild keeps a require() of a bundled module lazy.
const { TrainingSession } = require('../../src/extension/session') as typeof import('../../src/extension/session');
const fmt = require('../../src/extension/sessionFormat') as typeof import('../../src/extension/sessionFormat');

// ---------------------------------------------------------------------------------------------
// A fake engine
// ---------------------------------------------------------------------------------------------
class FakeEngine implements TrainingEngine {
  trains: { config: TrainConfig; resume?: string }[] = [];
  stops = 0;
  disposed = false;
  busy = false;
  private listeners: ((e: WorkerEvent) => void)[] = [];
  train(config: TrainConfig, resumeRunDir?: string): void {
    if (this.busy) throw new Error('busy');
    this.busy = true;
    this.trains.push({ config, resume: resumeRunDir });
  }
  stop(): void {
    this.stops++;
  }
  calibrate(_r: CalibrationRequest) {
    return Promise.resolve({ imagesPerSecond: 100, flops: 1e6, backend: 'cpu' });
  }
  onEvent(l: (e: WorkerEvent) => void): () => void {
    this.listeners.push(l);
    return () => (this.listeners = this.listeners.filter((x) => x !== l));
  }
  emit(e: TrainEvent): void {
    if (e.type === 'done' || e.type === 'stopped' || e.type === 'error') this.busy = false;
    for (const l of this.listeners) l(e);
  }
  dispose(): Promise<void> {
    this.disposed = true;
    return Promise.resolve();
  }
}

const config: TrainConfig = { ...ARTICLE_RECIPE, epochs: 2, dataDir: '', runsDir: '/tmp/runs' };
const startEvent = (runDir: string, startEpoch = 1): TrainEvent => ({
  type: 'start',
  runId: 'r1',
  runDir,
  config,
  backend: 'cpu',
  backendReason: 'test',
  layers: [],
  params: 1,
  flops: 1,
  trainSize: 100,
  testSize: 10,
  batchesPerEpoch: 10,
  startEpoch,
});
const batch = (epoch: number, b: number): TrainEvent => ({
  type: 'batch',
  epoch,
  batch: b,
  batchesPerEpoch: 10,
  loss: 2.3,
  acc: 0.1,
  imagesPerSecond: 50,
  etaSeconds: 125,
});
const log = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  trace: () => undefined,
  show: () => undefined,
};
const context = { subscriptions: [] } as unknown as import('vscode').ExtensionContext;
const tick = () => new Promise((r) => setTimeout(r, 0));

function make(factory?: () => TrainingEngine) {
  const engine = new FakeEngine();
  let made = 0;
  const session = new TrainingSession(context, factory ?? (() => (made++, engine)), log);
  const seen: TrainEvent[] = [];
  session.onEvent((e) => seen.push(e));
  return { engine, session, seen, made: () => made };
}

describe('training session', () => {
  let dir: string;
  beforeEach(() => {
    ui.messages = [];
    ui.commands = [];
    ui.progress = [];
    ui.answer = undefined;
    dir = mkdtempSync(join(tmpdir(), 'nin-session-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the engine lazily, once', async () => {
    const { session, made } = make();
    assert.equal(made(), 0, 'no engine at construction (activation stays light)');
    assert.ok(await session.start(config));
    assert.equal(made(), 1);
  });

  it('runs one training at a time', async () => {
    const { session, engine } = make();
    assert.ok(await session.start(config));
    assert.equal(session.running, true);
    assert.deepEqual(ui.commands.filter((c) => c[1] === 'nin.training').at(-1), ['setContext', 'nin.training', true]);
    assert.equal(await session.start(config), false);
    assert.equal(engine.trains.length, 1);
    assert.match(ui.messages.at(-1)?.text ?? '', /already in progress/);
  });

  it('forwards events, keeps the history and reports progress with epoch, batch, loss and ETA', async () => {
    const { session, engine, seen } = make();
    await session.start(config);
    const runDir = join(dir, 'run1');
    engine.emit(startEvent(runDir));
    engine.emit(batch(1, 5));
    engine.emit(batch(2, 5));
    assert.equal(session.currentRunDir, runDir);
    assert.deepEqual(
      seen.map((e) => e.type),
      ['start', 'batch', 'batch'],
    );
    assert.deepEqual(session.history, seen);
    const reports = ui.progress[0].reports;
    assert.equal(reports[0].message, 'Epoch 1/2 · batch 5/10 · loss 2.3000 · 50 images/s · ETA 2 min 5 s');
    const total = reports.reduce((a, r) => a + (r.increment ?? 0), 0);
    assert.ok(Math.abs(total - 75) < 1e-9, `progress ${total}% after epoch 2 batch 5 of 2 epochs`);
    assert.match(ui.status.text, /NiN 2\/2 · 75%/);
    assert.equal(ui.status.command, 'nin.showPanel');
  });

  it('cancelling the notification stops the run; the checkpoint is kept and it can resume', async () => {
    const { session, engine } = make();
    await session.start(config);
    engine.emit(startEvent(join(dir, 'r')));
    ui.progress[0].cancel();
    await tick();
    assert.equal(engine.stops, 1, 'cancel sends stop');
    assert.equal(session.running, true, 'still running until the worker says stopped');
    engine.emit({ type: 'stopped', epoch: 1, runDir: join(dir, 'r'), checkpoint: join(dir, 'r', 'checkpoint') });
    await tick();
    assert.equal(session.running, false);
    assert.ok(ui.progress[0].ended, 'the notification closes');
    assert.deepEqual(session.lastStopped, {
      runDir: join(dir, 'r'),
      checkpoint: join(dir, 'r', 'checkpoint'),
      epoch: 1,
    });
    assert.ok(ui.messages.some((m) => m.text === 'NiN training stopped in epoch 1; its last checkpoint is kept.'));
    assert.ok(ui.messages.some((m) => m.buttons.includes('Resume')));
    assert.deepEqual(ui.commands.filter((c) => c[1] === 'nin.canResume').at(-1), ['setContext', 'nin.canResume', true]);
    // after the run, a new one may start
    assert.ok(await session.start(config));
  });

  it('a failing engine factory is reported, not thrown, and tried again next time', async () => {
    let calls = 0;
    const engine = new FakeEngine();
    const { session } = make(() => {
      if (++calls === 1) throw new Error('engine not available yet');
      return engine;
    });
    assert.equal(await session.start(config), false);
    assert.equal(session.running, false);
    assert.ok(ui.messages.some((m) => m.kind === 'error' && /engine not available yet/.test(m.text)));
    assert.ok(await session.start(config));
    assert.equal(calls, 2);
  });

  it('done: the status bar shows the test accuracy; events after the run are ignored', async () => {
    const { session, engine, seen } = make();
    await session.start(config);
    engine.emit(startEvent(join(dir, 'r')));
    engine.emit({ type: 'done', testAcc: 0.8771, runDir: join(dir, 'r'), modelDir: join(dir, 'r', 'model') });
    assert.equal(session.running, false);
    assert.match(ui.status.text, /87\.7%/);
    engine.emit(batch(1, 1));
    assert.equal(seen.at(-1)?.type, 'done');
  });

  it('an engine error ends the run with an error message naming the cause', async () => {
    const { session, engine } = make();
    await session.start(config);
    engine.emit({ type: 'error', message: 't10k-labels-idx1-ubyte: truncated' });
    assert.equal(session.running, false);
    assert.ok(ui.messages.some((m) => m.kind === 'error' && m.text.includes('t10k-labels-idx1-ubyte: truncated')));
  });

  it('calibration is refused while training', async () => {
    const { session } = make();
    assert.deepEqual(
      await session.calibrate({ preset: 'compact', input: 28, batchSize: 32, backend: 'cpu', threads: 0 }),
      { imagesPerSecond: 100, flops: 1e6, backend: 'cpu' },
    );
    await session.start(config);
    await assert.rejects(
      session.calibrate({ preset: 'compact', input: 28, batchSize: 32, backend: 'cpu', threads: 0 }),
      /in progress/,
    );
  });

  for (const startEpoch of [2, 1]) {
    it(`a resumed run (restarting at epoch ${startEpoch}) starts its history with the log as it was before the resume`, async () => {
      const runDir = join(dir, 'run');
      mkdirSync(runDir);
      const earlier: TrainEvent[] = [
        startEvent(runDir),
        batch(1, 3),
        { type: 'stopped', epoch: 1, runDir, checkpoint: join(runDir, 'ck') },
      ];
      if (startEpoch === 2)
        earlier.splice(2, 0, {
          type: 'epoch',
          epoch: 1,
          trainLoss: 1,
          trainAcc: 0.5,
          testAcc: 0.6,
          seconds: 1,
          imagesPerSecond: 100,
        });
      writeFileSync(join(runDir, 'metrics.jsonl'), earlier.map((e) => JSON.stringify(e)).join('\n') + '\n');
      const { session, engine } = make();
      await session.start(config, runDir);
      assert.deepEqual(engine.trains[0].resume, runDir);
      // the engine appends the restart to the log before the host hears it
      const restart = startEvent(runDir, startEpoch);
      writeFileSync(
        join(runDir, 'metrics.jsonl'),
        [...earlier, restart].map((e) => JSON.stringify(e)).join('\n') + '\n',
      );
      engine.emit(restart);
      engine.emit(batch(startEpoch, 4));
      assert.deepEqual(session.history, [...earlier, restart, batch(startEpoch, 4)]);
      // a fresh run afterwards starts empty
      engine.emit({ type: 'done', testAcc: 0.5, runDir, modelDir: runDir });
      await session.start(config);
      engine.emit(startEvent(join(dir, 'other')));
      assert.equal(session.history.length, 1);
    });
  }

  it('opening a run replays its log and skips unreadable lines', async () => {
    const runDir = join(dir, 'old');
    mkdirSync(runDir);
    const events: TrainEvent[] = [
      startEvent(runDir),
      batch(1, 10),
      { type: 'done', testAcc: 0.9, runDir, modelDir: runDir },
    ];
    writeFileSync(
      join(runDir, 'metrics.jsonl'),
      events.map((e) => JSON.stringify(e)).join('\n') + '\n{"type":"batch","epo',
    );
    const { session, seen } = make();
    assert.deepEqual(await session.openRun(runDir), { events: 3, badLines: 1 });
    assert.deepEqual(seen, events);
    assert.equal(session.currentRunDir, runDir);
    assert.equal(session.running, false);
  });

  it('dispose terminates the engine', async () => {
    const { session, engine } = make();
    await session.start(config);
    session.dispose();
    await tick();
    assert.ok(engine.disposed);
  });
});

describe('session texts', () => {
  it('durations', () => {
    assert.equal(fmt.formatDuration(42, englishT), '42 s');
    assert.equal(fmt.formatDuration(125, englishT), '2 min 5 s');
    assert.equal(fmt.formatDuration(120, englishT), '2 min');
    assert.equal(fmt.formatDuration(3 * 3600 + 5 * 60, englishT), '3 h 05 min');
    assert.equal(fmt.formatDuration(Number.NaN, englishT), 'unknown');
  });
  it('run fraction counts from the epoch a resumed run starts at', () => {
    assert.equal(fmt.runFraction({ epoch: 1, batch: 5, batchesPerEpoch: 10 }, { startEpoch: 1, epochs: 2 }), 0.25);
    assert.equal(fmt.runFraction({ epoch: 3, batch: 10, batchesPerEpoch: 10 }, { startEpoch: 3, epochs: 4 }), 0.5);
    assert.equal(fmt.runFraction({ epoch: 9, batch: 99, batchesPerEpoch: 10 }, { startEpoch: 1, epochs: 2 }), 1);
  });
});
