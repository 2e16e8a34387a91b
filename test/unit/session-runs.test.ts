import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTICLE_RECIPE, type TrainEvent } from '../../src/protocol/index';
import { listRuns, parseMetrics, summarizeEvents } from '../../src/extension/sessionRuns';

const config = { ...ARTICLE_RECIPE, dataDir: '', runsDir: '/r' };
const epoch = (n: number, testAcc: number): TrainEvent => ({ type: 'epoch', epoch: n, trainLoss: 1, trainAcc: 0.5, testAcc, seconds: 1, imagesPerSecond: 1 });

describe('runs folder', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'nin-runs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('summarises a run from its events: status, epochs, accuracy, checkpoint', () => {
    assert.deepEqual(summarizeEvents([epoch(1, 0.5), { type: 'checkpoint', epoch: 1, path: '/c1' }, epoch(2, 0.7), { type: 'stopped', epoch: 2, runDir: '/r' }]), {
      status: 'stopped',
      epochs: 2,
      testAcc: 0.7,
      checkpoint: '/c1',
    });
    assert.equal(summarizeEvents([epoch(1, 0.5), { type: 'done', testAcc: 0.9, runDir: '', modelDir: '' }]).testAcc, 0.9);
    assert.equal(summarizeEvents([]).status, 'incomplete');
  });

  it('parses a log, counting invalid lines instead of throwing', () => {
    const r = parseMetrics([JSON.stringify(epoch(1, 0.5)), '{"type":"epoch"}', 'not json', '', JSON.stringify({ type: 'mystery' })].join('\n'));
    assert.equal(r.events.length, 1);
    assert.equal(r.badLines, 3);
  });

  it('lists run folders newest first, skipping other folders and files', () => {
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
    const runs = listRuns(dir);
    assert.deepEqual(new Set(runs.map((r) => r.name)), new Set(['a', 'b', 'broken']));
    assert.ok(runs.findIndex((r) => r.name === 'b') < runs.findIndex((r) => r.name === 'a'), 'newest first');
    assert.equal(runs.find((r) => r.name === 'broken')?.config, undefined, 'an invalid config.json is reported as missing');
    assert.deepEqual(runs.find((r) => r.name === 'a')?.config, config);
    assert.deepEqual(listRuns(join(dir, 'nope')), []);
  });
});
