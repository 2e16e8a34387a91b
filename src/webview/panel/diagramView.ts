/**
 * The architecture diagram as SVG, from the host's layout data (src/model/diagram.ts): one
 * row per block with the tensor shape flowing between rows, the convolutions inside each NiN
 * block (the 1x1 ones drawn as such), parameters, FLOPs and share bars, and below it what a
 * fully connected head would cost instead. Rows are focusable; arrow keys move between them.
 * No inline style attributes (the CSP forbids them): colours come from classes in panel.css.
 */
import { compact, type DiagramBlock, type DiagramLayout } from '../../model/diagram';
import { int, num, s } from './i18n';

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
  parent?: Element,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function text(
  parent: Element,
  x: number,
  y: number,
  content: string,
  cls: string,
  anchor: 'start' | 'end' | 'middle' = 'start',
): SVGTextElement {
  const t = el('text', { x, y, class: cls, 'text-anchor': anchor }, parent);
  t.textContent = content;
  return t;
}

function flops(n: number): string {
  return n ? s('{n}FLOPs', { n: compact(n) }) : s('no FLOPs');
}

function label(b: DiagramBlock): string {
  const parts = [b.title, `${b.input} → ${b.output || '✕'}`];
  if (b.params) parts.push(s('{n} parameters', { n: int(b.params) }));
  if (b.flops) parts.push(flops(b.flops));
  if (b.error) parts.push(b.error);
  return parts.join(', ');
}

/** Draws the diagram into `host` and reveals blocks on request. */
export class DiagramView {
  private layout?: DiagramLayout;
  private readonly svgHost: HTMLElement;
  private readonly fcHost: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly legend: HTMLElement;

  constructor(host: HTMLElement) {
    this.summary = document.createElement('p');
    this.summary.className = 'diagram-summary';
    this.legend = document.createElement('p');
    this.legend.className = 'diagram-legend';
    this.svgHost = document.createElement('div');
    this.svgHost.className = 'diagram';
    this.svgHost.setAttribute('role', 'list');
    this.fcHost = document.createElement('section');
    this.fcHost.className = 'fc-head';
    host.append(this.summary, this.legend, this.svgHost, this.fcHost);
  }

  /** The layout on display. */
  get current(): DiagramLayout | undefined {
    return this.layout;
  }

  /** Draw a layout (replaces the previous drawing). */
  render(layout: DiagramLayout): void {
    this.layout = layout;
    const { columns: c } = layout;
    this.summary.textContent = s('{preset} preset, input {input}: {params} parameters, {flops} per image (forward)', {
      preset: layout.preset,
      input: layout.input,
      params: int(layout.params),
      flops: flops(layout.flops),
    });
    this.legend.textContent = s('Bars: upper, share of the parameters; lower, share of the FLOPs.');
    const svg = el('svg', {
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      class: 'diagram-svg',
      role: 'presentation',
    });
    const defs = el('defs', {}, svg);
    const marker = el(
      'marker',
      {
        id: 'arrow',
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
      },
      defs,
    );
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }, marker);
    const cx = c.shapeX;
    layout.blocks.forEach((b, i) => {
      const next = layout.blocks[i + 1];
      if (next) {
        el(
          'line',
          { x1: cx, y1: b.y + b.height, x2: cx, y2: next.y - 1, class: 'flow', 'marker-end': 'url(#arrow)' },
          svg,
        );
        text(svg, c.shapeX + 10, (b.y + b.height + next.y) / 2 + 4, b.output, 'shape').setAttribute(
          'data-shape-after',
          b.id,
        );
      }
      const g = el(
        'g',
        {
          class: `block kind-${b.kind}${b.error ? ' has-error' : ''}`,
          id: `block-${b.id}`,
          'data-id': b.id,
          tabindex: 0,
          role: 'listitem',
          'aria-label': label(b),
        },
        svg,
      );
      const tip = el('title', {}, g);
      tip.textContent = [label(b), b.note, b.formula ?? ''].filter(Boolean).join('\n');
      el('rect', { x: b.x, y: b.y, width: b.width, height: b.height, rx: 6, class: 'box' }, g);
      text(g, b.x + 10, b.y + 16, b.title, 'title');
      text(g, b.x + 10, b.y + 30, b.error ?? b.note, b.error ? 'note error-text' : 'note');
      for (const p of b.parts) {
        el(
          'rect',
          { x: b.x + 8, y: p.y, width: b.width - 16, height: p.height - 4, rx: 3, class: `part part-${p.kind}` },
          g,
        );
        text(g, b.x + 16, p.y + 14, p.label, 'part-label');
        text(g, b.x + b.width - 14, p.y + 14, p.output, 'part-shape', 'end');
        text(g, c.statsX, p.y + 14, `${int(p.params)} · ${flops(p.flops)}`, 'stat-small');
      }
      if (b.kind !== 'input' && b.kind !== 'output') {
        text(g, c.statsX, b.y + 16, b.params ? s('{n} parameters', { n: int(b.params) }) : s('no parameters'), 'stat');
        if (b.params)
          el(
            'rect',
            { x: c.statsX, y: b.y + 22, width: Math.max(1, 200 * b.paramShare), height: 5, class: 'bar-params' },
            g,
          );
        if (!b.parts.length) text(g, c.statsX, b.y + 38, flops(b.flops), 'stat-small');
        else
          el(
            'rect',
            {
              x: c.statsX,
              y: b.y + 29,
              width: Math.max(b.flops ? 1 : 0, 200 * b.flopShare),
              height: 5,
              class: 'bar-flops',
            },
            g,
          );
      }
    });
    this.svgHost.replaceChildren(svg);
    this.svgHost.onkeydown = (ev) => this.keys(ev);
    this.renderFcHead(layout);
  }

  private renderFcHead(layout: DiagramLayout): void {
    const fc = layout.fcHead;
    this.fcHost.replaceChildren();
    if (!fc) return;
    const h = document.createElement('h3');
    h.textContent = s('Without fully connected layers');
    const p = document.createElement('p');
    p.textContent = s(
      'Assumed alternative: keep the network up to {block}, flatten its {shape} input ({features} values) and classify with an AlexNet-style head: Linear({features}, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, {classes}).',
      { block: fc.fromName, shape: fc.featureShape.join('×'), features: int(fc.features), classes: layout.classes },
    );
    const bars = document.createElement('div');
    bars.className = 'fc-bars';
    const max = Math.max(fc.fcTotalParams, fc.ninTotalParams);
    const row = (name: string, value: number, detail: string, cls: string): void => {
      const r = document.createElement('div');
      r.className = 'fc-row';
      const n = document.createElement('span');
      n.className = 'fc-name';
      n.textContent = name;
      const track = document.createElement('span');
      track.className = 'fc-track';
      const bar = document.createElement('span');
      bar.className = `fc-bar ${cls}`;
      bar.style.width = `${Math.max(0.3, (100 * value) / max)}%`;
      track.append(bar);
      const v = document.createElement('span');
      v.className = 'fc-value';
      v.textContent = `${int(value)} · ${detail}`;
      r.append(n, track, v);
      bars.append(r);
    };
    row(
      s('NiN (global average pooling)'),
      fc.ninTotalParams,
      s('classifier {n}', { n: int(fc.ninHeadParams) }),
      'bar-params',
    );
    row(s('With a fully connected head'), fc.fcTotalParams, s('head {n}', { n: int(fc.headParams) }), 'bar-fc');
    const ratio = document.createElement('p');
    ratio.className = 'fc-ratio';
    ratio.textContent = s(
      'The fully connected version has {ratio}× the parameters; its head alone costs {flops} per image.',
      {
        ratio: num(fc.ratio, 3),
        flops: flops(fc.headFlops),
      },
    );
    this.fcHost.append(h, p, bars, ratio);
  }

  private blocks(): SVGGElement[] {
    return [...this.svgHost.querySelectorAll<SVGGElement>('g.block')];
  }

  private keys(ev: KeyboardEvent): void {
    const list = this.blocks();
    const i = list.indexOf(document.activeElement as SVGGElement);
    if (i < 0) return;
    const to =
      ev.key === 'ArrowDown'
        ? i + 1
        : ev.key === 'ArrowUp'
          ? i - 1
          : ev.key === 'Home'
            ? 0
            : ev.key === 'End'
              ? list.length - 1
              : -1;
    if (to >= 0 && to < list.length) {
      ev.preventDefault();
      list[to].focus();
    }
  }

  /** Scroll a block into view, focus and highlight it; false when there is no such block. */
  reveal(id: string): boolean {
    const g = this.blocks().find((b) => b.dataset.id === id);
    if (!g) return false;
    for (const b of this.blocks()) b.classList.remove('revealed');
    g.classList.add('revealed');
    g.scrollIntoView({ block: 'center', behavior: 'smooth' });
    g.focus({ preventScroll: true });
    return true;
  }
}
