/**
 * What the network learned: the test-set confusion matrix as a heat map (counts or
 * row-normalised), per-class accuracy, the most confused pairs, and a gallery of test images
 * drawn from their 28x28 pixels with true and predicted class and confidence, filterable to the
 * mistakes and to one class. All from the last `evaluation` event.
 */
import { CLASS_NAMES } from '../../model/eval/classes';
import { mostConfused, perClassAccuracy, rowNormalised } from '../../model/eval/confusion';
import type { EvaluationEvent, PredictionSample } from '../../protocol/index';
import { int, pct, s } from './i18n';

/** The filters the user set (kept in the webview state across reloads). */
export interface EvalOptions {
  normalised: boolean;
  mistakesOnly: boolean;
  /** -1: all classes. */
  classFilter: number;
}

const className = (i: number): string => s(CLASS_NAMES[i] ?? String(i));

function h(tag: string, cls?: string, textContent?: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (textContent !== undefined) e.textContent = textContent;
  return e;
}

/** Decode the base64 of 784 bytes into an RGBA image on a 28x28 canvas. */
export function drawDigit(canvas: HTMLCanvasElement, pixels: string): boolean {
  let bytes: string;
  try {
    bytes = atob(pixels);
  } catch {
    return false;
  }
  if (bytes.length !== 784) return false;
  canvas.width = 28;
  canvas.height = 28;
  const ctx = canvas.getContext('2d');
  if (!ctx) return false;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = bytes.charCodeAt(i);
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return true;
}

/** The evaluation tab. */
export class EvalView {
  private ev?: EvaluationEvent;
  private readonly empty = h('p', 'empty');
  private readonly content = h('div', 'eval-content');
  private readonly heading = h('h3');
  private readonly table = h('table', 'heatmap') as HTMLTableElement;
  private readonly pairs = h('ol', 'pairs');
  private readonly gallery = h('div', 'gallery');
  private readonly galleryCount = h('p', 'gallery-count');
  private readonly normalisedBox: HTMLElement;
  private readonly mistakesBox: HTMLElement;
  private readonly classSelect: HTMLElement & { value: string };

  constructor(
    host: HTMLElement,
    readonly options: EvalOptions,
    changed: () => void,
  ) {
    this.empty.textContent = s(
      'The confusion matrix and sample predictions appear when an epoch has been evaluated on the test set.',
    );
    this.normalisedBox = this.checkbox(s('Row-normalised (share of each true class)'), options.normalised, (v) => {
      options.normalised = v;
      this.renderMatrix();
      changed();
    });
    this.mistakesBox = this.checkbox(s('Only mistakes'), options.mistakesOnly, (v) => {
      options.mistakesOnly = v;
      this.renderGallery();
      changed();
    });
    this.classSelect = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
    this.classSelect.setAttribute('aria-label', s('Class'));
    const all = document.createElement('vscode-option');
    all.setAttribute('value', '-1');
    all.textContent = s('All classes');
    this.classSelect.append(all);
    CLASS_NAMES.forEach((_, i) => {
      const o = document.createElement('vscode-option');
      o.setAttribute('value', String(i));
      o.textContent = className(i);
      this.classSelect.append(o);
    });
    this.classSelect.addEventListener('change', () => {
      options.classFilter = Number(this.classSelect.value);
      this.renderGallery();
      changed();
    });
    queueMicrotask(() => (this.classSelect.value = String(options.classFilter)));

    const matrixSection = h('section', 'matrix-section');
    const mh = h('h4', undefined, s('Confusion matrix (rows: true class, columns: predicted)'));
    const tableWrap = h('div', 'heatmap-wrap');
    tableWrap.tabIndex = 0;
    tableWrap.setAttribute('role', 'region');
    tableWrap.setAttribute('aria-label', s('Confusion matrix (rows: true class, columns: predicted)'));
    tableWrap.append(this.table);
    matrixSection.append(mh, this.normalisedBox, tableWrap);
    const pairsSection = h('section', 'pairs-section');
    pairsSection.append(h('h4', undefined, s('Most confused pairs')), this.pairs);
    const gallerySection = h('section', 'gallery-section');
    const controls = h('div', 'controls');
    controls.append(this.mistakesBox, this.classSelect);
    gallerySection.append(
      h('h4', undefined, s('Test images with the network’s answer')),
      controls,
      this.galleryCount,
      this.gallery,
    );
    const top = h('div', 'eval-top');
    top.append(matrixSection, pairsSection);
    this.content.append(this.heading, top, gallerySection);
    host.append(this.empty, this.content);
    this.content.hidden = true;
  }

  private checkbox(text: string, checked: boolean, on: (v: boolean) => void): HTMLElement {
    const c = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
    c.textContent = text;
    if (checked) c.setAttribute('checked', '');
    c.addEventListener('change', () => on(c.checked));
    return c;
  }

  /** Show an evaluation (or the empty state). */
  render(ev: EvaluationEvent | undefined): void {
    if (ev === this.ev) return;
    this.ev = ev;
    this.empty.hidden = !!ev;
    this.content.hidden = !ev;
    if (!ev) return;
    const total = ev.confusion.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
    this.heading.textContent = s('Test accuracy {acc} after epoch {epoch} ({n} test images)', {
      acc: pct(ev.testAcc),
      epoch: ev.epoch,
      n: int(total),
    });
    this.renderMatrix();
    this.renderPairs();
    this.renderGallery();
  }

  private renderMatrix(): void {
    const ev = this.ev;
    if (!ev) return;
    const m = ev.confusion.map((r) => [...r]);
    const rates = rowNormalised(m);
    const perClass = perClassAccuracy(m);
    const max = Math.max(1, ...m.flat());
    const thead = h('thead');
    const hr = h('tr');
    hr.append(h('th', 'corner', s('true \\ predicted')));
    CLASS_NAMES.forEach((_, j) => {
      const th = h('th', 'col', className(j));
      th.setAttribute('scope', 'col');
      hr.append(th);
    });
    const acc = h('th', 'col acc-col', s('Accuracy'));
    acc.setAttribute('scope', 'col');
    hr.append(acc);
    thead.append(hr);
    const tbody = h('tbody');
    m.forEach((row, i) => {
      const tr = h('tr');
      const th = h('th', 'row', className(i));
      th.setAttribute('scope', 'row');
      tr.append(th);
      row.forEach((count, j) => {
        const v = this.options.normalised ? rates[i][j] : count / max;
        const td = h(
          'td',
          `cell${i === j ? ' diag' : ''}${v > 0.55 ? ' strong' : ''}`,
          this.options.normalised ? (count ? pct(rates[i][j], 0) : '·') : count ? int(count) : '·',
        );
        // Intensity through CSSOM (allowed by the CSP, unlike style attributes).
        td.style.setProperty('--heat', String(Math.round(100 * Math.sqrt(v))));
        td.title = s('{true} predicted as {pred}: {count} ({rate} of {true})', {
          true: className(i),
          pred: className(j),
          count: int(count),
          rate: pct(rates[i][j]),
        });
        td.dataset.count = String(count);
        tr.append(td);
      });
      tr.append(h('td', 'acc', pct(perClass[i])));
      tbody.append(tr);
    });
    this.table.replaceChildren(thead, tbody);
  }

  private renderPairs(): void {
    const ev = this.ev;
    if (!ev) return;
    const pairs = mostConfused(
      ev.confusion.map((r) => [...r]),
      5,
    );
    this.pairs.replaceChildren(
      ...pairs.map((p) =>
        h(
          'li',
          undefined,
          s('{true} → {pred}: {count} ({rate} of {true})', {
            true: className(p.trueClass),
            pred: className(p.predicted),
            count: int(p.count),
            rate: pct(p.rate),
          }),
        ),
      ),
    );
    if (!pairs.length) this.pairs.append(h('li', undefined, s('No mistakes.')));
  }

  private samples(): PredictionSample[] {
    const ev = this.ev;
    if (!ev) return [];
    return ev.samples.filter(
      (x) =>
        (!this.options.mistakesOnly || x.label !== x.predicted) &&
        (this.options.classFilter < 0 ||
          x.label === this.options.classFilter ||
          x.predicted === this.options.classFilter),
    );
  }

  private renderGallery(): void {
    const ev = this.ev;
    if (!ev) return;
    const shown = this.samples();
    this.galleryCount.textContent = s('{shown} of {total} sampled test images', {
      shown: shown.length,
      total: ev.samples.length,
    });
    const tiles = shown.map((x) => {
      const wrong = x.label !== x.predicted;
      const fig = h('figure', `tile${wrong ? ' wrong' : ''}`);
      fig.tabIndex = 0;
      const canvas = document.createElement('canvas');
      canvas.className = 'digit';
      if (!drawDigit(canvas, x.pixels)) fig.classList.add('broken');
      const cap = h('figcaption');
      const t = h('span', 'true', s('true: {c}', { c: className(x.label) }));
      const p = h(
        'span',
        'pred',
        s('predicted: {c} ({conf})', { c: className(x.predicted), conf: pct(x.confidence, 0) }),
      );
      cap.append(t, p);
      fig.setAttribute(
        'aria-label',
        `${s('Test image {i}', { i: x.index })}: ${t.textContent}, ${p.textContent}${wrong ? `, ${s('mistake')}` : ''}`,
      );
      fig.dataset.index = String(x.index);
      fig.append(canvas, cap);
      return fig;
    });
    this.gallery.replaceChildren(...tiles);
  }
}
