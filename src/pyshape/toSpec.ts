/**
 * A model the analyser resolved, as the network spec TensorFlow.js can build and train
 * without running the reader's code: an `nn.Sequential` (nested, built by helpers) of layers
 * whose arguments are all known. A helper or nested Sequential that is a kxk convolution and
 * ReLU followed by 1x1 convolution + ReLU pairs (the article's `nin_block`, and its variants
 * with one or none) becomes a NiN block, so the diagram shows the reader's blocks. Anything
 * else (a class with its own `forward`, an unknown argument, a layer tfjs cannot express with
 * PyTorch's semantics) is refused with the reason, for the PyTorch path.
 */
import { inferShapes } from '../model/shapes';
import type { ActivationName, LayerSpec, NinSpec, Shape3 } from '../model/spec';
import { LayerArgs } from './layers';
import type { ModelSource } from '../protocol';
import type { Analysis } from './analyse';
import type { Mod, Shape, Value } from './values';

/** The spec of a model, or why it cannot be built statically. */
export type SpecResult = { readonly ok: true; readonly spec: NinSpec } | { readonly ok: false; readonly why: string };

class Refused extends Error {}
const refuse = (why: string): never => {
  throw new Refused(why);
};

const ACTIVATIONS: Readonly<Record<string, ActivationName>> = { ReLU: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh' };

/** A square, single-valued size argument (`3` or `(3, 3)`), else refused naming it. */
function square(a: LayerArgs, name: string): number {
  const s = a.sizes(name, 2);
  if (!s || s[0] === null || s[1] === null) return refuse(`${a.layer}: ${name} is not known`);
  if (s[0] !== s[1]) return refuse(`${a.layer}: ${name} ${s[0]}x${s[1]} is not square`);
  return s[0];
}

function known<T>(a: LayerArgs, name: string, v: T | null): T {
  return v === null ? refuse(`${a.layer}: ${name} is not known`) : v;
}

function expect(a: LayerArgs, name: string, ok: boolean, what: string): void {
  if (!ok) refuse(`${a.layer}: ${name} ${what} (the TensorFlow.js builder supports the default only)`);
}

/** The spec rows of one resolved layer; `shape` is the input it gets (for adaptive pooling). */
function layerRows(layer: string, args: ReadonlyMap<string, Value>, shape: () => readonly number[]): LayerSpec[] {
  const a = new LayerArgs(layer, args);
  switch (layer) {
    case 'Conv2d': {
      expect(a, 'dilation', square(a, 'dilation') === 1, 'is not 1');
      expect(a, 'groups', a.int('groups') === 1, 'is not 1');
      expect(a, 'bias', a.bool('bias') !== false, 'is off');
      expect(a, 'padding_mode', (a.str('padding_mode') ?? 'zeros') === 'zeros', 'is not zeros');
      if (a.str('padding') !== undefined) refuse(`${layer}: padding "${a.str('padding')}" (give it as numbers)`);
      const outChannels = known(a, 'out_channels', a.int('out_channels'));
      return [{ kind: 'conv', outChannels, kernel: square(a, 'kernel_size'), stride: square(a, 'stride'), padding: square(a, 'padding') }];
    }
    case 'MaxPool2d':
    case 'AvgPool2d': {
      const kernel = square(a, 'kernel_size');
      const strideGiven = a.value('stride').type !== 'none';
      const stride = strideGiven ? square(a, 'stride') : kernel;
      expect(a, 'padding', square(a, 'padding') === 0, 'is not 0');
      expect(a, 'ceil_mode', a.bool('ceil_mode') !== true, 'is on');
      if (layer === 'MaxPool2d') {
        expect(a, 'dilation', square(a, 'dilation') === 1, 'is not 1');
        return [{ kind: 'maxpool', kernel, stride, padding: 0 }];
      }
      return [{ kind: 'avgpool', kernel, stride }];
    }
    case 'AdaptiveAvgPool2d': {
      const [, h, w] = shape();
      const out = a.sizes('output_size', 2);
      if (!out || out[0] === null || out[1] === null) return refuse(`${layer}: output_size is not known`);
      if (out[0] === 1 && out[1] === 1) return [{ kind: 'gap' }];
      // Exactly a fixed pooling when the input divides evenly; otherwise PyTorch's windows overlap.
      if (out[0] === out[1] && h === w && h % out[0] === 0) return [{ kind: 'avgpool', kernel: h / out[0], stride: h / out[0] }];
      return refuse(`${layer}: output ${out[0]}x${out[1]} from ${h}x${w} is not an even pooling`);
    }
    case 'ReLU':
    case 'Sigmoid':
    case 'Tanh':
      return [{ kind: 'activation', fn: ACTIVATIONS[layer] }];
    case 'Dropout':
      return [{ kind: 'dropout', rate: known(a, 'p', a.num('p')) }];
    case 'BatchNorm1d':
    case 'BatchNorm2d':
      expect(a, 'affine', a.bool('affine') !== false, 'is off');
      expect(a, 'eps', (a.num('eps') ?? 1e-5) === 1e-5, 'is not 1e-5');
      return [{ kind: 'batchnorm' }];
    case 'Flatten':
      expect(a, 'start_dim', (a.int('start_dim') ?? 1) === 1, 'is not 1');
      expect(a, 'end_dim', (a.int('end_dim') ?? -1) === -1, 'is not -1');
      return [{ kind: 'flatten' }];
    case 'Linear':
      expect(a, 'bias', a.bool('bias') !== false, 'is off');
      return [{ kind: 'linear', outFeatures: known(a, 'out_features', a.int('out_features')) }];
    default:
      return refuse(`${layer} has no TensorFlow.js counterpart here`);
  }
}

/** Fold `conv k, relu, (conv 1x1 same channels, relu)*m` into a NiN block (m 1x1 convs). */
function asNinBlock(rows: readonly LayerSpec[], named: boolean): LayerSpec | undefined {
  const first = rows[0];
  if (rows.length < 2 || rows.length % 2 || first.kind !== 'conv') return undefined;
  for (let i = 0; i < rows.length; i += 2) {
    const c = rows[i];
    const r = rows[i + 1];
    if (c.kind !== 'conv' || r.kind !== 'activation' || r.fn !== 'relu') return undefined;
    if (i > 0 && (c.kernel !== 1 || c.stride !== 1 || c.padding !== 0 || c.outChannels !== first.outChannels)) return undefined;
  }
  const mlpConvs = rows.length / 2 - 1;
  // A lone conv + ReLU is a NiN block only where the code calls it one (a helper named so).
  if (mlpConvs === 0 && !named) return undefined;
  return { kind: 'nin_block', outChannels: first.outChannels, kernel: first.kernel, stride: first.stride, padding: first.padding, mlpConvs };
}

/** The rows of a module; `before` holds the rows ahead of it (for the shape it receives). */
function modRows(mod: Mod, input: Shape3, before: readonly LayerSpec[], group: boolean): LayerSpec[] {
  const shape = (): readonly number[] => {
    const r = inferShapes({ preset: 'model', input, classes: 0, layers: before });
    if (r.layers.length !== before.length) return refuse(r.error?.message ?? 'the shapes do not resolve');
    return r.layers.at(-1)?.output ?? input;
  };
  switch (mod.kind) {
    case 'layer':
      return layerRows(mod.layer, mod.args, shape);
    case 'sequential':
    case 'helper': {
      const rows: LayerSpec[] = [];
      for (const c of mod.kind === 'helper' ? [mod.inner] : mod.children) rows.push(...modRows(c, input, [...before, ...rows], true));
      const block = group ? asNinBlock(rows, mod.kind === 'helper' && /nin/i.test(mod.name)) : undefined;
      return block ? [block] : rows;
    }
    default:
      return refuse(notStatic(mod));
  }
}

/** Why a module that is not a layer or a Sequential cannot be built without running it. */
function notStatic(mod: Exclude<Mod, { kind: 'layer' | 'sequential' | 'helper' }>): string {
  switch (mod.kind) {
    case 'modulelist':
      return 'an nn.ModuleList runs as its forward() says: train it through PyTorch';
    case 'custom':
      return 'a module with its own forward(): train it through PyTorch';
    case 'opaque':
      return `${mod.name}: ${mod.why}`;
  }
}

/**
 * The spec of a resolved model at `input` (C x H x W), checked by the same shape inference as
 * the presets: it must end in `classes` scores.
 */
export function modToSpec(name: string, mod: Mod, input: Shape, classes = 10): SpecResult {
  if (input.length !== 3 || input.some((d) => d === null)) return { ok: false, why: `input ${input.join('x')} is not a known C x H x W image` };
  const shape3 = input as unknown as Shape3;
  try {
    const spec: NinSpec = { preset: name, input: shape3, classes, layers: modRows(mod, shape3, [], false) };
    const report = inferShapes(spec);
    if (report.error) return { ok: false, why: report.error.message };
    return { ok: true, spec };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, why: e.message };
    throw e;
  }
}

/** A model of a file picked for training, or why it cannot be. */
export type ModelPick = { readonly ok: true; readonly model: ModelSource } | { readonly ok: false; readonly why: string };

/**
 * The model `name` of an analysis (or its only one) as a trainable network read from code:
 * Fashion-MNIST's one channel, a square input, ten class scores, layers tfjs can build.
 */
export function pickModel(a: Analysis, file: string, source: string, name?: string): ModelPick {
  const names = a.models.map((m) => m.name);
  const m = name === undefined ? (a.models.length === 1 ? a.models[0] : undefined) : a.models.find((x) => x.name === name);
  if (!m) {
    if (!names.length) return { ok: false, why: `${file}: no PyTorch model found` };
    return name === undefined
      ? { ok: false, why: `${file} has ${names.length} models (${names.join(', ')}): name one as ${file}:NAME` }
      : { ok: false, why: `${file} has no model ${name} (it has ${names.join(', ')})` };
  }
  if (m.mod.kind !== 'layer' && m.mod.kind !== 'sequential' && m.mod.kind !== 'helper') return { ok: false, why: `${m.name}: ${notStatic(m.mod)}` };
  const [c, h, w] = m.input;
  if (m.input.length !== 3 || h !== w) return { ok: false, why: `${m.name}: input ${m.input.join('x')} is not a square image` };
  if (c !== 1) return { ok: false, why: `${m.name}: takes ${c} channels; Fashion-MNIST images have 1` };
  const r = modToSpec(m.name, m.mod, m.input);
  if (!r.ok) return { ok: false, why: `${m.name}: ${r.why}` };
  const input = r.spec.input;
  return { ok: true, model: { name: m.name, file, source, input: [input[0], input[1], input[2]], layers: r.spec.layers, params: inferShapes(r.spec).params } };
}
