// The training panel's webview bundle (out/webview/panel.js) in real Chromium: served with the
// host's own HTML and CSP, a stub acquireVsCodeApi, and VS Code theme variables (dark, light).
// It is fed the SYNTHETIC run fixture and read back: chart columns, diagram shapes, heat map,
// gallery, runs overlay, reveal, validation, state. Screenshots go to test-results/ (look at them).
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeNonce, panelHtml } from '../../src/extension/panel/html';
import { forDisplay } from '../../src/extension/panel/runLog';
import { parseMetrics } from '../../src/runs';
import { diagramLayout, english } from '../../src/model/diagram';
import type { PanelHostMessage, TrainEvent } from '../../src/protocol/index';
import { inferShapes } from '../../src/model/shapes';
import { presetSpec } from '../../src/model/spec';
import { ROOT } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(ROOT, 'out', 'webview');
const RESULTS = join(ROOT, 'test-results');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'synthetic-run');

// A few of VS Code's theme variables, as the workbench injects them (Dark Modern / Light Modern).
const THEMES = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      '--vscode-foreground': '#cccccc',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-panel-border': '#3c3c3c',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-errorForeground': '#f85149',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-badge-background': '#616161',
      '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-panelTitle-activeForeground': '#e7e7e7',
      '--vscode-panelTitle-inactiveForeground': '#9d9d9d',
      '--vscode-panelTitle-activeBorder': '#0078d4',
      '--vscode-checkbox-background': '#313131',
      '--vscode-checkbox-border': '#3c3c3c',
      '--vscode-dropdown-background': '#313131',
      '--vscode-dropdown-foreground': '#cccccc',
      '--vscode-dropdown-border': '#3c3c3c',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': 'monospace',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      '--vscode-foreground': '#3b3b3b',
      '--vscode-editor-background': '#ffffff',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-purple': '#652d90',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-errorForeground': '#e51400',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-panelTitle-activeForeground': '#3b3b3b',
      '--vscode-panelTitle-inactiveForeground': '#3b3b3b',
      '--vscode-panelTitle-activeBorder': '#005fb8',
      '--vscode-checkbox-background': '#f8f8f8',
      '--vscode-checkbox-border': '#cecece',
      '--vscode-dropdown-background': '#ffffff',
      '--vscode-dropdown-foreground': '#3b3b3b',
      '--vscode-dropdown-border': '#cecece',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': 'monospace',
    },
  },
  hc: {
    bodyClass: 'vscode-high-contrast',
    vars: {
      '--vscode-foreground': '#ffffff',
      '--vscode-editor-background': '#000000',
      '--vscode-descriptionForeground': '#ffffff',
      '--vscode-panel-border': '#6fc3df',
      '--vscode-contrastBorder': '#6fc3df',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-border': '#6fc3df',
      '--vscode-focusBorder': '#f38518',
      '--vscode-errorForeground': '#f48771',
      '--vscode-editorWidget-background': '#0c141f',
      '--vscode-badge-background': '#000000',
      '--vscode-badge-foreground': '#ffffff',
      '--vscode-panelTitle-activeForeground': '#ffffff',
      '--vscode-panelTitle-inactiveForeground': '#ffffff',
      '--vscode-panelTitle-activeBorder': '#6fc3df',
      '--vscode-checkbox-background': '#000000',
      '--vscode-checkbox-border': '#6fc3df',
      '--vscode-dropdown-background': '#000000',
      '--vscode-dropdown-foreground': '#ffffff',
      '--vscode-dropdown-border': '#6fc3df',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': 'monospace',
    },
  },
} as const;
type ThemeName = keyof typeof THEMES;

/** Runs in the page before its scripts: the VS Code API stub, theme, CSP violation recorder. */
function initScript(arg: { theme: { bodyClass: string; vars: Record<string, string> }; state: unknown }): void {
  const w = window as unknown as Record<string, unknown>;
  const sent: unknown[] = [];
  const csp: string[] = [];
  w.__sent = sent;
  w.__csp = csp;
  w.__state = arg.state;
  w.acquireVsCodeApi = () => ({
    postMessage: (m: unknown) => sent.push(JSON.parse(JSON.stringify(m))),
    getState: () => w.__state,
    setState: (s: unknown) => {
      w.__state = JSON.parse(JSON.stringify(s));
    },
  });
  document.addEventListener('securitypolicyviolation', (e) =>
    csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`),
  );
  // Like the workbench: variables on <html>, the theme kind as a class on <body>.
  const apply = (): void => {
    for (const [k, v] of Object.entries(arg.theme.vars)) document.documentElement.style.setProperty(k, v);
    document.body?.classList.add(arg.theme.bodyClass);
  };
  if (document.documentElement) apply();
  document.addEventListener('DOMContentLoaded', apply);
}

function readFixture(): { events: TrainEvent[]; skipped: number } {
  const r = parseMetrics(readFileSync(join(FIXTURE, 'metrics.jsonl'), 'utf8'), 'fixture');
  return { events: forDisplay(r.events), skipped: r.badLines };
}

describe('training panel webview in Chromium (SYNTHETIC run)', function () {
  this.timeout(90_000);
  let server: Server;
  let origin = '';
  let browser: Browser;
  const diagram = diagramLayout(inferShapes(presetSpec('seed')));
  const run = readFixture();
  const runDir = '/synthetic/runs/synthetic-run';

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (scripts/setup-system.sh installs it)`);
    assert.ok(existsSync(join(OUT, 'panel.js')), 'out/webview/panel.js is missing: run npm run build');
    mkdirSync(RESULTS, { recursive: true });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/') {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(
          panelHtml({
            cspSource: origin,
            nonce: makeNonce(),
            scriptUri: `${origin}/webview/panel.js`,
            styleUri: `${origin}/webview/panel.css`,
            lang: 'en',
            title: 'NiN Training',
            loading: 'Loading…',
          }),
        );
        return;
      }
      const m = /^\/webview\/(panel\.(js|css))$/.exec(url.pathname);
      if (!m) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('content-type', m[2] === 'js' ? 'text/javascript' : 'text/css');
      res.end(readFileSync(join(OUT, m[1])));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  async function open(theme: ThemeName, state: unknown = undefined, width = 1100): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`${e.message} ${e.stack ?? ''}`.slice(0, 600)));
    (page as unknown as { __errors: string[] }).__errors = errors;
    await page.addInitScript(initScript, { theme: THEMES[theme], state });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() =>
      (window as unknown as { __sent: { type: string }[] }).__sent.some((m) => m.type === 'ready'),
    );
    return page;
  }

  const send = (page: Page, m: PanelHostMessage | unknown): Promise<void> =>
    page.evaluate((msg) => window.postMessage(msg, '*'), m);
  const sent = (page: Page): Promise<{ type: string; [k: string]: unknown }[]> =>
    page.evaluate(() => (window as unknown as { __sent: { type: string }[] }).__sent);
  const settle = (page: Page): Promise<void> =>
    page.evaluate(
      () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50)))),
    );

  async function feedRun(page: Page): Promise<void> {
    await send(page, { type: 'init', strings: {}, locale: 'en', diagram });
    await send(page, {
      type: 'reset',
      runDir,
      running: false,
      source: 'log',
      events: run.events,
      skipped: run.skipped,
    });
    await page.waitForFunction(() => customElements.get('vscode-panels') !== undefined);
    await settle(page);
  }

  async function tab(page: Page, name: string): Promise<void> {
    await page.click(`#tab-${name}`);
    await settle(page);
    await page.waitForTimeout(150);
  }

  async function noCspViolations(page: Page): Promise<void> {
    const csp = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    assert.deepEqual(csp, [], `CSP violations: ${csp.join('; ')}`);
    assert.deepEqual((page as unknown as { __errors: string[] }).__errors, []);
  }

  for (const theme of ['dark', 'light', 'hc'] as const) {
    it(`${theme}: curves, stats and diagram come from the run; screenshots`, async () => {
      const page = await open(theme);
      const first = (await sent(page))[0];
      assert.deepEqual(first, { type: 'ready' }, 'the webview speaks first, with ready');
      await feedRun(page);
      const data = await page.evaluate(() => {
        const p = (
          window as unknown as {
            __ninPanel: { series: { x: { length: number } }; charts: Record<string, { shown: (number | null)[][] }> };
          }
        ).__ninPanel;
        return { n: p.series.x.length, loss: p.charts.loss.shown, acc: p.charts.acc.shown };
      });
      // 3 epochs x 47 batches, minus the fixture's skipped line (it was line 61, a batch).
      assert.equal(data.n, 3 * 47);
      assert.equal(data.loss.length, 3);
      assert.equal(data.loss[0].length, 141, 'few points: no decimation');
      assert.equal(data.loss[0][0], 1 / 47);
      assert.equal(data.loss[0].at(-1), 3);
      const batch1 = run.events.find((e) => e.type === 'batch');
      assert.equal(data.loss[1][0], batch1?.type === 'batch' ? batch1.loss : NaN);
      // Accuracy: epoch points at x = 1, 2, 3 with train and test accuracy from the epoch events.
      const epochs = run.events.filter((e) => e.type === 'epoch');
      const testAt = data.acc[0].map((x, i) => [x, data.acc[3][i]]).filter(([, t]) => t !== null);
      assert.deepEqual(
        testAt,
        epochs.map((e) => [e.epoch, e.testAcc]),
      );
      const stats = await page.$$eval('.stats dd', (dds) => dds.map((d) => d.textContent));
      assert.equal(stats[0], '3 / 3');
      assert.equal(stats[4], '86.1%');
      assert.equal(stats[7], 'wasm');
      assert.match((await page.textContent('.notice')) ?? '', /2 malformed lines/);
      const state = await page.evaluate(() => (window as unknown as { __state: { runDir?: string } }).__state);
      assert.equal(state.runDir, runDir, 'the run is in the webview state for a reload');
      await page.screenshot({ path: join(RESULTS, `panel-training-${theme}.png`), fullPage: true });

      await tab(page, 'architecture');
      const shapes = await page.$$eval('svg.diagram-svg text.shape', (ts) => ts.map((t) => t.textContent));
      assert.deepEqual(shapes, [
        '1×224×224',
        '96×54×54',
        '96×26×26',
        '256×26×26',
        '256×12×12',
        '384×12×12',
        '384×5×5',
        '384×5×5',
        '10×5×5',
        '10×1×1',
        '10',
      ]);
      const blocks = await page.$$eval('svg .block', (gs) => gs.map((g) => g.getAttribute('data-id')));
      assert.deepEqual(
        blocks,
        diagram.blocks.map((b) => b.id),
      );
      assert.match(
        (await page.getAttribute('#block-nin_block_1', 'aria-label')) ?? '',
        /NiN block 1, 1×224×224 → 96×54×54, 30,336 parameters/,
      );
      assert.match((await page.textContent('.fc-head')) ?? '', /58,105,354/);
      await page.screenshot({ path: join(RESULTS, `panel-architecture-${theme}.png`), fullPage: true });

      await tab(page, 'evaluation');
      const cells = await page.$$eval('table.heatmap td.cell', (tds) =>
        tds.map((td) => Number(td.getAttribute('data-count'))),
      );
      const evaluation = run.events.findLast((e) => e.type === 'evaluation');
      assert.deepEqual(cells, evaluation?.type === 'evaluation' ? evaluation.confusion.flat() : []);
      assert.equal(await page.$$eval('.gallery .tile', (t) => t.length), 48);
      // The pixels are drawn: the first tile's canvas is not blank.
      const ink = await page.$eval('.gallery canvas', (c) => {
        const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) sum += d[i];
        return sum;
      });
      assert.ok(ink > 10_000, `canvas ink ${ink}`);
      await page.screenshot({ path: join(RESULTS, `panel-evaluation-${theme}.png`), fullPage: true });
      await noCspViolations(page);
      await page.close();
    });
  }

  it('evaluation filters: mistakes only, one class; row-normalised toggle; state kept', async () => {
    const page = await open('dark');
    await feedRun(page);
    await tab(page, 'evaluation');
    await page.click('vscode-checkbox:has-text("Only mistakes")');
    await settle(page);
    const wrong = await page.$$eval('.gallery .tile', (t) => t.map((x) => x.classList.contains('wrong')));
    assert.equal(wrong.length, 12);
    assert.ok(wrong.every(Boolean));
    await page.click('vscode-checkbox:has-text("Row-normalised")');
    await settle(page);
    const firstRow = await page.$$eval('table.heatmap tbody tr:first-child td.cell', (tds) =>
      tds.map((td) => td.textContent ?? ''),
    );
    assert.ok(
      firstRow.some((t) => t.endsWith('%')),
      firstRow.join(' '),
    );
    const state = await page.evaluate(() => (window as unknown as { __state: { eval: unknown } }).__state.eval);
    assert.deepEqual(state, { normalised: true, mistakesOnly: true, classFilter: -1 });
    await page.screenshot({ path: join(RESULTS, 'panel-evaluation-mistakes-dark.png'), fullPage: true });
    await noCspViolations(page);
    await page.close();
  });

  it('reveal from the side view switches to the diagram and focuses the block; arrows move between blocks', async () => {
    const page = await open('dark');
    await feedRun(page);
    await send(page, { type: 'reveal', blockId: 'global_avg_pool' });
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-id') === 'global_avg_pool');
    assert.equal(await page.getAttribute('vscode-panels', 'activeid'), 'tab-architecture');
    assert.ok(await page.$eval('#block-global_avg_pool', (g) => g.classList.contains('revealed')));
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'flatten');
    await page.keyboard.press('Home');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'input');
    await send(page, { type: 'reveal', blockId: 'no_such_block' });
    await page.waitForFunction(() =>
      (window as unknown as { __sent: { type: string; message?: string }[] }).__sent.some(
        (m) => m.type === 'log' && /no_such_block/.test(m.message ?? ''),
      ),
    );
    await page.close();
  });

  it('malformed host messages are reported and ignored; buttons act through commands', async () => {
    const page = await open('dark');
    await feedRun(page);
    await send(page, { type: 'events', events: [{ type: 'batch', loss: 'oops' }] });
    await send(page, { type: 'takeOver' });
    await settle(page);
    const logs = (await sent(page)).filter((m) => m.type === 'log');
    assert.equal(logs.length, 2, JSON.stringify(logs));
    assert.ok(logs.every((l) => l.level === 'warn'));
    assert.equal(
      await page.evaluate(
        () => (window as unknown as { __ninPanel: { series: { x: { length: number } } } }).__ninPanel.series.x.length,
      ),
      141,
    );
    // The run is finished: Train is enabled, Stop is not.
    await page.click('vscode-button:has-text("Train")');
    await page.click('vscode-button:has-text("Stop")', { force: true });
    const commands = (await sent(page)).filter((m) => m.type === 'command');
    assert.deepEqual(commands, [{ type: 'command', command: 'train' }]);
    await page.close();
  });

  it('a reload comes back with the same run and tab (ready carries the run from getState)', async () => {
    const page = await open('dark', {
      runDir,
      tab: 'architecture',
      eval: { normalised: true, mistakesOnly: false, classFilter: 6 },
      selectedRuns: [],
    });
    assert.deepEqual((await sent(page))[0], { type: 'ready', runDir });
    await feedRun(page);
    assert.equal(await page.getAttribute('vscode-panels', 'activeid'), 'tab-architecture');
    await tab(page, 'evaluation');
    const tiles = await page.$$eval('.gallery .tile', (t) => t.length);
    assert.ok(tiles > 0 && tiles < 48, `class filter restored: ${tiles} tiles`);
    await page.close();
  });

  it('zh-cn: the host-supplied strings label the panel and the diagram', async () => {
    const zh = JSON.parse(readFileSync(join(ROOT, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    const page = await open('dark');
    const zhDiagram = diagramLayout(inferShapes(presetSpec('seed')), (m, a) => english(zh[m] ?? m, a));
    await send(page, { type: 'init', strings: zh, locale: 'zh-cn', diagram: zhDiagram });
    await send(page, { type: 'reset', runDir, running: false, source: 'log', events: run.events, skipped: 0 });
    await settle(page);
    assert.equal(await page.textContent('#tab-architecture'), '网络结构');
    assert.equal(await page.textContent('.stat-epoch dt'), '迭代周期');
    assert.equal(await page.textContent('#block-nin_block_1 text.title'), 'NiN基础块 1');
    assert.equal(await page.textContent('#block-global_avg_pool text.title'), '全局平均池化层');
    assert.match((await page.textContent('#block-nin_block_2')) ?? '', /1×1卷积层，256 个通道/);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-cn');
    await page.close();
  });

  it('runs overlay: pick two runs, the host is asked for their curves, and they are drawn over each other', async () => {
    const page = await open('light');
    await feedRun(page);
    await tab(page, 'runs');
    const config = run.events[0].type === 'start' ? run.events[0].config : undefined;
    await send(page, {
      type: 'runs',
      runs: [
        { runDir: '/r/a', name: 'run-a', config, epochs: 3, finalTestAcc: 0.846, status: 'done', modified: 2 },
        {
          runDir: '/r/b',
          name: 'run-b',
          config: config && { ...config, optimizer: 'adam', lr: 0.001 },
          epochs: 2,
          finalTestAcc: 0.79,
          status: 'stopped',
          modified: 1,
        },
        { runDir: '/r/c', name: 'run-c', config, epochs: 0, status: 'diverged', modified: 0 },
      ],
    });
    await settle(page);
    // A run that ended in the divergence error reads as such, not as a crash.
    assert.match((await page.textContent('tr[data-run-dir="/r/c"]')) ?? '', /diverged/);
    await page.click('tr[data-run-dir="/r/a"] vscode-checkbox');
    await page.click('tr[data-run-dir="/r/b"] vscode-checkbox');
    await page.click('vscode-button:has-text("Overlay selected runs")');
    const req = (await sent(page)).find((m) => m.type === 'requestOverlay');
    assert.deepEqual(req, { type: 'requestOverlay', runDirs: ['/r/a', '/r/b'] });
    const epochs = run.events.filter((e) => e.type === 'epoch');
    await send(page, {
      type: 'overlay',
      curves: [
        { runDir: '/r/a', name: 'run-a', epochs },
        {
          runDir: '/r/b',
          name: 'run-b',
          epochs: epochs.slice(0, 2).map((e) => ({ ...e, testAcc: e.testAcc - 0.05, trainLoss: e.trainLoss + 0.1 })),
        },
      ],
    });
    await settle(page);
    await page.waitForTimeout(200);
    const shown = await page.evaluate(
      () =>
        (window as unknown as { __ninPanel: { charts: { overlayAcc: { shown: unknown } } } }).__ninPanel.charts
          .overlayAcc.shown,
    );
    assert.deepEqual(shown, [
      [1, 2, 3],
      epochs.map((e) => e.testAcc),
      [...epochs.slice(0, 2).map((e) => e.testAcc - 0.05), null],
    ]);
    await page.screenshot({ path: join(RESULTS, 'panel-runs-light.png'), fullPage: true });
    await noCspViolations(page);
    await page.close();
  });

  it('keeps up with 60,000 batch points: decimated to about two points per pixel', async () => {
    const page = await open('dark');
    await send(page, { type: 'init', strings: {}, locale: 'en', diagram });
    const first = run.events[0];
    const start =
      first.type === 'start'
        ? { ...first, config: { ...first.config, epochs: 10, limitTrain: 0 }, batchesPerEpoch: 6000, trainSize: 60_000 }
        : first;
    await send(page, { type: 'reset', runDir, running: true, source: 'live', events: [start], skipped: 0 });
    // 60,000 points in 120 coalesced messages of 500, as the host would send them.
    const stats = await page.evaluate(async (startEvent) => {
      const bpe = 6000;
      const times: number[] = [];
      const t0 = performance.now();
      for (let m = 0; m < 120; m++) {
        const events = [];
        for (let k = 0; k < 500; k++) {
          const i = m * 500 + k;
          const epoch = Math.floor(i / bpe) + 1;
          events.push({
            type: 'batch',
            epoch,
            batch: (i % bpe) + 1,
            batchesPerEpoch: bpe,
            loss: 2 * Math.exp(-i / 20000) + 0.3 * Math.random(),
            acc: 0.5,
            imagesPerSecond: 400,
            etaSeconds: 100,
          });
        }
        window.postMessage({ type: 'events', events }, '*');
        await new Promise((r) => setTimeout(r, 0));
        const p = (window as unknown as { __ninPanel: { draw(): void } }).__ninPanel;
        const a = performance.now();
        p.draw();
        // uPlot paints in a microtask after setData: wait for it so the time includes the paint.
        await new Promise<void>((r) => queueMicrotask(r));
        await new Promise<void>((r) => queueMicrotask(r));
        times.push(performance.now() - a);
      }
      void startEvent;
      const p = (
        window as unknown as {
          __ninPanel: { series: { x: { length: number } }; charts: { loss: { shown: number[][]; el: HTMLElement } } };
        }
      ).__ninPanel;
      return {
        total: performance.now() - t0,
        n: p.series.x.length,
        shown: p.charts.loss.shown[0].length,
        width: p.charts.loss.el.clientWidth,
        maxDraw: Math.max(...times),
        meanDraw: times.reduce((a, b) => a + b, 0) / times.length,
      };
    }, start);
    assert.equal(stats.n, 60_000);
    assert.ok(stats.shown <= 2 * stats.width + 4, `${stats.shown} points shown for ${stats.width} px`);
    assert.ok(stats.shown > stats.width / 2, `${stats.shown} points shown for ${stats.width} px`);
    console.log(
      `      60,000 points in 120 messages: ${stats.shown} drawn at ${stats.width} px; redraw (decimate + setData + paint) mean ${stats.meanDraw.toFixed(1)} ms, max ${stats.maxDraw.toFixed(1)} ms; total ${stats.total.toFixed(0)} ms`,
    );
    await page.screenshot({ path: join(RESULTS, 'panel-60k-points-dark.png') });
    await noCspViolations(page);
    await page.close();
  });
});
