/**
 * uPlot line charts in the theme's colours. uPlot (canvas, ~50 KB, no dependencies) was chosen
 * because it draws 100k-point series in milliseconds and updates with setData; the panel still
 * decimates to about two points per pixel so every redraw is cheap, and re-decimates the
 * visible range when the user zooms (drag to zoom, double-click to reset).
 */
import uPlot from 'uplot';
import { cssVar, palette, withAlpha } from './theme';

/** One line of a chart. */
export interface LineSpec {
  readonly label: string;
  /** Index into the theme palette; -1: the theme's foreground (for faint raw data). */
  readonly color: number;
  readonly width?: number;
  readonly alpha?: number;
  readonly dash?: number[];
  readonly points?: boolean;
  /** Draw across nulls (series sampled at other x than their neighbours). */
  readonly spanGaps?: boolean;
  readonly format?: (v: number) => string;
}

/** Supplies the chart's columns for an x range (undefined: everything) and a point budget. */
export type ChartSource = (range: [number, number] | undefined, buckets: number) => uPlot.AlignedData;

/** What a chart shows. */
export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly lines: readonly LineSpec[];
  readonly height?: number;
  readonly yRange?: [number, number];
  readonly xFormat?: (v: number) => string;
  /** Ticks only at whole numbers (epochs). */
  readonly xIntegers?: boolean;
  readonly yFormat?: (v: number) => string;
}

/** A chart bound to a data source; call `update()` when the data changed. */
export class LineChart {
  private u?: uPlot;
  private zoom?: [number, number];
  private settingData = false;
  private width = 0;
  /** The columns last handed to uPlot (read by the browser tests). */
  shown: uPlot.AlignedData = [[]];

  constructor(
    readonly el: HTMLElement,
    private spec: ChartSpec,
    private readonly source: ChartSource,
  ) {
    el.classList.add('chart');
    el.setAttribute('role', 'img');
    el.setAttribute('aria-label', spec.title);
    new ResizeObserver(() => {
      const w = Math.floor(el.clientWidth);
      if (w > 0 && w !== this.width) {
        this.width = w;
        if (this.u) this.u.setSize({ width: w, height: this.height() });
        this.update();
      }
    }).observe(el);
  }

  private height(): number {
    return this.spec.height ?? 220;
  }

  /** Replace the lines (e.g. the overlay's runs changed); rebuilds the chart. */
  setSpec(spec: ChartSpec): void {
    this.spec = spec;
    this.rebuild();
  }

  /** Recreate the chart with the current theme colours. */
  rebuild(): void {
    this.u?.destroy();
    this.u = undefined;
    this.zoom = undefined;
    this.update();
  }

  /** Redraw from the source (cheap: decimated to about two points per pixel). */
  update(): void {
    const width = this.width || Math.floor(this.el.clientWidth);
    if (width <= 0) return; // hidden tab: drawn when it becomes visible (ResizeObserver)
    const data = this.source(this.zoom, Math.max(50, Math.floor(width)));
    this.shown = data;
    if (!this.u) {
      this.u = new uPlot(this.options(width), data, this.el);
      return;
    }
    this.settingData = true;
    this.u.setData(data, this.zoom === undefined);
    this.settingData = false;
  }

  /** A short text of the last values, for screen readers. */
  describe(text: string): void {
    this.el.setAttribute('aria-label', `${this.spec.title}. ${text}`);
  }

  private options(width: number): uPlot.Options {
    const colors = palette();
    const fg = cssVar('--vscode-foreground', '#cccccc');
    const grid = withAlpha(cssVar('--vscode-foreground', '#cccccc'), 0.12);
    const font = `11px ${cssVar('--vscode-font-family', 'sans-serif')}`;
    const axis = (label: string, fmt?: (v: number) => string): uPlot.Axis => ({
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font,
      labelFont: font,
      label,
      labelSize: label ? 18 : 0,
      values: fmt ? (_u, vals) => vals.map((v) => (v === null ? '' : fmt(v))) : undefined,
    });
    return {
      width,
      height: this.height(),
      title: this.spec.title,
      scales: { x: { time: false }, y: this.spec.yRange ? { range: this.spec.yRange } : {} },
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false }, focus: { prox: 16 } },
      axes: [
        {
          ...axis(this.spec.xLabel, this.spec.xFormat),
          ...(this.spec.xIntegers ? { incrs: [1, 2, 5, 10, 20, 50, 100] } : {}),
        },
        axis('', this.spec.yFormat),
      ],
      series: [
        {
          label: this.spec.xLabel,
          value: (_u, v) => (v === null || v === undefined ? '–' : (this.spec.xFormat ?? String)(v)),
        },
        ...this.spec.lines.map<uPlot.Series>((l) => ({
          label: l.label,
          stroke: withAlpha(l.color < 0 ? fg : colors[l.color % colors.length], l.alpha ?? 1),
          width: l.width ?? 1.5,
          dash: l.dash,
          spanGaps: l.spanGaps ?? false,
          points: { show: l.points ?? false, size: 6, fill: l.color < 0 ? fg : colors[l.color % colors.length] },
          value: (_u, v) => (v === null || v === undefined ? '–' : (l.format ?? String)(v)),
        })),
      ],
      hooks: {
        setScale: [
          (u, key) => {
            if (key !== 'x' || this.settingData) return;
            const min = u.scales.x.min;
            const max = u.scales.x.max;
            if (min === undefined || max === undefined || min === null || max === null) return;
            const all = this.source(undefined, 2)[0];
            const full = all.length === 0 || (min <= all[0] && max >= all[all.length - 1]);
            const next: [number, number] | undefined = full ? undefined : [min, max];
            if (String(next) === String(this.zoom)) return;
            this.zoom = next;
            // Re-decimate for the new range after uPlot finishes this scale change.
            queueMicrotask(() => this.update());
          },
        ],
      },
    };
  }
}
