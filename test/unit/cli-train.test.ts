import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEvent, type TrainEvent } from '../../src/protocol/index';
import { runCliStreaming as cli, runCli } from './helpers';

const events = (lines: string[]): TrainEvent[] =>
  lines.map((l) => {
    const v = validateEvent(JSON.parse(l));
    assert.ok(v.ok, v.ok ? '' : `${v.error}: ${l.slice(0, 200)}`);
    return v.value;
  });

describe('nin train (CLI)', () => {
  let runs: string;
  const small = () => [
    '--preset',
    'compact',
    '--input',
    '16',
    '--optimizer',
    'adam',
    '--lr',
    '0.005',
    '--batch-size',
    '32',
    '--limit-test',
    '32',
    '--backend',
    'wasm',
    '--runs',
    runs,
  ];
  before(() => (runs = mkdtempSync(join(tmpdir(), 'nin-cli-'))));
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('--json: one event per line ending with done (testAcc and the run folder), exit 0', async () => {
    const r = await cli(['train', ...small(), '--limit-train', '32', '--epochs', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const ev = events(r.lines);
    assert.equal(ev[ev.length - 1].type, 'done');
    const epoch = ev.find((e) => e.type === 'epoch');
    assert.ok(
      epoch &&
        epoch.type === 'epoch' &&
        ['epoch', 'trainLoss', 'trainAcc', 'testAcc', 'seconds', 'imagesPerSecond'].every((k) => k in epoch),
    );
    const done = ev[ev.length - 1] as Extract<TrainEvent, { type: 'done' }>;
    assert.ok(existsSync(join(done.runDir, 'config.json')) && existsSync(join(done.runDir, 'model', 'model.json')));
    const start = ev.find((e) => e.type === 'start');
    assert.equal(start?.type === 'start' && start.config.threads, 0);
  });

  it('Ctrl-C stops after a checkpoint is written (exit 130); --resume continues it to done (exit 0)', async () => {
    let sent = false;
    const r = await cli(
      ['train', ...small(), '--limit-train', '128', '--epochs', '1', '--json', '--threads', '1'],
      (line, kill) => {
        if (!sent && line.includes('"type":"batch"')) {
          sent = true;
          kill('SIGINT');
        }
      },
    );
    assert.equal(r.code, 130, r.stderr);
    const ev = events(r.lines);
    const types = ev.map((e) => e.type);
    assert.deepEqual(types.slice(-2), ['checkpoint', 'stopped']);
    const stopped = ev[ev.length - 1] as Extract<TrainEvent, { type: 'stopped' }>;
    assert.ok(stopped.checkpoint && existsSync(stopped.checkpoint));
    assert.match(r.stderr, /stopping after this batch/);

    const bad = runCli(['train', '--resume', stopped.runDir, '--lr', '0.1', '--json']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /cannot resume with a different recipe: lr 0.1/);

    const again = await cli(['train', '--resume', stopped.runDir, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const ev2 = events(again.lines);
    const start = ev2.find((e) => e.type === 'start');
    assert.equal(start?.type === 'start' && start.config.threads, 1, 'the run keeps its own config');
    const firstBatch = ev2.find((e) => e.type === 'batch');
    assert.ok(firstBatch?.type === 'batch' && firstBatch.batch > 1, 'continues mid-epoch');
    assert.equal(ev2[ev2.length - 1].type, 'done');
  });

  it('without --json: a summary on stdout, the recipe deviation said; bad flags are usage errors (exit 2)', async () => {
    const r = await cli(['train', ...small(), '--limit-train', '32', '--epochs', '1']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.lines.join('\n');
    assert.match(out, /note: not the article's recipe .*: the compact network, 16x16 input, adam optimizer/);
    assert.match(out, /epoch 1\/1: train loss \d\.\d{4}, train acc \d\.\d{4}, test acc \d\.\d{4}/);
    assert.match(out, /done: test accuracy \d\.\d{4}\nrun folder .*\nmodel .*model \(TensorFlow\.js layers format\)/);
    for (const args of [['--optimizer', 'rmsprop'], ['--epochs', '0'], ['--lr', '-1'], ['--bogus']]) {
      const u = runCli(['train', ...args]);
      assert.equal(u.code, 2, `${args.join(' ')}: ${u.stderr}`);
      assert.match(u.stderr, /usage: nin train/);
    }
    const missing = runCli(['train', '--resume', join(runs, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\/config\.json: missing/);
  });
});
