import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { validateEvent, type TrainConfig, type TrainEvent } from '../../src/protocol/index';
import type { BatchTrainer } from '../../src/train/batchTrainer';
import {
  latestCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
  readCheckpoint,
  writeCheckpoint,
} from '../../src/train/checkpoint';
import { runTraining, type EngineHooks } from '../../src/train/engine';
import * as tf from '@tensorflow/tfjs-core';
import { buildNetwork, seedDropout } from '../../src/model/network';
import { presetSpec } from '../../src/model/spec';
import { readMetrics, runFacts, runPaths } from '../../src/runs';
import { smallRun } from './helpers';

/** Collects a run's events and validates each one as the host would. */
function recorder(
  stopWhen: (events: TrainEvent[]) => boolean = () => false,
  batchEventIntervalMs = 0,
): EngineHooks & { events: TrainEvent[]; tensors: number[] } {
  const events: TrainEvent[] = [];
  const tensors: number[] = [];
  return {
    events,
    tensors,
    emit: (e) => {
      const v = validateEvent(JSON.parse(JSON.stringify(e)));
      assert.ok(v.ok, v.ok ? '' : v.error);
      events.push(e);
    },
    shouldStop: () => stopWhen(events),
    onEpochEnd: (i) => tensors.push(i.liveTensors),
    data: { download: false },
    // 0: an event for every batch, so tests can tell exactly which batches ran.
    batchEventIntervalMs,
  };
}
const of = <T extends TrainEvent['type']>(events: TrainEvent[], type: T) =>
  events.filter((e): e is Extract<TrainEvent, { type: T }> => e.type === type);

describe('training engine on real Fashion-MNIST (wasm, small subsets)', () => {
  let runs: string;
  const base = (over: Partial<TrainConfig>): TrainConfig => smallRun(runs, { limitTrain: 64, limitTest: 64, ...over });
  before(() => (runs = mkdtempSync(join(tmpdir(), 'nin-runs-'))));
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('trains: loss falls, tensors stay flat across epochs, and the run folder holds config, metrics, checkpoints and the model', async () => {
    const r = recorder();
    const outcome = await runTraining(base({ epochs: 14, limitTrain: 128 }), undefined, r);
    const err = of(r.events, 'error')[0];
    assert.equal(outcome, 'done', err?.message);
    const start = of(r.events, 'start')[0];
    assert.deepEqual(
      [start.trainSize, start.testSize, start.batchesPerEpoch, start.startEpoch, start.backend],
      [128, 64, 4, 1, 'wasm'],
    );
    const epochs = of(r.events, 'epoch');
    assert.equal(epochs.length, 14);
    const first = epochs[0].trainLoss;
    const last = (epochs[11].trainLoss + epochs[12].trainLoss + epochs[13].trainLoss) / 3;
    assert.ok(last < first - 0.15, `train loss by epoch: ${epochs.map((e) => e.trainLoss.toFixed(3)).join(' ')}`);
    assert.ok(epochs.every((e) => e.testAcc >= 0 && e.testAcc <= 1 && e.imagesPerSecond > 0 && e.seconds > 0));
    // No leaks: the live tensor count after every epoch is the same.
    assert.equal(r.tensors.length, 14);
    assert.deepEqual(new Set(r.tensors).size, 1, `live tensors by epoch: ${r.tensors.join(' ')}`);
    // One evaluation per epoch: 64 test images in the confusion matrix, mistakes first in the samples.
    const evs = of(r.events, 'evaluation');
    assert.equal(evs.length, 14);
    const ev = evs[13];
    assert.equal(
      ev.confusion.flat().reduce((a, b) => a + b, 0),
      64,
    );
    assert.equal(ev.samples.length, 64);
    const firstRight = ev.samples.findIndex((s) => s.label === s.predicted);
    assert.ok(
      ev.samples.slice(firstRight < 0 ? 64 : firstRight).every((s) => s.label === s.predicted),
      'mistakes come first',
    );
    assert.equal(Buffer.from(ev.samples[0].pixels, 'base64').length, 784);
    const done = of(r.events, 'done')[0];
    assert.equal(done.testAcc, ev.testAcc);
    // The run folder.
    const dir = done.runDir;
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), base({ epochs: 14, limitTrain: 128 }));
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrainEvent);
    assert.deepEqual(
      lines.map((e) => e.type),
      r.events.filter((e) => e.type !== 'prepare').map((e) => e.type),
    );
    assert.deepEqual(
      readdirSync(join(dir, 'checkpoints')),
      ['epoch-0013.ckpt', 'epoch-0014.ckpt'],
      'older checkpoints pruned, no temp files',
    );
    assert.equal(readCheckpoint(join(dir, 'checkpoints', 'epoch-0014.ckpt')).state.optimizer.length, 49);
    assert.deepEqual(readdirSync(join(dir, 'model')).sort(), [
      'README.md',
      'model.json',
      'weights.bin',
      'weights.sha256',
    ]);
  });

  it('one seed, one run: the same config trains to bit-identical losses twice (init, subsets, shuffles and dropout seeded); another seed differs', async () => {
    const losses = async (seed: number): Promise<number[]> => {
      const r = recorder();
      assert.equal(await runTraining(base({ seed, limitTrain: 96 }), undefined, r), 'done');
      return [...of(r.events, 'batch').map((b) => b.loss), ...of(r.events, 'epoch').map((e) => e.trainLoss)];
    };
    const [a, b, other] = [await losses(3), await losses(3), await losses(4)];
    assert.equal(a.length, 8, 'every batch (3 per epoch) and epoch reported');
    assert.deepEqual(b, a, 'same seed, same losses');
    assert.notDeepEqual(other, a, 'another seed draws other weights and orders');
  });

  it('the dropout masks of a step follow its seed alone', () => {
    const model = buildNetwork(presetSpec('compact')).model;
    const x = tf.ones([4, 28, 28, 1]);
    const train = (seed: number): Float32Array => {
      seedDropout(model, seed);
      return tf.tidy(() => (model.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array);
    };
    try {
      const [a, b, c] = [train(5), train(5), train(6)];
      assert.deepEqual(b, a);
      assert.notDeepEqual(c, a);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  it('stops within one batch with a checkpoint, resumes from it, and refuses a different recipe or a finished run', async () => {
    const cfg = base({ limitTrain: 128, limitTest: 32, epochs: 1 });
    const r1 = recorder((ev) => of(ev, 'batch').length >= 2);
    assert.equal(await runTraining(cfg, undefined, r1), 'stopped');
    assert.deepEqual(
      of(r1.events, 'batch').map((b) => b.batch),
      [1, 2],
      'no batch after the stop was requested',
    );
    const stopped = of(r1.events, 'stopped')[0];
    assert.equal(stopped.epoch, 1);
    assert.equal(basename(stopped.checkpoint ?? ''), 'epoch-0000-batch-000002.ckpt');
    const runDir = stopped.runDir;

    const bad = recorder();
    assert.equal(await runTraining({ ...cfg, lr: 0.1 }, runDir, bad), 'error');
    assert.match(
      of(bad.events, 'error')[0].message,
      /cannot resume with a different recipe: lr 0.1 \(the run has 0.005\)/,
    );

    const r2 = recorder();
    assert.equal(await runTraining(cfg, runDir, r2), 'done', JSON.stringify(of(r2.events, 'error')));
    assert.equal(of(r2.events, 'start')[0].startEpoch, 1);
    assert.deepEqual(
      of(r2.events, 'batch').map((b) => b.batch),
      [3, 4],
      'continues after the checkpointed batch',
    );
    assert.equal(of(r2.events, 'epoch').length, 1);
    const again = recorder();
    assert.equal(await runTraining(cfg, runDir, again), 'error');
    assert.match(of(again.events, 'error')[0].message, /already completed 1 of 1 epochs/);
    // Both sessions are in the one metrics log.
    const types = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as TrainEvent).type);
    assert.deepEqual(
      types.filter((t) => t === 'start' || t === 'stopped' || t === 'done'),
      ['start', 'stopped', 'start', 'done'],
    );
  });

  it('a run held by a live process is refused, naming it, and its log is untouched; a stale lock is taken over', async () => {
    const cfg = base({ limitTrain: 64, limitTest: 32, epochs: 1 });
    const r1 = recorder((ev) => of(ev, 'batch').length >= 1);
    assert.equal(await runTraining(cfg, undefined, r1), 'stopped');
    const runDir = of(r1.events, 'stopped')[0].runDir;
    const paths = runPaths(runDir);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(paths.lock, JSON.stringify({ pid: child.pid, host: hostname(), since: 'now' }));
      const log = readFileSync(paths.metrics, 'utf8');
      const r2 = recorder();
      assert.equal(await runTraining(cfg, runDir, r2), 'error');
      assert.match(of(r2.events, 'error')[0].message, new RegExp(`being trained by process ${child.pid}`));
      assert.equal(readFileSync(paths.metrics, 'utf8'), log, 'the refused writer appended nothing');
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    const r3 = recorder();
    assert.equal(await runTraining(cfg, runDir, r3), 'done', JSON.stringify(of(r3.events, 'error')));
    assert.equal(existsSync(paths.lock), false, 'released at the end');
  });

  it('a run killed while exporting (all epochs checkpointed, no model) resumes to done by exporting it; stale temps go', async () => {
    const cfg = base({ limitTrain: 64, limitTest: 32, epochs: 1 });
    const r1 = recorder();
    assert.equal(await runTraining(cfg, undefined, r1), 'done');
    const runDir = of(r1.events, 'done')[0].runDir;
    const paths = runPaths(runDir);
    rmSync(paths.model, { recursive: true });
    mkdirSync(join(runDir, '.model.tmp-999-1'));
    writeFileSync(join(paths.checkpoints, '.epoch-0001.ckpt.tmp-999'), 'torn');
    const r2 = recorder();
    assert.equal(await runTraining(cfg, runDir, r2), 'done', JSON.stringify(of(r2.events, 'error')));
    assert.equal(of(r2.events, 'batch').length, 0, 'no epoch trained again');
    assert.equal(of(r2.events, 'done')[0].testAcc, of(r1.events, 'done')[0].testAcc);
    assert.ok(existsSync(join(paths.model, 'model.json')));
    assert.deepEqual(
      readdirSync(runDir).filter((n) => n.includes('.tmp-')),
      [],
    );
    assert.deepEqual(readdirSync(paths.checkpoints), ['epoch-0001.ckpt']);
    // Now it has its model: asking again is the "already completed" error, which leaves the run listed as done.
    const r3 = recorder();
    assert.equal(await runTraining(cfg, runDir, r3), 'error');
    assert.match(of(r3.events, 'error')[0].message, /already completed 1 of 1 epochs/);
    assert.equal(runFacts((await readMetrics(runDir)).events).status, 'done');
  });

  it('a run killed after its model was written but before `done` was logged resumes to done by exporting again', async () => {
    const cfg = base({ limitTrain: 64, limitTest: 32, epochs: 1 });
    const r1 = recorder();
    assert.equal(await runTraining(cfg, undefined, r1), 'done');
    const runDir = of(r1.events, 'done')[0].runDir;
    const log = runPaths(runDir).metrics;
    // The kill's window: model/ renamed into place, the `done` record not yet appended.
    const lines = readFileSync(log, 'utf8').split('\n');
    writeFileSync(log, lines.filter((l) => !l.startsWith('{"type":"done"')).join('\n'));
    assert.equal(runFacts((await readMetrics(runDir)).events).status, 'incomplete');
    const r2 = recorder();
    assert.equal(await runTraining(cfg, runDir, r2), 'done', JSON.stringify(of(r2.events, 'error')));
    assert.equal(of(r2.events, 'batch').length, 0, 'no epoch trained again');
    assert.equal(of(r2.events, 'done')[0].testAcc, of(r1.events, 'done')[0].testAcc);
    assert.equal(runFacts((await readMetrics(runDir)).events).status, 'done');
  });

  it("batch events come at a bounded rate (at most one per 100 ms, plus each epoch's last batch)", async () => {
    // The loop's throttle, isolated: a stand-in trainer whose steps take ~2 ms (real steps take longer than 100 ms here).
    const stub: BatchTrainer = {
      backend: 'cpu',
      backendReason: 'stand-in for the throttle test',
      step: async (_x, _y, n) => {
        const t = performance.now();
        while (performance.now() - t < 2);
        return { loss: 2, correct: Math.floor(n / 2) };
      },
      predict: async (_x, n) => ({ probabilities: new Float32Array(n * 10).fill(0.1), predicted: new Int32Array(n) }),
      getState: async () => ({ weights: [], optimizer: [] }),
      setState: async () => {},
      saveModel: async () => {},
      liveTensors: () => 0,
      dispose: async () => {},
    };
    const times: number[] = [];
    const r = recorder(undefined, 100);
    const emit = r.emit;
    r.emit = (e) => {
      if (e.type === 'batch') times.push(performance.now());
      emit(e);
    };
    r.createTrainer = async () => stub;
    const t0 = performance.now();
    assert.equal(
      await runTraining(base({ batchSize: 1, limitTrain: 300, limitTest: 16, epochs: 1 }), undefined, r),
      'done',
    );
    const elapsed = performance.now() - t0;
    const batches = of(r.events, 'batch');
    // Bounded by the run's length, not a fixed count: on a busy machine the 300 steps take longer.
    assert.ok(
      batches.length <= Math.floor(elapsed / 100) + 2 && batches.length < 150,
      `${batches.length} batch events for 300 batches in ${elapsed.toFixed(0)} ms`,
    );
    assert.equal(batches[batches.length - 1].batch, 300, "the epoch's last batch is always reported");
    for (let i = 1; i < times.length - 1; i++)
      assert.ok(
        times[i] - times[i - 1] >= 99,
        `events ${i - 1} and ${i} ${(times[i] - times[i - 1]).toFixed(1)} ms apart`,
      );
    assert.ok(batches.every((b) => b.etaSeconds >= 0 && b.imagesPerSecond > 0 && b.acc === 0));
  });

  it('the latest checkpoint is the latest position, and pruning keeps it', () => {
    const dir = join(runs, 'order');
    const ck = (completedEpochs: number, batchesDone: number) =>
      writeCheckpoint(dir, {
        completedEpochs,
        batchesDone,
        partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
        state: { weights: [], optimizer: [] },
      });
    for (const [e, b] of [
      [0, 5],
      [1, 0],
      [2, 0],
      [2, 3],
      [3, 0],
      [3, 12],
    ])
      ck(e, b);
    // A stop 12 batches into epoch 4 sorts after the end of epoch 3 (as text it would not).
    assert.equal(basename(latestCheckpoint(dir) ?? ''), 'epoch-0003-batch-000012.ckpt');
    pruneCheckpoints(dir);
    assert.deepEqual(
      listCheckpoints(dir).map((f) => basename(f)),
      ['epoch-0002.ckpt', 'epoch-0003.ckpt', 'epoch-0003-batch-000012.ckpt'],
    );
  });

  it('a corrupt or truncated checkpoint is an error naming the file', async () => {
    const dir = join(runs, 'ck');
    const file = writeCheckpoint(dir, {
      completedEpochs: 1,
      batchesDone: 0,
      partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
      state: { weights: [{ name: 'w', shape: [2, 2], values: Float32Array.from([1, 2, 3, 4]) }], optimizer: [] },
    });
    assert.deepEqual(Array.from(readCheckpoint(file).state.weights[0].values), [1, 2, 3, 4]);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    assert.throws(
      () => readCheckpoint(file),
      (e: Error) => e.message.startsWith(file + ': truncated checkpoint'),
    );
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1] ^= 0x10;
    writeFileSync(file, flipped);
    assert.throws(
      () => readCheckpoint(file),
      (e: Error) => e.message === `${file}: corrupt checkpoint: payload checksum mismatch`,
    );
    writeFileSync(file, 'hello');
    assert.throws(() => readCheckpoint(file), /bad magic/);
    // Resuming a run whose latest checkpoint is damaged says which file.
    const run = join(runs, 'damaged');
    const r = recorder();
    const cfg = base({});
    mkdirSync(join(run, 'checkpoints'), { recursive: true });
    writeFileSync(join(run, 'config.json'), JSON.stringify(cfg));
    writeFileSync(join(run, 'checkpoints', 'epoch-0001.ckpt'), flipped);
    assert.equal(await runTraining(cfg, run, r), 'error');
    assert.match(of(r.events, 'error')[0].message, /epoch-0001\.ckpt: corrupt checkpoint: payload checksum mismatch/);
  });
});
