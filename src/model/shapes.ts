/**
 * Shape, parameter and FLOP inference for a NiN spec, with PyTorch semantics.
 * FLOPs count 2 x multiply-accumulates of convolutions and linear layers (one image, forward);
 * pooling, activations, batch norm and dropout count 0, as torchinfo-style tools do.
 * Parameters are PyTorch's (trainable ones: a batch norm's running statistics are buffers).
 */
import { layerNames, type LayerSpec, type NinSpec, type Shape3 } from './spec';
import { windowOutput } from './window';

/** One convolution inside a nin_block. */
export interface ConvInfo {
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly output: Shape3;
  readonly params: number;
  readonly flops: number;
  /** The height formula with numbers, e.g. `floor((224 + 2*0 - 11) / 4) + 1 = 54`. */
  readonly formula: string;
}

/** One row of the network table. */
export interface LayerInfo {
  readonly index: number;
  readonly name: string;
  readonly kind: LayerSpec['kind'];
  readonly input: readonly number[];
  readonly output: readonly number[];
  readonly params: number;
  readonly flops: number;
  /** For nin_block: the kxk conv and its 1x1 convs; for conv: the one convolution. */
  readonly convs?: readonly ConvInfo[];
  readonly formula?: string;
}

/** Why a configuration collapses, and where. */
export interface ShapeError {
  readonly layerIndex: number;
  readonly name: string;
  readonly message: string;
}

/** The inference of a whole spec: rows up to the first error, and totals over them. */
export interface ShapeReport {
  readonly spec: NinSpec;
  readonly layers: readonly LayerInfo[];
  readonly params: number;
  readonly flops: number;
  readonly error?: ShapeError;
}

type Step = { ok: true; row: Omit<LayerInfo, 'index' | 'name' | 'kind' | 'input'> } | { ok: false; message: string };

function conv(input: Shape3, out: number, kernel: number, stride: number, padding: number): ConvInfo | string {
  const [c, h, w] = input;
  const rh = windowOutput({ size: h, kernel, stride, padding });
  const rw = windowOutput({ size: w, kernel, stride, padding });
  if (!rh.ok) return `${kernel}x${kernel} conv: height ${rh.message}`;
  if (!rw.ok) return `${kernel}x${kernel} conv: width ${rw.message}`;
  const params = c * out * kernel * kernel + out;
  const flops = 2 * c * out * kernel * kernel * rh.size * rw.size;
  return {
    kernel,
    stride,
    padding,
    inChannels: c,
    outChannels: out,
    output: [out, rh.size, rw.size],
    params,
    flops,
    formula: rh.formula,
  };
}

function ninBlock(input: Shape3, l: Extract<LayerSpec, { kind: 'nin_block' }>): Step {
  const convs: ConvInfo[] = [];
  let x = input;
  const ones = Array.from({ length: l.mlpConvs ?? 2 }, () => [1, 1, 0]);
  for (const [k, s, p] of [[l.kernel, l.stride, l.padding], ...ones]) {
    const c = conv(x, l.outChannels, k, s, p);
    if (typeof c === 'string') return { ok: false, message: c };
    convs.push(c);
    x = c.output;
  }
  const sum = (f: (c: ConvInfo) => number) => convs.reduce((a, c) => a + f(c), 0);
  return {
    ok: true,
    row: { output: x, params: sum((c) => c.params), flops: sum((c) => c.flops), convs, formula: convs[0].formula },
  };
}

function plainConv(input: Shape3, l: Extract<LayerSpec, { kind: 'conv' }>): Step {
  const c = conv(input, l.outChannels, l.kernel, l.stride, l.padding);
  if (typeof c === 'string') return { ok: false, message: c };
  return { ok: true, row: { output: c.output, params: c.params, flops: c.flops, convs: [c], formula: c.formula } };
}

function linear(input: readonly number[], l: Extract<LayerSpec, { kind: 'linear' }>): Step {
  if (input.length !== 1)
    return { ok: false, message: `expects a flattened vector, got ${input.join('x')} (flatten first)` };
  const n = input[0];
  return {
    ok: true,
    row: { output: [l.outFeatures], params: n * l.outFeatures + l.outFeatures, flops: 2 * n * l.outFeatures },
  };
}

function maxPool(
  input: Shape3,
  l: Pick<Extract<LayerSpec, { kind: 'maxpool' }>, 'kernel' | 'stride' | 'padding'>,
): Step {
  const [c, h, w] = input;
  if (2 * l.padding > l.kernel) {
    return { ok: false, message: `padding ${l.padding} is more than half the ${l.kernel}x${l.kernel} window` };
  }
  const rh = windowOutput({ size: h, kernel: l.kernel, stride: l.stride, padding: l.padding });
  const rw = windowOutput({ size: w, kernel: l.kernel, stride: l.stride, padding: l.padding });
  if (!rh.ok) return { ok: false, message: `height: ${rh.message}` };
  if (!rw.ok) return { ok: false, message: `width: ${rw.message}` };
  return { ok: true, row: { output: [c, rh.size, rw.size], params: 0, flops: 0, formula: rh.formula } };
}

function step(input: readonly number[], l: LayerSpec): Step {
  switch (l.kind) {
    case 'flatten':
      return { ok: true, row: { output: [input.reduce((a, b) => a * b, 1)], params: 0, flops: 0 } };
    case 'linear':
      return linear(input, l);
    case 'activation':
      return { ok: true, row: { output: input, params: 0, flops: 0 } };
    case 'batchnorm':
      // gamma and beta per channel (C x H x W) or per feature (a vector).
      return { ok: true, row: { output: input, params: 2 * input[0], flops: 0 } };
    case 'dropout':
      if (!(l.rate >= 0 && l.rate < 1)) return { ok: false, message: `dropout rate ${l.rate} must be in [0, 1)` };
      return { ok: true, row: { output: input, params: 0, flops: 0 } };
    default:
      return spatial(input, l);
  }
}

/** Layers that need a C x H x W input. */
function spatial(
  input: readonly number[],
  l: Extract<LayerSpec, { kind: 'nin_block' | 'conv' | 'maxpool' | 'avgpool' | 'gap' }>,
): Step {
  if (input.length !== 3) return { ok: false, message: `expects a C x H x W input, got ${input.join('x')}` };
  const s = input as Shape3;
  switch (l.kind) {
    case 'conv':
      return plainConv(s, l);
    case 'avgpool':
      return maxPool(s, { ...l, padding: 0 });
    case 'nin_block':
      return ninBlock(s, l);
    case 'maxpool':
      return maxPool(s, l);
    case 'gap':
      return { ok: true, row: { output: [s[0], 1, 1], params: 0, flops: 0 } };
  }
}

/** Infer every layer's output shape, parameters and FLOPs; stops at the first collapse. */
export function inferShapes(spec: NinSpec): ShapeReport {
  const names = layerNames(spec);
  const layers: LayerInfo[] = [];
  let x: readonly number[] = spec.input;
  let error: ShapeError | undefined;
  for (const [index, l] of spec.layers.entries()) {
    const r = step(x, l);
    if (!r.ok) {
      error = { layerIndex: index, name: names[index], message: `${names[index]}: ${r.message}` };
      break;
    }
    layers.push({ index, name: names[index], kind: l.kind, input: x, ...r.row });
    x = r.row.output;
  }
  const last = layers.at(-1)?.output;
  if (!error && last && (last.length !== 1 || last[0] !== spec.classes)) {
    const index = layers.length - 1;
    error = {
      layerIndex: index,
      name: names[index],
      message: `${names[index]}: output ${last.join('x')} is not ${spec.classes} class scores`,
    };
  }
  const sum = (f: (l: LayerInfo) => number) => layers.reduce((a, l) => a + f(l), 0);
  return { spec, layers, params: sum((l) => l.params), flops: sum((l) => l.flops), error };
}

/** `96x54x54` style text for a shape. */
export function formatShape(shape: readonly number[]): string {
  return shape.join('x');
}
