import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { TrainConfig, WorkerEvent } from '../../src/protocol/index';
import { inferShapes } from '../../src/model/shapes';
import { presetSpec } from '../../src/model/spec';
import { WorkerEngine } from '../../src/train/workerEngine';
import { ROOT } from './helpers';

/** Resolves with the events up to (and including) the first one `until` accepts. */
function collect(
  engine: WorkerEngine,
  until: (e: WorkerEvent) => boolean,
  onEach: (e: WorkerEvent) => void = () => {},
): Promise<WorkerEvent[]> {
  const events: WorkerEvent[] = [];
  return new Promise((resolve) => {
    const off = engine.onEvent((e) => {
      events.push(e);
      onEach(e);
      if (until(e)) {
        off();
        resolve(events);
      }
    });
  });
}
const ends = (e: WorkerEvent) => e.type === 'done' || e.type === 'stopped' || e.type === 'error';

describe('training worker and its client (WorkerEngine)', () => {
  let runs: string;
  let engine: WorkerEngine;
  const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({
    preset: 'compact',
    input: 16,
    epochs: 1,
    batchSize: 32,
    lr: 0.005,
    optimizer: 'adam',
    limitTrain: 32,
    limitTest: 32,
    backend: 'wasm',
    seed: 1,
    threads: 1,
    dataDir: '',
    runsDir: runs,
    ...over,
  });
  before(() => {
    runs = mkdtempSync(join(tmpdir(), 'nin-worker-'));
    engine = new WorkerEngine({ workerPath: join(ROOT, 'out', 'worker.js') });
  });
  after(async () => {
    await engine.dispose();
    rmSync(runs, { recursive: true, force: true });
  });

  it('is created lazily, calibrates on real training steps, and answers with the network FLOPs', async () => {
    assert.equal(engine.workersStarted, 0);
    const r = await engine.calibrate({ preset: 'compact', input: 16, batchSize: 16, backend: 'wasm', threads: 1 });
    assert.equal(engine.workersStarted, 1);
    assert.equal(r.backend, 'wasm');
    assert.ok(r.imagesPerSecond > 1, `${r.imagesPerSecond} images/s`);
    assert.equal(r.flops, inferShapes(presetSpec('compact', 16)).flops);
  });

  it('runs a training run in the worker, streaming validated events; one run at a time', async () => {
    const events = collect(engine, ends);
    engine.train(config());
    assert.equal(engine.busy, true);
    assert.throws(() => engine.train(config()), /already in progress/);
    const ev = await events;
    assert.equal(engine.busy, false);
    const types = ev.map((e) => e.type).filter((t) => t !== 'prepare' && t !== 'batch');
    assert.deepEqual(
      types,
      ['start', 'epoch', 'evaluation', 'checkpoint', 'done'],
      JSON.stringify(ev.filter((e) => e.type === 'error')),
    );
  });

  it('stops on request within one batch', async () => {
    const events = collect(engine, ends, (e) => {
      if (e.type === 'batch' && e.batch === 1) engine.stop();
    });
    engine.train(config({ limitTrain: 128 }));
    const ev = await events;
    assert.deepEqual(
      ev.filter((e) => e.type === 'batch').map((e) => (e.type === 'batch' ? e.batch : 0)),
      [1, 2].slice(0, ev.filter((e) => e.type === 'batch').length),
      'at most the batch in flight when the stop arrived',
    );
    const last = ev[ev.length - 1];
    assert.equal(last.type, 'stopped');
    assert.equal(engine.busy, false);
  });

  it('rejects an invalid command with an error event', async () => {
    const events = collect(engine, (e) => e.type === 'error');
    (engine as unknown as { worker: Worker }).worker.postMessage({ type: 'train', config: { preset: 'huge' } });
    const ev = await events;
    assert.match(
      ev[ev.length - 1].type === 'error' ? (ev[ev.length - 1] as { message: string }).message : '',
      /rejected a message: "train" command: bad or missing field "config"/,
    );
  });

  it('a worker crash becomes an error event, and the next run starts a fresh worker', async () => {
    const events = collect(engine, ends, (e) => {
      if (e.type === 'start') void (engine as unknown as { worker: Worker }).worker.terminate();
    });
    engine.train(config({ limitTrain: 128 }));
    const ev = await events;
    const last = ev[ev.length - 1];
    assert.equal(last.type, 'error');
    assert.match((last as { message: string }).message, /training worker stopped unexpectedly/);
    assert.equal(engine.busy, false);
    const again = collect(engine, ends);
    engine.train(config());
    const ev2 = await again;
    assert.equal(ev2[ev2.length - 1].type, 'done', JSON.stringify(ev2[ev2.length - 1]));
    assert.equal(engine.workersStarted, 2);
  });
});
