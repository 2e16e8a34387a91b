/**
 * The training panel's webview: live curves (uPlot), the status strip, the architecture
 * diagram, the evaluation views and the runs overlay. It speaks first (`ready`), validates
 * every message from the host, keeps its UI state with getState/setState so a reload or a
 * restored window comes back as it was, and redraws at most once per animation frame, only
 * when the data changed.
 */
import 'uplot/dist/uPlot.min.css';
import './panel.css';
import type uPlot from 'uplot';
import { validatePanelHostMessage, type PanelHostMessage, type PanelWebviewMessage } from '../../protocol/index';
import { LineChart } from './charts';
import { minMaxDecimate } from './decimate';
import { DiagramView } from './diagramView';
import { EvalView, type EvalOptions } from './evalView';
import { duration, int, num, pct, s, setStrings } from './i18n';
import { RunsView } from './runsView';
import { RunSeries } from './series';
import { statusText } from './statusText';
import { onThemeChange } from './theme';

interface VsCodeApi {
  postMessage(message: PanelWebviewMessage): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives a reload (webview state). */
interface PanelState {
  runDir?: string;
  tab: string;
  eval: EvalOptions;
  selectedRuns: string[];
}

const TABS = ['training', 'architecture', 'evaluation', 'runs'] as const;

function loadState(raw: unknown): PanelState {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<PanelState>;
  const e = (typeof r.eval === 'object' && r.eval !== null ? r.eval : {}) as Partial<EvalOptions>;
  return {
    runDir: typeof r.runDir === 'string' ? r.runDir : undefined,
    tab: typeof r.tab === 'string' && (TABS as readonly string[]).includes(r.tab) ? r.tab : 'training',
    eval: {
      normalised: e.normalised === true,
      mistakesOnly: e.mistakesOnly === true,
      classFilter:
        Number.isInteger(e.classFilter) && (e.classFilter as number) >= -1 && (e.classFilter as number) < 10
          ? (e.classFilter as number)
          : -1,
    },
    selectedRuns: Array.isArray(r.selectedRuns) ? r.selectedRuns.filter((x): x is string => typeof x === 'string') : [],
  };
}

const vscode = acquireVsCodeApi();
const state = loadState(vscode.getState());
const save = (): void => vscode.setState(state);
const post = (m: PanelWebviewMessage): void => vscode.postMessage(m);

// The toolkit is an ES module and this file compiles as CommonJS for tsc: a dynamic import,
// which esbuild still bundles (no request leaves the webview). Elements created before the
// registration upgrade when it lands.
// Only the components used are imported, each from its own module, so the bundle does not
// carry the whole toolkit.
void Promise.all([
  import('@vscode/webview-ui-toolkit/dist/vscode-design-system.js'),
  import('@vscode/webview-ui-toolkit/dist/button/index.js'),
  import('@vscode/webview-ui-toolkit/dist/checkbox/index.js'),
  import('@vscode/webview-ui-toolkit/dist/dropdown/index.js'),
  import('@vscode/webview-ui-toolkit/dist/option/index.js'),
  import('@vscode/webview-ui-toolkit/dist/panels/index.js'),
]).then(([ds, button, checkbox, dropdown, option, panels]) =>
  ds
    .provideVSCodeDesignSystem()
    .register(
      button.vsCodeButton(),
      checkbox.vsCodeCheckbox(),
      dropdown.vsCodeDropdown(),
      option.vsCodeOption(),
      panels.vsCodePanels(),
      panels.vsCodePanelTab(),
      panels.vsCodePanelView(),
    ),
);

const series = new RunSeries();

function h(tag: string, cls?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Everything built once the strings are known. */
interface Ui {
  status: HTMLElement;
  backendLine: HTMLElement;
  runName: HTMLElement;
  notice: HTMLElement;
  stats: Record<string, HTMLElement>;
  buttons: Record<'train' | 'stop' | 'resume', HTMLElement & { disabled: boolean }>;
  tabs: HTMLElement & { activeid: string };
  charts: { loss: LineChart; acc: LineChart; ips: LineChart };
  diagram: DiagramView;
  evaluation: EvalView;
  runs: RunsView;
}
let ui: Ui | undefined;
let pendingReveal: string | undefined;
let drawn = -1;
let frame = 0;

function lossColumns(range: [number, number] | undefined, buckets: number): uPlot.AlignedData {
  const d = minMaxDecimate(
    series.x.view(),
    [series.loss.view(), series.smooth.view()],
    buckets,
    range?.[0],
    range?.[1],
  );
  return [d.x, ...d.ys];
}

function accColumns(range: [number, number] | undefined, buckets: number): uPlot.AlignedData {
  const d = minMaxDecimate(series.x.view(), [series.acc.view()], buckets, range?.[0], range?.[1]);
  const epochs = series.epochs.filter((e) => !range || (e.epoch >= range[0] && e.epoch <= range[1]));
  // Merge the batch points and the epoch points on one x axis (nulls where a series has none).
  const x: number[] = [];
  const batch: (number | null)[] = [];
  const train: (number | null)[] = [];
  const test: (number | null)[] = [];
  let i = 0;
  let j = 0;
  while (i < d.x.length || j < epochs.length) {
    if (j >= epochs.length || (i < d.x.length && d.x[i] < epochs[j].epoch)) {
      x.push(d.x[i]);
      batch.push(d.ys[0][i++]);
      train.push(null);
      test.push(null);
    } else {
      const e = epochs[j++];
      const same = i < d.x.length && d.x[i] === e.epoch;
      x.push(e.epoch);
      batch.push(same ? d.ys[0][i++] : null);
      train.push(e.trainAcc);
      test.push(e.testAcc);
    }
  }
  return [x, batch, train, test];
}

function ipsColumns(range: [number, number] | undefined, buckets: number): uPlot.AlignedData {
  const d = minMaxDecimate(series.x.view(), [series.ips.view()], buckets, range?.[0], range?.[1]);
  return [d.x, ...d.ys];
}

function build(): Ui {
  const root = document.getElementById('app') ?? document.body;
  root.replaceChildren();
  const header = h('header', 'toolbar');
  // A plain badge: the toolkit's vscode-badge template carries a style attribute, which the CSP forbids.
  const status = h('span', 'status');
  status.setAttribute('role', 'status');
  const runName = h('span', 'run-name');
  const buttons = {} as Ui['buttons'];
  const actions = h('span', 'actions');
  for (const [cmd, text, appearance] of [
    ['train', s('Train'), 'primary'],
    ['stop', s('Stop'), 'secondary'],
    ['resume', s('Resume'), 'secondary'],
  ] as const) {
    const b = document.createElement('vscode-button') as HTMLElement & { disabled: boolean };
    b.textContent = text;
    b.setAttribute('appearance', appearance);
    b.addEventListener('click', () => post({ type: 'command', command: cmd }));
    buttons[cmd] = b;
    actions.append(b);
  }
  const openRun = document.createElement('vscode-button');
  openRun.setAttribute('appearance', 'icon');
  openRun.setAttribute('aria-label', s('Open Run...'));
  openRun.title = s('Open Run...');
  openRun.textContent = '…';
  openRun.addEventListener('click', () => post({ type: 'command', command: 'openRun' }));
  actions.append(openRun);
  header.append(status, runName, actions);

  const notice = h('p', 'notice');
  notice.setAttribute('role', 'status');
  notice.hidden = true;

  const statsBox = h('dl', 'stats');
  const stats: Record<string, HTMLElement> = {};
  for (const [key, label] of [
    ['epoch', s('Epoch')],
    ['batch', s('Batch')],
    ['loss', s('Loss (smoothed)')],
    ['acc', s('Train accuracy')],
    ['test', s('Test accuracy')],
    ['ips', s('Images/s')],
    ['eta', s('ETA')],
    ['backend', s('Backend')],
  ] as const) {
    const item = h('div', `stat stat-${key}`);
    const dd = h('dd', undefined, '–');
    item.append(h('dt', undefined, label), dd);
    statsBox.append(item);
    stats[key] = dd;
  }

  const backendLine = h('p', 'backend-line');
  const tabs = document.createElement('vscode-panels') as HTMLElement & { activeid: string };
  tabs.setAttribute('aria-label', s('NiN training panel'));
  const labels: Record<(typeof TABS)[number], string> = {
    training: s('Training'),
    architecture: s('Architecture'),
    evaluation: s('Evaluation'),
    runs: s('Runs'),
  };
  const views: Record<string, HTMLElement> = {};
  for (const t of TABS) {
    const tab = document.createElement('vscode-panel-tab');
    tab.id = `tab-${t}`;
    tab.textContent = labels[t];
    tabs.append(tab);
  }
  for (const t of TABS) {
    const view = document.createElement('vscode-panel-view');
    view.id = `view-${t}`;
    const inner = h('div', `view-inner view-${t}`);
    view.append(inner);
    views[t] = inner;
    tabs.append(view);
  }
  tabs.setAttribute('activeid', `tab-${state.tab}`);
  tabs.addEventListener('change', () => {
    const id = (tabs.activeid ?? '').replace(/^tab-/, '');
    if ((TABS as readonly string[]).includes(id) && id !== state.tab) {
      state.tab = id;
      save();
    }
  });

  const chartsBox = h('div', 'charts');
  const [lossEl, accEl, ipsEl] = [h('div', 'chart-loss wide'), h('div', 'chart-acc'), h('div', 'chart-ips')];
  chartsBox.append(lossEl, accEl, ipsEl);
  views.training.append(chartsBox);
  const fmtEpoch = (v: number): string => num(v, 3);
  const charts = {
    loss: new LineChart(
      lossEl,
      {
        title: s('Training loss per batch'),
        xLabel: s('epoch'),
        xFormat: fmtEpoch,
        yFormat: (v) => num(v),
        height: 240,
        lines: [
          { label: s('loss'), color: -1, width: 1, alpha: 0.3, format: (v) => num(v, 4) },
          { label: s('smoothed'), color: 0, width: 2, format: (v) => num(v, 4) },
        ],
      },
      lossColumns,
    ),
    acc: new LineChart(
      accEl,
      {
        title: s('Accuracy'),
        xLabel: s('epoch'),
        xFormat: fmtEpoch,
        yFormat: (v) => pct(v, 0),
        height: 220,
        lines: [
          {
            label: s('train (running, per batch)'),
            color: 1,
            width: 1,
            alpha: 0.4,
            spanGaps: true,
            format: (v) => pct(v),
          },
          { label: s('train (epoch)'), color: 1, width: 2, points: true, spanGaps: true, format: (v) => pct(v) },
          { label: s('test (epoch)'), color: 2, width: 2, points: true, spanGaps: true, format: (v) => pct(v) },
        ],
      },
      accColumns,
    ),
    ips: new LineChart(
      ipsEl,
      {
        title: s('Throughput (images/s)'),
        xLabel: s('epoch'),
        xFormat: fmtEpoch,
        yFormat: (v) => int(v),
        height: 220,
        lines: [{ label: s('images/s'), color: 3, width: 1.5, format: (v) => int(v) }],
      },
      ipsColumns,
    ),
  };

  const diagram = new DiagramView(views.architecture);
  const evaluation = new EvalView(views.evaluation, state.eval, save);
  const runs = new RunsView(views.runs, state.selectedRuns, {
    list: () => post({ type: 'listRuns' }),
    overlay: (runDirs) => post({ type: 'requestOverlay', runDirs }),
    show: (runDir) => post({ type: 'showRun', runDir }),
    selectionChanged: (dirs) => {
      state.selectedRuns = dirs;
      save();
    },
  });
  root.append(header, notice, statsBox, backendLine, tabs);
  return { status, backendLine, runName, notice, stats, buttons, tabs, charts, diagram, evaluation, runs };
}

function draw(): void {
  frame = 0;
  if (!ui || drawn === series.version) return;
  drawn = series.version;
  const { stats, charts } = ui;
  ui.status.textContent = statusText(series.status);
  ui.status.dataset.status = series.status;
  const start = series.start;
  ui.runName.textContent = start ? start.runId : '';
  ui.runName.title = start?.runDir ?? '';
  const running = series.status === 'running' || series.status === 'preparing';
  ui.buttons.train.disabled = running;
  ui.buttons.stop.disabled = !running;
  ui.buttons.resume.disabled = running || !(series.status === 'stopped' || series.status === 'error');
  const n = series.x.length;
  const epochs = start?.config.epochs;
  stats.epoch.textContent = series.lastEpoch
    ? epochs
      ? `${series.lastEpoch} / ${epochs}`
      : String(series.lastEpoch)
    : '–';
  stats.batch.textContent = series.lastBatch ? `${int(series.lastBatch)} / ${int(series.batchesPerEpoch)}` : '–';
  stats.loss.textContent = n ? num(series.smooth.at(n - 1), 4) : '–';
  stats.acc.textContent = n ? pct(series.acc.at(n - 1)) : '–';
  stats.test.textContent = pct(series.testAcc);
  stats.ips.textContent = n ? int(series.ips.at(n - 1)) : '–';
  stats.eta.textContent =
    series.status === 'running' ? duration(series.etaSeconds) : series.status === 'done' ? s('done') : '–';
  stats.backend.textContent = start ? start.backend : '–';
  stats.backend.title = start?.backendReason ?? '';
  ui.backendLine.textContent = start
    ? s('{backend} backend ({reason}); {params} parameters, {train} training and {test} test images, batch {batch}', {
        backend: start.backend,
        reason: start.backendReason,
        params: int(start.params),
        train: int(start.trainSize),
        test: int(start.testSize),
        batch: start.config.batchSize,
      })
    : '';
  if (series.status === 'error' || series.status === 'diverged' || series.status === 'preparing') {
    ui.notice.hidden = false;
    ui.notice.className = `notice ${series.status}`;
    ui.notice.textContent =
      series.status === 'preparing' && series.prepareFraction >= 0
        ? `${series.message} (${pct(series.prepareFraction, 0)})`
        : series.message;
  } else if (series.status === 'done' && series.modelFormat && ui.notice.dataset.sticky !== '1') {
    ui.notice.hidden = false;
    ui.notice.className = 'notice done';
    ui.notice.textContent =
      series.modelFormat === 'torch-state-dict'
        ? s('model exported as a PyTorch state dict')
        : s('model exported as TensorFlow.js');
  } else if (ui.notice.dataset.sticky !== '1') ui.notice.hidden = true;
  charts.loss.update();
  charts.acc.update();
  charts.ips.update();
  if (n) {
    charts.loss.describe(
      s('{n} points; last loss {loss}, smoothed {smooth}', {
        n: int(n),
        loss: num(series.loss.at(n - 1), 4),
        smooth: num(series.smooth.at(n - 1), 4),
      }),
    );
    charts.ips.describe(s('last {ips} images/s', { ips: int(series.ips.at(n - 1)) }));
  }
  const last = series.epochs.at(-1);
  if (last)
    charts.acc.describe(
      s('epoch {e}: train {train}, test {test}', { e: last.epoch, train: pct(last.trainAcc), test: pct(last.testAcc) }),
    );
  ui.evaluation.render(series.evaluation);
}

function schedule(): void {
  if (!frame) frame = requestAnimationFrame(draw);
}

function showNotice(text: string): void {
  if (!ui) return;
  ui.notice.hidden = false;
  ui.notice.className = 'notice info';
  ui.notice.dataset.sticky = '1';
  ui.notice.textContent = text;
}

function handle(m: PanelHostMessage): void {
  switch (m.type) {
    case 'init':
      setStrings(m.strings, m.locale);
      document.documentElement.lang = m.locale;
      if (!ui) ui = build();
      ui.diagram.render(m.diagram);
      drawn = -1;
      break;
    case 'reset':
      series.clear();
      for (const e of m.events) series.apply(e);
      state.runDir = m.runDir;
      save();
      if (ui) {
        delete ui.notice.dataset.sticky;
        ui.notice.hidden = true;
        if (m.skipped)
          showNotice(
            s('{n} malformed lines of the metrics log were skipped (details in the NiN output channel).', {
              n: m.skipped,
            }),
          );
      }
      break;
    case 'events':
      for (const e of m.events) series.apply(e);
      break;
    case 'diagram':
      ui?.diagram.render(m.diagram);
      break;
    case 'runs':
      ui?.runs.setRuns(m.runs);
      break;
    case 'overlay':
      ui?.runs.setCurves(m.curves);
      break;
    case 'reveal':
      pendingReveal = m.blockId;
      break;
  }
  if (ui && pendingReveal !== undefined) {
    const id = pendingReveal;
    if (ui.diagram.current) {
      pendingReveal = undefined;
      ui.tabs.activeid = 'tab-architecture';
      ui.tabs.setAttribute('activeid', 'tab-architecture');
      // The view must be visible before it can scroll.
      requestAnimationFrame(() => {
        if (!ui?.diagram.reveal(id))
          post({ type: 'log', level: 'warn', message: `reveal: no block "${id}" in the diagram` });
      });
    }
  }
  schedule();
}

window.addEventListener('message', (ev: MessageEvent) => {
  const v = validatePanelHostMessage(ev.data);
  if (!v.ok) {
    post({ type: 'log', level: 'warn', message: `panel ignored a message: ${v.error}`.slice(0, 4000) });
    return;
  }
  try {
    handle(v.value);
  } catch (e) {
    post({
      type: 'log',
      level: 'error',
      message: `panel failed on "${v.value.type}": ${(e as Error).stack ?? e}`.slice(0, 4000),
    });
  }
});
window.addEventListener('error', (ev) =>
  post({ type: 'log', level: 'error', message: `panel script error: ${ev.message}`.slice(0, 4000) }),
);

onThemeChange(() => {
  if (!ui) return;
  for (const c of Object.values(ui.charts)) c.rebuild();
  ui.runs.rebuild();
});

/** Development builds only (scripts/build.mjs defines it; false in --production). */
declare const NIN_TEST_HOOKS: boolean;

/** Handles for the browser tests (read-only use); not in the production bundle. */
if (NIN_TEST_HOOKS) {
  (globalThis as unknown as { __ninPanel: unknown }).__ninPanel = {
    series,
    get charts() {
      return ui && { ...ui.charts, overlayAcc: ui.runs.charts.acc, overlayLoss: ui.runs.charts.loss };
    },
    get state() {
      return state;
    },
    draw,
  };
}

post(state.runDir ? { type: 'ready', runDir: state.runDir } : { type: 'ready' });
