// The panel's host side (src/extension/panel/index.ts) against a small fake of the vscode API:
// it posts nothing before `ready`, then init + reset; restores a run from its metrics.jsonl;
// streams live events at most 20 messages a second; logs and ignores malformed messages; acts
// only through commands; renders a strict CSP with a fresh nonce; comes back via the serializer.
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMetrics } from '../../src/runs';
import { CLASS_NAMES } from '../../src/model/eval/classes';
import type { PanelHostMessage, TrainEvent } from '../../src/protocol/index';
import { ROOT } from './helpers';

type Listener<T> = (e: T) => void;
class FakeEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (l: Listener<T>): { dispose(): void } => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
}

interface FakeUri {
  fsPath: string;
  scheme: string;
  toString(): string;
}
const uri = (p: string): FakeUri => ({ fsPath: p, scheme: 'file', toString: () => `file://${p}` });

class FakeWebview {
  html = '';
  options: { enableScripts?: boolean; localResourceRoots?: FakeUri[] } = {};
  cspSource = 'https://webview.test';
  posted: PanelHostMessage[] = [];
  readonly received = new FakeEmitter<unknown>();
  onDidReceiveMessage = this.received.event;
  asWebviewUri = (u: FakeUri): FakeUri => uri(`/webview-resource${u.fsPath}`);
  postMessage(m: PanelHostMessage): Promise<boolean> {
    this.posted.push(JSON.parse(JSON.stringify(m)));
    return Promise.resolve(true);
  }
}

class FakePanel {
  webview = new FakeWebview();
  visible = true;
  title = '';
  iconPath: unknown;
  readonly disposed = new FakeEmitter<void>();
  readonly viewState = new FakeEmitter<{ webviewPanel: FakePanel }>();
  onDidDispose = this.disposed.event;
  onDidChangeViewState = this.viewState.event;
  reveals = 0;
  constructor(readonly viewType: string) {}
  reveal(): void {
    this.reveals++;
  }
  dispose(): void {
    this.disposed.fire();
  }
}

const fake = {
  panels: [] as FakePanel[],
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as string[],
  serializers: new Map<string, { deserializeWebviewPanel(p: unknown, state: unknown): Promise<void> }>(),
  settings: {} as Record<string, unknown>,
  workspace: '' as string,
};

const vscodeFake = {
  ViewColumn: { Active: -1, Beside: -2 },
  Uri: {
    joinPath: (base: FakeUri, ...parts: string[]) => uri(join(base.fsPath, ...parts)),
    file: (p: string) => uri(p),
  },
  l10n: {
    t: (m: string, ...args: unknown[]) =>
      typeof args[0] === 'object' && args[0] !== null
        ? m.replace(/\{(\w+)\}/g, (x, k: string) => String((args[0] as Record<string, unknown>)[k] ?? x))
        : m.replace(/\{(\d+)\}/g, (x, i: string) => String(args[Number(i)] ?? x)),
  },
  env: { language: 'en' },
  window: {
    createWebviewPanel: (viewType: string) => {
      const p = new FakePanel(viewType);
      fake.panels.push(p);
      return p;
    },
    registerWebviewPanelSerializer: (
      viewType: string,
      s: { deserializeWebviewPanel(p: unknown, state: unknown): Promise<void> },
    ) => {
      fake.serializers.set(viewType, s);
      return { dispose: () => fake.serializers.delete(viewType) };
    },
    showErrorMessage: () => Promise.resolve(undefined),
  },
  commands: {
    registerCommand: (id: string, f: (...args: unknown[]) => unknown) => {
      fake.commands.set(id, f);
      return { dispose: () => fake.commands.delete(id) };
    },
    executeCommand: (id: string) => {
      fake.executed.push(id);
      return Promise.resolve();
    },
  },
  workspace: {
    getConfiguration: () => ({ get: (k: string) => fake.settings[k] }),
    onDidChangeConfiguration: new FakeEmitter<unknown>().event,
    get workspaceFolders() {
      return fake.workspace ? [{ uri: uri(fake.workspace) }] : undefined;
    },
  },
};

const FIXTURE = join(ROOT, 'test', 'fixtures', 'synthetic-run');

describe('training panel host (fake vscode)', function () {
  this.timeout(20_000);
  let createPanel: typeof import('../../src/extension/panel/index').createPanel;
  let showNetwork: ReturnType<typeof createPanel>['showNetwork'];
  let restoreLoad: () => void;
  let ws: string;
  let runDir: string;
  const logLines: string[] = [];
  const log = {
    info: (m: string) => logLines.push(`info ${m}`),
    warn: (m: string) => logLines.push(`warn ${m}`),
    error: (m: string) => logLines.push(`error ${m}`),
    trace: () => undefined,
  };
  const emitter = new FakeEmitter<TrainEvent>();
  const feed = {
    onEvent: emitter.event,
    currentRunDir: undefined as string | undefined,
    history: [] as TrainEvent[],
    running: false,
  };
  let disposables: { dispose(): void }[] = [];

  before(async () => {
    const M = Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown };
    const original = M._load;
    M._load = function (req: string, ...rest: unknown[]) {
      return req === 'vscode' ? vscodeFake : original.call(this, req, ...rest);
    };
    restoreLoad = () => (M._load = original);
    // Loaded lazily, after the fake is in place (esbuild keeps dynamic imports lazy).
    createPanel = (await import('../../src/extension/panel/index.js')).createPanel;
    ws = mkdtempSync(join(tmpdir(), 'nin-panel-ws-'));
    runDir = join(ws, '.nin', 'runs', 'synthetic-run');
    cpSync(FIXTURE, runDir, { recursive: true });
    fake.workspace = ws;
  });
  after(() => {
    restoreLoad();
    rmSync(ws, { recursive: true, force: true });
  });
  beforeEach(() => {
    const context = { extensionUri: uri('/ext'), globalStorageUri: uri(join(ws, 'global')), subscriptions: [] };
    ({ disposables, showNetwork } = createPanel(context as never, feed as never, log as never));
    fake.panels = [];
    fake.executed = [];
    logLines.length = 0;
    feed.currentRunDir = undefined;
    feed.history = [];
    feed.running = false;
  });
  afterEach(() => disposables.forEach((d) => d.dispose()));

  const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
  /** Wait (polling) until `f` holds; the host's handlers are async and the machine may be slow. */
  const until = async (what: string, f: () => boolean, ms = 10_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!f()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await tick(5);
    }
  };
  /** Post a message from the webview; with `expect`, wait for the host's answer of that type. */
  const say = async (p: FakePanel, m: unknown, expect?: PanelHostMessage['type']): Promise<void> => {
    const before = p.webview.posted.length;
    p.webview.received.fire(m);
    if (expect)
      await until(`a "${expect}" answer`, () => p.webview.posted.slice(before).some((x) => x.type === expect));
    else await tick(20);
  };
  const open = async (): Promise<FakePanel> => {
    await fake.commands.get('nin.showPanel')!();
    return fake.panels.at(-1)!;
  };

  it('registers nin.showPanel, nin.revealBlock and the serializer; the page has a strict CSP and a fresh nonce per render', async () => {
    assert.ok(fake.commands.has('nin.showPanel') && fake.commands.has('nin.revealBlock'));
    assert.ok(fake.serializers.has('nin.trainingPanel'));
    const p = await open();
    assert.equal(p.viewType, 'nin.trainingPanel');
    assert.deepEqual(
      p.webview.options.localResourceRoots?.map((u) => u.fsPath),
      ['/ext/out/webview'],
    );
    assert.equal(p.webview.options.enableScripts, true);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(p.webview.html)?.[1] ?? '';
    assert.match(csp, /^default-src 'none'; /);
    const nonce = /script-src 'nonce-([0-9a-f]{32})'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.ok(
      p.webview.html.includes(`<script nonce="${nonce}" src="file:///webview-resource/ext/out/webview/panel.js">`),
    );
    assert.ok(!/unsafe-inline|unsafe-eval/.test(csp));
    // A second panel (after closing the first) gets another nonce.
    p.dispose();
    const q = await open();
    assert.notEqual(/nonce-([0-9a-f]+)/.exec(q.webview.html)?.[1], nonce);
  });

  it('posts nothing before ready; then init, and the run restored from metrics.jsonl (bad lines skipped and logged)', async () => {
    feed.currentRunDir = runDir;
    const p = await open();
    await tick(20);
    assert.deepEqual(p.webview.posted, [], 'nothing before ready');
    await say(p, { type: 'ready' }, 'reset');
    const [init, reset] = p.webview.posted as PanelHostMessage[];
    if (init.type !== 'init' || reset.type !== 'reset')
      throw new Error(`expected init, reset; got ${init.type}, ${reset.type}`);
    assert.equal(init.strings['Training loss per batch'], 'Training loss per batch');
    // evalView translates CLASS_NAMES at run time: the ten Fashion-MNIST labels must be sent.
    assert.equal(CLASS_NAMES.length, 10);
    assert.deepEqual([CLASS_NAMES[0], CLASS_NAMES[9]], ['T-shirt/top', 'Ankle boot']);
    for (const c of CLASS_NAMES) assert.equal(init.strings[c], c);
    assert.equal(init.diagram.blocks[1].output, '96×54×54');
    assert.equal(reset.source, 'log');
    assert.equal(reset.runDir, runDir);
    assert.equal(reset.skipped, 2);
    assert.equal(reset.events.filter((e) => e.type === 'batch').length, 141);
    assert.equal(reset.events.filter((e) => e.type === 'evaluation').length, 1);
    assert.equal(logLines.filter((l) => /metrics\.jsonl:6[01]: skipped/.test(l)).length, 2, logLines.join('\n'));
  });

  it('after a reload the serializer adopts the panel and the webview state picks the run', async () => {
    const restored = new FakePanel('nin.trainingPanel');
    await fake.serializers.get('nin.trainingPanel')!.deserializeWebviewPanel(restored, { runDir });
    assert.match(restored.webview.html, /Content-Security-Policy/);
    await say(restored, { type: 'ready', runDir }, 'reset');
    const reset = restored.webview.posted.find((m) => m.type === 'reset');
    assert.equal(reset?.type === 'reset' && reset.runDir, runDir);
    assert.equal(reset?.type === 'reset' && reset.source, 'log');
  });

  it('a live run: history first, then coalesced events at most 20 messages a second', async () => {
    const { events } = parseMetrics(readFileSync(join(FIXTURE, 'metrics.jsonl'), 'utf8'), 'fixture');
    feed.running = true;
    feed.currentRunDir = runDir;
    feed.history = events.slice(0, 10);
    const p = await open();
    await say(p, { type: 'ready' }, 'reset');
    const reset = p.webview.posted.find((m) => m.type === 'reset');
    assert.equal(reset?.type === 'reset' && reset.source, 'live');
    assert.equal(reset?.type === 'reset' && reset.events.length, 10);
    p.webview.posted = [];
    const t0 = Date.now();
    const rest = events.slice(10, 130).filter((e) => e.type !== 'start');
    for (const e of rest) {
      emitter.fire(e);
      await tick(2);
    }
    await tick(120);
    const elapsed = Date.now() - t0;
    const bundles = p.webview.posted.filter((m) => m.type === 'events');
    const delivered = bundles.flatMap((m) => (m.type === 'events' ? m.events : []));
    assert.deepEqual(delivered, rest, 'every event, in order');
    assert.ok(bundles.length <= Math.ceil(elapsed / 50) + 1, `${bundles.length} messages in ${elapsed} ms`);
    assert.ok(bundles.length < rest.length / 2, `${bundles.length} messages for ${rest.length} events`);
  });

  it('a new run replaces a run shown from its log, even before the session history holds its start', async () => {
    feed.currentRunDir = runDir;
    const p = await open();
    await say(p, { type: 'ready' }, 'reset');
    const { events } = parseMetrics(readFileSync(join(FIXTURE, 'metrics.jsonl'), 'utf8'), 'fixture');
    emitter.fire(events[5]);
    await tick(80);
    assert.equal(p.webview.posted.filter((m) => m.type === 'events').length, 0, 'a log run does not take live events');
    feed.running = true;
    emitter.fire({ type: 'prepare', message: 'verifying the dataset', fraction: 0.5 });
    await tick(20);
    const prep = p.webview.posted.at(-1);
    assert.ok(
      prep?.type === 'reset' && prep.source === 'live' && prep.events[0].type === 'prepare',
      JSON.stringify(prep)?.slice(0, 200),
    );
    const start = { ...events[0], runId: 'new-run' } as TrainEvent;
    emitter.fire(start);
    await tick(20);
    const reset = p.webview.posted.at(-1);
    assert.ok(
      reset?.type === 'reset' && reset.source === 'live' && reset.events.length === 1,
      JSON.stringify(reset)?.slice(0, 200),
    );
    emitter.fire(events[1]);
    await tick(80);
    assert.deepEqual(p.webview.posted.at(-1), { type: 'events', events: [events[1]] });
  });

  it('like the session: a start fired before currentRunDir moves to it; Open Run replays a log without re-sending it', async () => {
    const { events } = parseMetrics(readFileSync(join(FIXTURE, 'metrics.jsonl'), 'utf8'), 'fixture');
    feed.currentRunDir = '/old/run';
    const p = await open();
    await say(p, { type: 'ready' }, 'reset');
    // A live run: the session records and fires the start, then updates currentRunDir.
    feed.running = true;
    const start = { ...events[0], runDir } as TrainEvent;
    feed.history = [start];
    emitter.fire(start);
    feed.currentRunDir = runDir;
    await tick(20);
    const reset = p.webview.posted.at(-1);
    assert.ok(
      reset?.type === 'reset' && reset.runDir === runDir,
      `reset names the new run: ${JSON.stringify(reset)?.slice(0, 120)}`,
    );
    // Open Run: history is the log, running is false, every event is fired again.
    feed.running = false;
    feed.history = events;
    p.webview.posted = [];
    for (const e of events) emitter.fire(e);
    await tick(120);
    assert.deepEqual(
      p.webview.posted.map((m) => m.type),
      ['reset'],
    );
    const replay = p.webview.posted[0];
    assert.ok(
      replay.type === 'reset' && replay.events.filter((e) => e.type === 'batch').length === 141 && !replay.running,
    );
  });

  it('malformed or unknown webview messages are logged and ignored; commands go through executeCommand', async () => {
    const p = await open();
    await say(p, { type: 'ready' }, 'reset');
    const before = p.webview.posted.length;
    await say(p, { type: 'command', command: 'workbench.action.closeWindow' });
    await say(p, { type: 'runShell', cmd: 'rm -rf /' });
    await say(p, 'ready');
    await say(p, { type: 'showRun', runDir: '/etc' });
    assert.equal(p.webview.posted.length, before);
    assert.deepEqual(fake.executed, []);
    assert.equal(logLines.filter((l) => l.startsWith('warn panel:')).length, 4, logLines.join('\n'));
    await say(p, { type: 'command', command: 'stop' });
    await say(p, { type: 'command', command: 'train' });
    assert.deepEqual(fake.executed, ['nin.stop', 'nin.train']);
  });

  it('lists runs and answers an overlay request only for known run folders', async () => {
    const p = await open();
    await say(p, { type: 'ready' }, 'reset');
    await say(p, { type: 'listRuns' }, 'runs');
    const runs = p.webview.posted.find((m) => m.type === 'runs');
    assert.deepEqual(runs?.type === 'runs' && runs.runs.map((r) => [r.name, r.finalTestAcc, r.status]), [
      ['synthetic-run', 0.861, 'done'],
    ]);
    await say(p, { type: 'requestOverlay', runDirs: [runDir, '/etc/passwd-dir'] }, 'overlay');
    const overlay = p.webview.posted.find((m) => m.type === 'overlay');
    assert.deepEqual(overlay?.type === 'overlay' && overlay.curves.map((c) => [c.name, c.epochs.length]), [
      ['synthetic-run', 3],
    ]);
    assert.ok(logLines.some((l) => /overlay ignored 1 unknown/.test(l)));
  });

  it("showNetwork (a model from the editor): the panel opens on its diagram, keeps it over the restored run's, until a new run starts", async () => {
    feed.currentRunDir = runDir;
    const model = {
      name: 'nin()',
      input: [1, 28, 28] as const,
      layers: [
        { kind: 'nin_block', outChannels: 10, kernel: 5, stride: 1, padding: 2, mlpConvs: 1 },
        { kind: 'gap' },
        { kind: 'flatten' },
      ] as const,
    };
    showNetwork({ preset: 'model', input: 28, model });
    const p = fake.panels.at(-1)!;
    await say(p, { type: 'ready' }, 'reveal');
    await until('the restored run', () => p.webview.posted.some((m) => m.type === 'reset'));
    const diagrams = p.webview.posted.flatMap((m) =>
      m.type === 'init' || m.type === 'diagram' ? [m.diagram.preset] : [],
    );
    assert.deepEqual(diagrams, ['nin()'], "the restored run's diagram does not replace the model's");
    const init = p.webview.posted.find((m) => m.type === 'init');
    assert.ok(init?.type === 'init');
    assert.deepEqual(
      init.diagram.blocks.find((b) => b.id === 'nin_block_1')?.parts.map((x) => x.kind),
      ['conv', 'conv1x1'],
    );
    assert.deepEqual(p.webview.posted.at(-1), { type: 'reveal', blockId: init.diagram.blocks[0].id });
    const { events } = parseMetrics(readFileSync(join(FIXTURE, 'metrics.jsonl'), 'utf8'), 'fixture');
    feed.running = true;
    emitter.fire({ ...events[0], runId: 'new-run' } as TrainEvent);
    await until("the new run's diagram", () => p.webview.posted.some((m) => m.type === 'diagram'));
    const last = p.webview.posted.filter((m) => m.type === 'diagram').at(-1);
    assert.ok(last?.type === 'diagram' && last.diagram.preset !== 'nin()', JSON.stringify(last)?.slice(0, 120));
  });

  it('nin.revealBlock opens the panel and sends the reveal after ready (by id or layer index)', async () => {
    await fake.commands.get('nin.revealBlock')!('nin_block_3');
    const p = fake.panels.at(-1)!;
    assert.deepEqual(p.webview.posted, []);
    await say(p, { type: 'ready' }, 'reveal');
    assert.deepEqual(p.webview.posted.at(-1), { type: 'reveal', blockId: 'nin_block_3' });
    await fake.commands.get('nin.revealBlock')!(8);
    await tick(20);
    assert.deepEqual(p.webview.posted.at(-1), { type: 'reveal', blockId: 'global_avg_pool' });
    await fake.commands.get('nin.revealBlock')!('<script>');
    assert.ok(logLines.some((l) => /revealBlock: ignored/.test(l)));
  });
});
