// The window closes or reloads mid-run: the extension's deactivate asks the session to shut down
// and VS Code disposes the subscriptions (the session) right after, without waiting; the run, in the real training worker (out/worker.js) on real Fashion-MNIST, stops after its
// batch with a checkpoint, its lock released and no temp file left, within the few seconds VS Code
// allows; the run then resumes from that checkpoint to `done`. Only `vscode` is a stand-in (its UI
// calls are recorded), as in session.test.ts.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainConfig, TrainEvent } from '../../src/protocol/index';
import { epochRecords, readMetrics, runPaths } from '../../src/runs';
import { WorkerEngine } from '../../src/train/workerEngine';
import { ROOT, smallRun } from './helpers';

import './session-fake-vscode';
// Loaded after the hook: esbuild keeps a require() of a bundled module lazy.
const { TrainingSession } = require('../../src/extension/session') as typeof import('../../src/extension/session');

const log = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  trace: () => undefined,
  show: () => undefined,
};
const context = { subscriptions: [] } as unknown as import('vscode').ExtensionContext;

describe('training session: shutdown mid-run (a closed or reloaded window)', () => {
  let runs: string;
  const engines: WorkerEngine[] = [];
  const engine = (): WorkerEngine => {
    const e = new WorkerEngine({ workerPath: join(ROOT, 'out', 'worker.js') });
    engines.push(e);
    return e;
  };
  before(() => (runs = mkdtempSync(join(tmpdir(), 'nin-shutdown-'))));
  after(async () => {
    await Promise.all(engines.map((e) => e.dispose()));
    rmSync(runs, { recursive: true, force: true });
  });

  it('stops after the batch with a checkpoint and a released lock, then resumes to done', async function () {
    this.timeout(240_000);
    // No time-based checkpoint (smallRun has none): the only one before epoch 1 ends is the shutdown's own.
    const config: TrainConfig = smallRun(runs, { limitTrain: 2048, limitTest: 64 });
    const first = engine();
    const session = new TrainingSession(context, () => first, log);
    const firstBatch = new Promise<string>((resolve) =>
      session.onEvent((e) => e.type === 'start' && session.onEvent((b) => b.type === 'batch' && resolve(e.runDir))),
    );
    assert.ok(await session.start(config));
    const runDir = await firstBatch;
    const t0 = performance.now();
    // What VS Code does: deactivate(), then the subscriptions' dispose() in the same turn.
    const closing = session.shutdown(4000);
    session.dispose();
    await closing;
    const ms = performance.now() - t0;
    assert.ok(ms < 4000, `stopping took ${ms.toFixed(0)} ms`);
    const logged = (await readMetrics(runDir)).events;
    const stopped = logged.find((e) => e.type === 'stopped');
    assert.ok(stopped?.type === 'stopped', `no "stopped" in the log; it ends ${logged.at(-1)?.type}`);
    assert.equal(stopped.epoch, 1, 'stopped inside epoch 1');
    assert.ok(stopped.checkpoint && existsSync(stopped.checkpoint), `checkpoint ${stopped.checkpoint}`);
    const p = runPaths(stopped.runDir);
    assert.ok(!existsSync(p.lock), 'the run lock is released');
    const temps = readdirSync(stopped.runDir, { recursive: true })
      .map(String)
      .filter((f) => /\.tmp-\d+/.test(f));
    assert.deepEqual(temps, []);

    // The reloaded window resumes it (a new session, the same worker engine's kind).
    const second = engine();
    const next = new TrainingSession(context, () => second, log);
    const ended = new Promise<TrainEvent>((resolve) =>
      next.onEvent((e) => (e.type === 'done' || e.type === 'stopped' || e.type === 'error') && resolve(e)),
    );
    const restart = new Promise<TrainEvent>((resolve) => next.onEvent((e) => e.type === 'start' && resolve(e)));
    assert.ok(await next.start(config, stopped.runDir));
    const start = await restart;
    assert.ok(start.type === 'start' && start.startEpoch === 1, 'resumed inside epoch 1');
    const end = await ended;
    assert.equal(end.type, 'done', JSON.stringify(end));
    const { events } = await readMetrics(stopped.runDir);
    assert.deepEqual(
      epochRecords(events).map((e) => e.epoch),
      [1, 2],
    );
    assert.ok(!existsSync(p.lock), 'the finished run released its lock');
  });
});
