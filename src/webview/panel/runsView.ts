/**
 * Runs side by side: the host lists the run folders (recipe, epochs, final test accuracy);
 * the user ticks two or more and their per-epoch test accuracy and training loss are drawn
 * over each other. The panel only asks; the host reads the folders.
 */
import type uPlot from 'uplot';
import type { RunCurves, RunSummary, TrainConfig } from '../../protocol/index';
import { compact } from '../../model/diagram';
import { networkName } from '../../model/spec';
import { LineChart, type ChartSpec } from './charts';
import { int, num, pct, s } from './i18n';
import { statusText } from './statusText';

/** What the view asks the host for. */
export interface RunsActions {
  list(): void;
  overlay(runDirs: string[]): void;
  show(runDir: string): void;
  selectionChanged(runDirs: string[]): void;
}

/** A recipe in one line: `seed 224×224 · 10 epochs · batch 128 · sgd lr 0.1 · 6,000 images`. */
export function recipeText(c: TrainConfig | undefined, params?: number): string {
  if (!c) return s('unknown recipe');
  const parts = [
    `${networkName(c)}${params === undefined ? '' : ` (${compact(params)})`} ${c.input}×${c.input}`,
    s('{n} epochs', { n: c.epochs }),
    s('batch {n}', { n: c.batchSize }),
    `${c.optimizer} lr ${c.lr}`,
  ];
  if (c.limitTrain) parts.push(s('{n} training images', { n: int(c.limitTrain) }));
  return parts.join(' · ');
}

/** The runs tab. */
export class RunsView {
  private runs: readonly RunSummary[] = [];
  private curves: readonly RunCurves[] = [];
  private readonly selected: Set<string>;
  private readonly table = document.createElement('table');
  private readonly overlayButton: HTMLElement & { disabled: boolean };
  private readonly hint = document.createElement('p');
  private readonly acc: LineChart;
  private readonly loss: LineChart;
  private readonly chartsBox = document.createElement('div');

  constructor(
    host: HTMLElement,
    selected: readonly string[],
    private readonly actions: RunsActions,
  ) {
    this.selected = new Set(selected);
    const bar = document.createElement('div');
    bar.className = 'controls';
    const refresh = document.createElement('vscode-button');
    refresh.setAttribute('appearance', 'secondary');
    refresh.textContent = s('Refresh');
    refresh.addEventListener('click', () => actions.list());
    this.overlayButton = document.createElement('vscode-button') as HTMLElement & { disabled: boolean };
    this.overlayButton.textContent = s('Overlay selected runs');
    this.overlayButton.addEventListener('click', () => this.requestOverlay());
    this.hint.className = 'hint';
    bar.append(refresh, this.overlayButton, this.hint);
    this.table.className = 'runs';
    this.chartsBox.className = 'charts overlay-charts';
    const a = document.createElement('div');
    const l = document.createElement('div');
    this.chartsBox.append(a, l);
    this.acc = new LineChart(
      a,
      this.spec(s('Test accuracy per epoch (overlay)'), (v) => pct(v, 0)),
      (range) => this.columns('testAcc', range),
    );
    this.loss = new LineChart(
      l,
      this.spec(s('Training loss per epoch (overlay)'), (v) => num(v)),
      (range) => this.columns('trainLoss', range),
    );
    host.append(bar, this.table, this.chartsBox);
    this.chartsBox.hidden = true;
    this.renderList();
  }

  /** Selected run folders. */
  get selection(): string[] {
    return [...this.selected];
  }

  private spec(title: string, yFormat: (v: number) => string): ChartSpec {
    return {
      title,
      xLabel: s('epoch'),
      xIntegers: true,
      height: 200,
      yFormat,
      lines: this.curves.map((c, i) => ({
        label: c.network ? `${c.network}${c.params === undefined ? '' : ` (${compact(c.params)})`} · ${c.name}` : c.name,
        color: i,
        width: 2,
        points: true,
        spanGaps: true,
        format: yFormat,
      })),
    };
  }

  private columns(field: 'testAcc' | 'trainLoss', _range: [number, number] | undefined): uPlot.AlignedData {
    const xs = [...new Set(this.curves.flatMap((c) => c.epochs.map((e) => e.epoch)))].sort((a, b) => a - b);
    return [xs, ...this.curves.map((c) => xs.map((x) => c.epochs.find((e) => e.epoch === x)?.[field] ?? null))];
  }

  private requestOverlay(): void {
    const dirs = this.selection;
    if (dirs.length >= 2) this.actions.overlay(dirs);
  }

  /** A new list from the host. */
  setRuns(runs: readonly RunSummary[]): void {
    this.runs = runs;
    const known = new Set(runs.map((r) => r.runDir));
    for (const d of [...this.selected]) if (!known.has(d)) this.selected.delete(d);
    this.renderList();
  }

  /** Curves from the host for the picked runs. */
  setCurves(curves: readonly RunCurves[]): void {
    this.curves = curves;
    this.chartsBox.hidden = curves.length === 0;
    this.acc.setSpec(this.spec(s('Test accuracy per epoch (overlay)'), (v) => pct(v, 0)));
    this.loss.setSpec(this.spec(s('Training loss per epoch (overlay)'), (v) => num(v)));
  }

  /** Redraw after a theme change. */
  rebuild(): void {
    this.acc.rebuild();
    this.loss.rebuild();
  }

  /** The overlay charts (for the browser tests). */
  get charts(): { acc: LineChart; loss: LineChart } {
    return { acc: this.acc, loss: this.loss };
  }

  private renderList(): void {
    const n = this.selected.size;
    this.overlayButton.disabled = n < 2;
    this.hint.textContent = this.runs.length
      ? s('{n} selected; pick two or more to overlay their curves.', { n })
      : s('No runs yet in the runs folder.');
    const head = document.createElement('thead');
    const hr = document.createElement('tr');
    for (const t of ['', s('Run'), s('Recipe'), s('Epochs'), s('Final test accuracy'), s('Status'), '']) {
      const th = document.createElement('th');
      th.textContent = t;
      th.scope = 'col';
      hr.append(th);
    }
    head.append(hr);
    const body = document.createElement('tbody');
    for (const r of this.runs) {
      const tr = document.createElement('tr');
      tr.dataset.runDir = r.runDir;
      const pick = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
      pick.setAttribute('aria-label', s('Select {run}', { run: r.name }));
      if (this.selected.has(r.runDir)) pick.setAttribute('checked', '');
      pick.addEventListener('change', () => {
        if (pick.checked) this.selected.add(r.runDir);
        else this.selected.delete(r.runDir);
        this.overlayButton.disabled = this.selected.size < 2;
        this.hint.textContent = s('{n} selected; pick two or more to overlay their curves.', { n: this.selected.size });
        this.actions.selectionChanged(this.selection);
      });
      const show = document.createElement('vscode-button');
      show.setAttribute('appearance', 'secondary');
      show.textContent = s('Show');
      show.setAttribute('aria-label', s('Show {run} in the panel', { run: r.name }));
      show.addEventListener('click', () => this.actions.show(r.runDir));
      const cells: (string | HTMLElement)[] = [
        pick,
        r.name,
        recipeText(r.config, r.params),
        String(r.epochs),
        r.finalTestAcc === undefined ? '–' : pct(r.finalTestAcc),
        statusText(r.status),
        show,
      ];
      for (const c of cells) {
        const td = document.createElement('td');
        td.append(c);
        tr.append(td);
      }
      tr.title = r.runDir;
      body.append(tr);
    }
    this.table.replaceChildren(head, body);
  }
}
