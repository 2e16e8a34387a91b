import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTICLE_RECIPE, type TrainEvent } from '../../src/protocol/index';
import {
  findRunModel,
  listRuns,
  lockRun,
  panelSummary,
  parseMetrics,
  readCurves,
  readMetrics,
  readRun,
  readRunConfig,
  removeStaleTemps,
  runFacts,
  runPaths,
  tryReadRunConfig,
} from '../../src/runs';

const config = { ...ARTICLE_RECIPE, dataDir: '', runsDir: '/r' };
const epoch = (n: number, testAcc: number): TrainEvent => ({ type: 'epoch', epoch: n, trainLoss: 1, trainAcc: 0.5, testAcc, seconds: 1, imagesPerSecond: 1 });
const start = (startEpoch: number): TrainEvent => ({
  type: 'start',
  runId: 'r',
  runDir: '/r',
  config,
  backend: 'wasm',
  backendReason: 'test',
  layers: [],
  params: 1,
  flops: 1,
  trainSize: 1,
  testSize: 1,
  batchesPerEpoch: 1,
  startEpoch,
});
const jsonl = (events: readonly TrainEvent[]): string => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

describe('the run folder (src/runs)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'nin-runs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('summarises a run from its events: status, epochs, accuracy, checkpoint, model', () => {
    assert.deepEqual(runFacts([start(1), epoch(1, 0.5), { type: 'checkpoint', epoch: 1, path: '/c1' }, epoch(2, 0.7), { type: 'stopped', epoch: 2, runDir: '/r' }]), {
      status: 'stopped',
      epochs: 2,
      finalTestAcc: 0.7,
      checkpoint: '/c1',
      modelDir: undefined,
      startConfig: config,
      params: 1,
    });
    const done = runFacts([epoch(1, 0.5), { type: 'done', testAcc: 0.9, runDir: '/r', modelDir: '/r/model' }]);
    assert.deepEqual([done.status, done.finalTestAcc, done.modelDir], ['done', 0.9, '/r/model']);
    assert.equal(runFacts([]).status, 'incomplete');
  });

  it("a resumed run's epochs count once, the same in every listing: records its resume redoes are superseded", async () => {
    // Session 1 logged epochs 1-3, but died before epoch 3's checkpoint; session 2 resumed from
    // epoch 2's checkpoint, redid epoch 3 (another accuracy) and was stopped in epoch 4.
    const events: TrainEvent[] = [
      start(1),
      epoch(1, 0.3),
      { type: 'checkpoint', epoch: 1, path: '/c1' },
      epoch(2, 0.5),
      { type: 'checkpoint', epoch: 2, path: '/c2' },
      epoch(3, 0.55),
      start(3),
      epoch(3, 0.6),
      { type: 'checkpoint', epoch: 3, path: '/c3' },
      { type: 'stopped', epoch: 4, runDir: '/r' },
    ];
    const facts = runFacts(events);
    assert.deepEqual([facts.epochs, facts.finalTestAcc, facts.status, facts.checkpoint], [3, 0.6, 'stopped', '/c3']);
    // Session 3 resumed from /c3 and was stopped before epoch 4 ended: still 3 epochs, not 4.
    const later = [...events, start(4), { type: 'stopped', epoch: 4, runDir: '/r', checkpoint: '/c3' } as TrainEvent];
    mkdirSync(join(dir, 'run'));
    writeFileSync(join(dir, 'run', 'metrics.jsonl'), jsonl(later));
    writeFileSync(join(dir, 'run', 'config.json'), JSON.stringify(config));
    const listed = (await listRuns([dir]))[0];
    const curves = await readCurves(join(dir, 'run'));
    assert.equal(listed.epochs, 3, 'Open Run / Resume');
    assert.equal(panelSummary(listed).epochs, 3, "the panel's Runs tab");
    assert.deepEqual(curves.epochs.map((e) => [e.epoch, e.testAcc]), [[1, 0.3], [2, 0.5], [3, 0.6]], 'the overlay: the redone epoch 3 wins');
    assert.equal(runFacts((await readMetrics(join(dir, 'run'))).events).finalTestAcc, 0.6, 'nin eval');
  });

  it('parses a log, counting invalid lines (not JSON, unknown or prototype type names, missing fields) instead of throwing', () => {
    const warnings: string[] = [];
    const r = parseMetrics(
      [JSON.stringify(epoch(1, 0.5)), '{"type":"epoch"}', 'not json', '', JSON.stringify({ type: 'mystery' })].join('\n'),
      'm.jsonl',
      { warn: (m) => warnings.push(m) },
    );
    assert.equal(r.events.length, 1);
    assert.equal(r.badLines, 3);
    assert.deepEqual(warnings.map((w) => w.split(':').slice(0, 2).join(':')), ['m.jsonl:2', 'm.jsonl:3', 'm.jsonl:5']);
  });

  it('reads metrics.jsonl as a stream: a log larger than one string can hold in pieces, CRLF lines, a torn last line', async () => {
    const run = join(dir, 'big');
    mkdirSync(run);
    // ~40 MB in 200,000 lines; the reader never holds it as one string (V8's limit is ~512 MB).
    const line = JSON.stringify({ type: 'batch', epoch: 1, batch: 1, batchesPerEpoch: 9, loss: 2.3, acc: 0.1, imagesPerSecond: 9, etaSeconds: 9, }) + '\r\n';
    const chunk = line.repeat(10_000);
    for (let i = 0; i < 20; i++) writeFileSync(runPaths(run).metrics, chunk, { flag: 'a' });
    writeFileSync(runPaths(run).metrics, '{"type":"batch","epo', { flag: 'a' });
    const r = await readMetrics(run);
    assert.equal(r.events.length, 200_000);
    assert.equal(r.badLines, 1);
    assert.deepEqual(await readMetrics(join(dir, 'none')), { events: [], badLines: 0 }, 'no log yet is an empty log');
  });

  it('reads config.json strictly (errors name the file) or leniently for listings', async () => {
    const run = join(dir, 'c');
    mkdirSync(run);
    await assert.rejects(readRunConfig(run), (e: Error) => e.message.startsWith(`${runPaths(run).config}: missing`));
    writeFileSync(runPaths(run).config, '{');
    await assert.rejects(readRunConfig(run), (e: Error) => e.message.startsWith(`${runPaths(run).config}: not valid JSON`));
    const warned: string[] = [];
    assert.equal(await tryReadRunConfig(run, { warn: (m) => warned.push(m) }), undefined);
    assert.equal(warned.length, 1);
    writeFileSync(runPaths(run).config, JSON.stringify(config));
    assert.deepEqual(await readRunConfig(run), config);
  });

  it('lists run folders newest first, skipping other folders and files', async () => {
    for (const [name, age] of [
      ['a', 300],
      ['b', 100],
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'config.json'), JSON.stringify(config));
      writeFileSync(join(dir, name, 'metrics.jsonl'), JSON.stringify(epoch(1, 0.5)) + '\n');
      const t = Date.now() / 1000 - age;
      utimesSync(join(dir, name, 'metrics.jsonl'), t, t);
    }
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'stray.txt'), 'x');
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'config.json'), '{');
    const runs = await listRuns([dir, join(dir, 'nope')]);
    assert.deepEqual(new Set(runs.map((r) => r.name)), new Set(['a', 'b', 'broken']));
    assert.ok(runs.findIndex((r) => r.name === 'b') < runs.findIndex((r) => r.name === 'a'), 'newest first');
    assert.equal(runs.find((r) => r.name === 'broken')?.config, undefined, 'an invalid config.json is reported as missing');
    assert.deepEqual(runs.find((r) => r.name === 'a')?.config, config);
    assert.equal(await readRun(join(dir, 'empty')), undefined);
  });

  it('one writer per run: a live holder is named, a lock whose process is gone is taken over, release frees it', async () => {
    const run = join(dir, 'locked');
    mkdirSync(run);
    // A live process of this machine holds it.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(runPaths(run).lock, JSON.stringify({ pid: child.pid, host: hostname(), since: '2026-01-01T00:00:00Z' }));
      assert.throws(() => lockRun(run), new RegExp(`is being trained by process ${child.pid} on ${hostname()}`));
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // Its process is gone: stale.
    const lock = lockRun(run);
    assert.equal(JSON.parse(readFileSync(runPaths(run).lock, 'utf8')).pid, process.pid);
    lock.release();
    assert.equal(existsSync(runPaths(run).lock), false);
    // A torn lock file (a crash while writing it) is stale too.
    writeFileSync(runPaths(run).lock, '{"pid":');
    lockRun(run).release();
  });

  it('removes the temp files a killed writer left, and nothing else', () => {
    const run = join(dir, 'temps');
    const p = runPaths(run);
    mkdirSync(p.checkpoints, { recursive: true });
    mkdirSync(join(run, '.model.tmp-123-1700000000000'));
    writeFileSync(join(run, '.model.tmp-123-1700000000000', 'model.json'), '{}');
    writeFileSync(join(run, 'config.json.tmp-77'), '{');
    writeFileSync(join(p.checkpoints, '.epoch-0001.ckpt.tmp-77'), 'x');
    writeFileSync(join(p.checkpoints, 'epoch-0001.ckpt'), 'x');
    writeFileSync(p.config, '{}');
    assert.equal(removeStaleTemps(run).length, 3);
    assert.deepEqual(readdirSync(run).sort(), ['checkpoints', 'config.json']);
    assert.deepEqual(readdirSync(p.checkpoints), ['epoch-0001.ckpt']);
  });

  it("a run's model is inside the run: a done.modelDir or a symlink pointing elsewhere is refused", async () => {
    const run = join(dir, 'run');
    const other = join(dir, 'other-model');
    mkdirSync(join(run, 'model'), { recursive: true });
    mkdirSync(other);
    writeFileSync(join(other, 'model.json'), '{}');
    writeFileSync(runPaths(run).metrics, jsonl([{ type: 'done', testAcc: 0.5, runDir: run, modelDir: other }]));
    const warned: string[] = [];
    assert.equal(await findRunModel(run, { warn: (m) => warned.push(m) }), undefined, 'no model of its own yet');
    assert.match(warned[0], /outside the run folder/);
    writeFileSync(join(run, 'model', 'model.json'), '{}');
    assert.equal(await findRunModel(run), join(run, 'model'));
    rmSync(join(run, 'model'), { recursive: true });
    symlinkSync(other, join(run, 'model'));
    assert.equal(await findRunModel(run), undefined, 'a symlink out of the run');
  });
});
