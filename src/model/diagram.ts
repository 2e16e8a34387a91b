/**
 * Layout data for the architecture diagram (the training panel's SVG, the side view): every
 * block with its input and output tensor shapes, parameters and FLOPs, the convolutions inside
 * a nin_block (the k x k one and the two 1x1 ones, each with ReLU), and coordinates, all
 * derived from the shape inference so the picture can never disagree with the numbers.
 * Pure data: no DOM, no vscode. Labels go through a translator the host supplies (vscode.l10n.t).
 */
import type { LayerSpec } from './spec';
import type { ShapeReport } from './shapes';
import { fcHeadComparison, type FcHeadComparison } from './fcHead';

/** What a drawn element is, so each kind gets its own look (and legend entry). */
export type DiagramKind = 'input' | LayerSpec['kind'] | 'output';

/** Translate an English template with `{name}` placeholders (vscode.l10n.t's signature). */
export type Translate = (message: string, args: Record<string, string | number>) => string;

/** The English translator: substitutes `{name}` placeholders. */
export const english: Translate = (message, args) =>
  message.replace(/\{(\w+)\}/g, (m, k: string) => (k in args ? String(args[k]) : m));

/** One convolution inside a nin_block (drawn as a row inside the block). */
export interface DiagramPart {
  readonly kind: 'conv' | 'conv1x1';
  /** e.g. `11×11 conv, stride 4, pad 0 + ReLU` or `1×1 conv + ReLU` */
  readonly label: string;
  readonly output: string;
  readonly params: number;
  readonly flops: number;
  readonly y: number;
  readonly height: number;
}

/** One row of the diagram. */
export interface DiagramBlock {
  /** Stable id: the layer name (nin_block_1, maxpool_2, ...), or `input` / `output`. */
  readonly id: string;
  /** Index into the spec's layers (-1 for the input row, layers.length for the output row). */
  readonly index: number;
  readonly kind: DiagramKind;
  /** The heading, e.g. `NiN block 1` or `Max pooling 3×3, stride 2`. */
  readonly title: string;
  /** A second line saying what the block does (why a 1x1 conv or GAP is there). */
  readonly note: string;
  readonly input: string;
  readonly output: string;
  readonly params: number;
  readonly flops: number;
  /** Share of the network's parameters / FLOPs (0..1), for the bars. */
  readonly paramShare: number;
  readonly flopShare: number;
  readonly parts: readonly DiagramPart[];
  /** The shape arithmetic with its numbers, e.g. floor((224 + 2*0 - 11) / 4) + 1 = 54. */
  readonly formula?: string;
  /** Set on the block where the configuration collapses. */
  readonly error?: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Everything the renderer needs. */
export interface DiagramLayout {
  readonly preset: string;
  readonly input: string;
  readonly classes: number;
  readonly params: number;
  readonly flops: number;
  readonly blocks: readonly DiagramBlock[];
  readonly error?: string;
  readonly fcHead?: FcHeadComparison;
  /** Overall size of the drawing (SVG viewBox). */
  readonly width: number;
  readonly height: number;
  /** Geometry of the columns (same for every row). */
  /** shapeX: the x of the arrows between rows (the tensor shape is written beside them); statsX: the parameters/FLOPs column. */
  readonly columns: {
    readonly shapeX: number;
    readonly boxX: number;
    readonly boxWidth: number;
    readonly statsX: number;
  };
}

/** Geometry constants (SVG user units). */
const G = {
  width: 640,
  shapeX: 210,
  boxX: 10,
  boxWidth: 400,
  statsX: 425,
  header: 40,
  part: 24,
  simple: 44,
  gap: 30,
  top: 8,
};

/** `96×54×54` */
export function shapeText(shape: readonly number[]): string {
  return shape.join('×');
}

/** 1234567 -> `1.23 M`; used beside the exact counts where space is short. */
export function compact(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toPrecision(3)} ${u}`;
  return String(n);
}

const ACTIVATION_TITLES = { relu: 'ReLU', sigmoid: 'Sigmoid', tanh: 'Tanh' } as const;

function titleOf(l: LayerSpec, ordinal: number, t: Translate): string {
  switch (l.kind) {
    case 'nin_block':
      return t('NiN block {n}', { n: ordinal });
    case 'maxpool':
      return t('Max pooling {k}×{k}, stride {s}', { k: l.kernel, s: l.stride });
    case 'avgpool':
      return t('Average pooling {k}×{k}, stride {s}', { k: l.kernel, s: l.stride });
    case 'conv':
      return t('{k}×{k} conv, {c} channels, stride {s}, pad {p}', {
        k: l.kernel,
        c: l.outChannels,
        s: l.stride,
        p: l.padding,
      });
    case 'linear':
      return t('Fully connected, {n} outputs', { n: l.outFeatures });
    case 'activation':
      return ACTIVATION_TITLES[l.fn];
    case 'batchnorm':
      return t('Batch normalization', {});
    case 'dropout':
      return t('Dropout {rate}', { rate: l.rate });
    case 'gap':
      return t('Global average pooling', {});
    case 'flatten':
      return t('Flatten', {});
  }
}

function noteOf(l: LayerSpec, output: readonly number[], classes: number, t: Translate): string {
  switch (l.kind) {
    case 'nin_block':
      return l.mlpConvs === 0
        ? t('{k}×{k} conv without 1×1 convs (a plain conv layer)', { k: l.kernel })
        : l.mlpConvs === 1
          ? t('{k}×{k} conv + one 1×1 conv (fully connected per pixel)', { k: l.kernel })
          : t('{k}×{k} conv + two 1×1 convs (fully connected per pixel)', { k: l.kernel });
    case 'maxpool':
    case 'avgpool':
      return t('keeps channels, shrinks height and width; no parameters', {});
    case 'conv':
      return t('no activation of its own', {});
    case 'linear':
      return t('a weight for every input and output', {});
    case 'activation':
      return t('element-wise; no parameters', {});
    case 'batchnorm':
      return t('normalizes each channel over the batch, then scales and shifts it', {});
    case 'dropout':
      return t('active only while training; no parameters', {});
    case 'gap':
      return t('one channel per class, averaged: replaces FC layers', {});
    case 'flatten':
      return output.length === 1 && output[0] === classes
        ? t('one score per class', {})
        : t('one vector for the fully connected layers', {});
  }
}

/**
 * Lay out the diagram for a shape report: an input row, one row per inferred layer, the
 * collapsing layer (if any) marked with its error, and an output row when the network is whole.
 */
export function diagramLayout(report: ShapeReport, t: Translate = english): DiagramLayout {
  const spec = report.spec;
  const blocks: DiagramBlock[] = [];
  const totalParams = report.params || 1;
  const totalFlops = report.flops || 1;
  // Rows stack downwards; the tensor shape is written beside the arrow between two rows.
  let y = G.top;
  const row = (b: Omit<DiagramBlock, 'x' | 'y' | 'width'>): void => {
    blocks.push({ ...b, x: G.boxX, y, width: G.boxWidth });
    y += b.height + G.gap;
  };
  const inputText = shapeText(spec.input);
  row({
    id: 'input',
    index: -1,
    kind: 'input',
    title: t('Input image', {}),
    note: t('Fashion-MNIST 28×28, resized to {h}×{w}', { h: spec.input[1], w: spec.input[2] }),
    input: inputText,
    output: inputText,
    params: 0,
    flops: 0,
    paramShare: 0,
    flopShare: 0,
    parts: [],
    height: G.simple,
  });
  const ordinals: Record<string, number> = {};
  for (const info of report.layers) {
    const l = spec.layers[info.index];
    ordinals[l.kind] = (ordinals[l.kind] ?? 0) + 1;
    const parts: DiagramPart[] = [];
    if (info.convs && l.kind === 'nin_block') {
      info.convs.forEach((c, i) => {
        const oneByOne = c.kernel === 1;
        parts.push({
          kind: oneByOne ? 'conv1x1' : 'conv',
          label: oneByOne
            ? t('1×1 conv, {c} channels + ReLU', { c: c.outChannels })
            : t('{k}×{k} conv, {c} channels, stride {s}, pad {p} + ReLU', {
                k: c.kernel,
                c: c.outChannels,
                s: c.stride,
                p: c.padding,
              }),
          output: shapeText(c.output),
          params: c.params,
          flops: c.flops,
          y: y + G.header + i * G.part,
          height: G.part,
        });
      });
    }
    row({
      id: info.name,
      index: info.index,
      kind: info.kind,
      title: titleOf(l, ordinals[l.kind], t),
      note: noteOf(l, info.output, spec.classes, t),
      input: shapeText(info.input),
      output: shapeText(info.output),
      params: info.params,
      flops: info.flops,
      paramShare: info.params / totalParams,
      flopShare: info.flops / totalFlops,
      parts,
      formula: info.formula,
      height: parts.length ? G.header + parts.length * G.part + 6 : G.simple,
    });
  }
  if (report.error) {
    const e = report.error;
    const l = spec.layers[e.layerIndex];
    // A collapse at a layer that was inferred (wrong class count at the end) marks that row;
    // otherwise the failing layer gets its own row, with no output.
    const existing = blocks.findIndex((b) => b.index === e.layerIndex);
    if (existing >= 0) {
      blocks[existing] = { ...blocks[existing], error: e.message };
    } else if (l) {
      ordinals[l.kind] = (ordinals[l.kind] ?? 0) + 1;
      const input = report.layers.at(-1)?.output ?? spec.input;
      row({
        id: e.name,
        index: e.layerIndex,
        kind: l.kind,
        title: titleOf(l, ordinals[l.kind], t),
        note: noteOf(l, [], spec.classes, t),
        input: shapeText(input),
        output: '',
        params: 0,
        flops: 0,
        paramShare: 0,
        flopShare: 0,
        parts: [],
        error: e.message,
        height: G.simple,
      });
    }
  } else {
    const out = report.layers.at(-1)?.output ?? spec.input;
    row({
      id: 'output',
      index: spec.layers.length,
      kind: 'output',
      title: t('{n} class scores', { n: spec.classes }),
      note: t('softmax cross-entropy against the label', {}),
      input: shapeText(out),
      output: shapeText(out),
      params: 0,
      flops: 0,
      paramShare: 0,
      flopShare: 0,
      parts: [],
      height: G.simple,
    });
  }
  return {
    preset: spec.preset,
    input: inputText,
    classes: spec.classes,
    params: report.params,
    flops: report.flops,
    blocks,
    error: report.error?.message,
    fcHead: report.error ? undefined : fcHeadComparison(report),
    width: G.width,
    height: y - G.gap + G.top,
    columns: { shapeX: G.shapeX, boxX: G.boxX, boxWidth: G.boxWidth, statsX: G.statsX },
  };
}
