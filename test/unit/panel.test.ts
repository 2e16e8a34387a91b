import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventCoalescer, type Timers } from '../../src/extension/panel/coalesce';
import { forDisplay, isKnownRunDir, mergeResumed, type PanelLog } from '../../src/extension/panel/runLog';
import { listRuns, parseMetrics, readCurves, readMetrics } from '../../src/runs';
import { diagramLayout } from '../../src/model/diagram';
import { validatePanelHostMessage, validatePanelMessage, type TrainEvent } from '../../src/protocol/index';
import { inferShapes } from '../../src/model/shapes';
import { presetSpec } from '../../src/model/spec';
import { ROOT } from './helpers';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'synthetic-run');

function recordingLog(): PanelLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

describe('panel protocol: messages from the webview', () => {
  const good: unknown[] = [
    { type: 'ready' },
    { type: 'ready', runDir: '/runs/a' },
    { type: 'command', command: 'stop' },
    { type: 'command', command: 'train' },
    { type: 'listRuns' },
    { type: 'requestOverlay', runDirs: ['/runs/a', '/runs/b'] },
    { type: 'showRun', runDir: '/runs/a' },
    { type: 'log', level: 'error', message: 'boom' },
  ];
  for (const m of good) {
    it(`accepts ${JSON.stringify(m)}`, () =>
      assert.ok(validatePanelMessage(m).ok, JSON.stringify(validatePanelMessage(m))));
  }
  const bad: [unknown, RegExp][] = [
    [null, /unknown panel message type/],
    ['ready', /unknown panel message type/],
    [{ type: 'toString' }, /unknown panel message type/],
    [{ type: 'constructor' }, /unknown panel message type/],
    [{ type: 'eval', code: '1' }, /unknown panel message type "eval"/],
    [{ type: 'command', command: 'workbench.action.quit' }, /field "command"/],
    [{ type: 'command' }, /field "command"/],
    [{ type: 'requestOverlay', runDirs: [] }, /field "runDirs"/],
    [{ type: 'requestOverlay', runDirs: Array(9).fill('/r') }, /field "runDirs"/],
    [{ type: 'requestOverlay', runDirs: ['/a', 3] }, /field "runDirs"/],
    [{ type: 'showRun', runDir: '' }, /field "runDir"/],
    [{ type: 'ready', runDir: 7 }, /field "runDir"/],
    [{ type: 'log', level: 'fatal', message: 'x' }, /field "level"/],
    [{ type: 'log', level: 'info', message: 'x'.repeat(5000) }, /field "message"/],
    [{ type: 'listRuns', extra: 1 }, /unexpected field "extra"/],
  ];
  for (const [m, re] of bad) {
    it(`rejects ${JSON.stringify(m)?.slice(0, 70)}`, () => {
      const v = validatePanelMessage(m);
      assert.equal(v.ok, false);
      if (!v.ok) assert.match(v.error, re);
    });
  }
});

describe('panel protocol: messages from the host', () => {
  const diagram = diagramLayout(inferShapes(presetSpec('seed')));
  it('accepts init, reset, events, diagram, runs, overlay, reveal', () => {
    const { events } = parseMetrics(readFileSync(join(FIXTURE, 'metrics.jsonl'), 'utf8'), 'fixture');
    const msgs: unknown[] = [
      { type: 'init', strings: { Loss: 'Loss' }, locale: 'en', diagram },
      { type: 'reset', running: false, source: 'log', events, skipped: 2, runDir: '/r' },
      { type: 'events', events: events.slice(0, 3) },
      { type: 'diagram', diagram },
      { type: 'runs', runs: [{ runDir: '/r', name: 'r', epochs: 3, finalTestAcc: 0.8, status: 'done', modified: 1 }] },
      { type: 'overlay', curves: [{ runDir: '/r', name: 'r', epochs: events.filter((e) => e.type === 'epoch') }] },
      { type: 'reveal', blockId: 'nin_block_2' },
    ];
    for (const m of msgs)
      assert.ok(
        validatePanelHostMessage(JSON.parse(JSON.stringify(m))).ok,
        JSON.stringify(validatePanelHostMessage(m)),
      );
  });
  it('rejects a bad event inside a bundle, a diagram without blocks, a foreign message', () => {
    assert.equal(validatePanelHostMessage({ type: 'events', events: [{ type: 'batch', loss: 'x' }] }).ok, false);
    assert.equal(validatePanelHostMessage({ type: 'diagram', diagram: { width: 1, height: 1 } }).ok, false);
    assert.equal(
      validatePanelHostMessage({ type: 'overlay', curves: [{ runDir: '/r', name: 'r', epochs: [{ type: 'done' }] }] })
        .ok,
      false,
    );
    assert.equal(validatePanelHostMessage({ command: 'hello from another extension' }).ok, false);
  });
});

describe('panel: restoring a run from metrics.jsonl', () => {
  it('reads the synthetic run, skipping and logging the two bad lines with their line numbers', async () => {
    const log = recordingLog();
    const { events, badLines: skipped } = await readMetrics(FIXTURE, log);
    assert.equal(skipped, 2);
    assert.equal(log.lines.length, 2);
    assert.match(log.lines[0], /^warn .*metrics\.jsonl:60: skipped, not JSON/);
    assert.match(log.lines[1], /^warn .*metrics\.jsonl:61: skipped, "batch" event: bad or missing field "loss"/);
    const count = (t: TrainEvent['type']) => events.filter((e) => e.type === t).length;
    assert.equal(count('start'), 1);
    assert.equal(count('batch'), 3 * 47);
    assert.equal(count('epoch'), 3);
    assert.equal(count('evaluation'), 3);
    assert.equal(events.at(-1)?.type, 'done');
  });

  it('a missing log is an empty run, not an error', async () => {
    const log = recordingLog();
    assert.deepEqual(await readMetrics(join(FIXTURE, 'no-such-run'), log), { events: [], badLines: 0 });
    assert.deepEqual(log.lines, []);
  });

  it('only the last evaluation is sent to the webview (samples are heavy)', async () => {
    const { events } = await readMetrics(FIXTURE);
    const shown = forDisplay(events);
    const evals = shown.filter((e) => e.type === 'evaluation');
    assert.equal(evals.length, 1);
    assert.equal(evals[0].type === 'evaluation' && evals[0].epoch, 3);
    assert.equal(shown.length, events.length - 2);
  });

  it('a resumed run: epochs before the checkpoint come from the log, the rest from the live history', async () => {
    const { events } = await readMetrics(FIXTURE);
    const start = events[0];
    assert.equal(start.type, 'start');
    if (start.type !== 'start') return;
    const resumed: TrainEvent = { ...start, startEpoch: 3 };
    const live: TrainEvent[] = [
      resumed,
      {
        type: 'batch',
        epoch: 3,
        batch: 1,
        batchesPerEpoch: 47,
        loss: 0.5,
        acc: 0.8,
        imagesPerSecond: 400,
        etaSeconds: 10,
      },
    ];
    const merged = mergeResumed(events, live);
    assert.deepEqual(merged.slice(-2), live);
    const before = merged.slice(0, -2);
    assert.equal(before[0], start);
    assert.ok(before.every((e) => !('epoch' in e) || (e as { epoch: number }).epoch < 3));
    assert.equal(before.filter((e) => e.type === 'epoch').length, 2);
    // A fresh run is its live history alone.
    assert.deepEqual(mergeResumed(events, [start]), [start]);
  });

  describe('runs folder', () => {
    let root: string;
    before(() => {
      root = mkdtempSync(join(tmpdir(), 'nin-panel-runs-'));
      cpSync(FIXTURE, join(root, 'synthetic-run'), { recursive: true });
      mkdirSync(join(root, 'stopped-run'));
      writeFileSync(
        join(root, 'stopped-run', 'metrics.jsonl'),
        readFileSync(join(FIXTURE, 'metrics.jsonl'), 'utf8').split('\n').slice(0, 50).join('\n') +
          '\n{"type":"stopped","epoch":1,"runDir":"x"}\n',
      );
      writeFileSync(join(root, 'stopped-run', 'config.json'), '{"preset": "nope"}');
      mkdirSync(join(root, 'empty-folder'));
      writeFileSync(join(root, 'stray-file.txt'), 'x');
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    it('lists run folders with recipe, completed epochs, final accuracy and status', async () => {
      const log = recordingLog();
      const runs = await listRuns([root, join(root, 'missing')], log);
      const byName = Object.fromEntries(runs.map((r) => [r.name, r]));
      assert.deepEqual(Object.keys(byName).sort(), ['stopped-run', 'synthetic-run']);
      assert.equal(byName['synthetic-run'].status, 'done');
      assert.equal(byName['synthetic-run'].finalTestAcc, 0.861);
      assert.equal(byName['synthetic-run'].epochs, 3);
      assert.equal(byName['synthetic-run'].config?.limitTrain, 6000);
      assert.equal(byName['stopped-run'].status, 'stopped');
      assert.equal(byName['stopped-run'].epochs, 1);
      assert.equal(byName['stopped-run'].finalTestAcc, 0.738);
      // Bad config.json: logged, and the recipe falls back to the log's start event.
      assert.equal(byName['stopped-run'].config?.preset, 'seed');
      assert.ok(
        log.lines.some((l) => /stopped-run.config\.json: training config: bad or missing field "preset"/.test(l)),
        log.lines.join('\n'),
      );
    });

    it('reads epoch curves for the overlay', async () => {
      const c = await readCurves(join(root, 'synthetic-run'));
      assert.deepEqual(
        c.epochs.map((e) => [e.epoch, e.testAcc]),
        [
          [1, 0.738],
          [2, 0.822],
          [3, 0.861],
        ],
      );
    });

    it('only folders directly under a runs root (or the current run) may be read', () => {
      assert.ok(isKnownRunDir(join(root, 'synthetic-run'), [root]));
      assert.ok(isKnownRunDir(join(root, 'a', '..', 'synthetic-run'), [root]));
      assert.equal(isKnownRunDir('/etc', [root]), false);
      assert.equal(isKnownRunDir(join(root, 'synthetic-run', 'deeper'), [root]), false);
      assert.ok(isKnownRunDir('/elsewhere/run', [root], [undefined, '/elsewhere/run']));
    });
  });
});

describe('panel: at most 20 messages a second', () => {
  class FakeClock implements Timers {
    t = 0;
    private tasks: { at: number; f: () => void; id: number }[] = [];
    private next = 1;
    now = (): number => this.t;
    setTimeout = (f: () => void, ms: number): unknown => {
      const id = this.next++;
      this.tasks.push({ at: this.t + ms, f, id });
      return id;
    };
    clearTimeout = (h: unknown): void => {
      this.tasks = this.tasks.filter((x) => x.id !== h);
    };
    advance(ms: number): void {
      const end = this.t + ms;
      for (;;) {
        this.tasks.sort((a, b) => a.at - b.at);
        const task = this.tasks[0];
        if (!task || task.at > end) break;
        this.tasks.shift();
        this.t = task.at;
        task.f();
      }
      this.t = end;
    }
  }
  const batch = (i: number): TrainEvent => ({
    type: 'batch',
    epoch: 1,
    batch: i,
    batchesPerEpoch: 1e6,
    loss: 1,
    acc: 0.5,
    imagesPerSecond: 1,
    etaSeconds: 1,
  });

  it('1,000 events a second for 3 seconds arrive complete, in order, in at most 20 messages a second', () => {
    const clock = new FakeClock();
    const posts: { at: number; events: TrainEvent[] }[] = [];
    const c = new EventCoalescer((events) => posts.push({ at: clock.now(), events }), 50, clock);
    for (let i = 0; i < 3000; i++) {
      c.push(batch(i));
      clock.advance(1);
    }
    clock.advance(100);
    const all = posts.flatMap((p) => p.events);
    assert.equal(all.length, 3000);
    assert.deepEqual(
      all.map((e) => (e.type === 'batch' ? e.batch : -1)),
      [...Array(3000).keys()],
    );
    for (let i = 1; i < posts.length; i++)
      assert.ok(
        posts[i].at - posts[i - 1].at >= 50,
        `posts ${i - 1} and ${i} are ${posts[i].at - posts[i - 1].at} ms apart`,
      );
    assert.ok(posts.length <= 61 && posts.length >= 55, String(posts.length));
  });

  it('a lone event goes out at once; clear() drops what is queued', () => {
    const clock = new FakeClock();
    const posts: TrainEvent[][] = [];
    const c = new EventCoalescer((e) => posts.push(e), 50, clock);
    c.push(batch(1));
    clock.advance(0);
    assert.equal(posts.length, 1);
    c.push(batch(2));
    assert.equal(c.pending, 1);
    c.clear();
    clock.advance(1000);
    assert.equal(posts.length, 1);
  });
});
