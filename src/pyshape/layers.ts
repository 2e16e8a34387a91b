/**
 * torch.nn layers as data: each layer's constructor signature (bound like Python binds it),
 * its parameter count, and its output shape for an input shape (without the batch
 * dimension), with PyTorch's arithmetic (window sizes from src/model/window.ts).
 */
import { windowOutput } from '../model/window';
import type { SigParam } from './bind';
import type { MessageArgs, MessageId } from './messages';
import { asInt, asNumber, formatShape, numel, type Dim, type Shape, type Value } from './values';

/** Something wrong with a layer's input or arguments. */
export interface Problem {
  readonly id: MessageId;
  readonly args: MessageArgs;
  readonly severity: 'error' | 'warning' | 'info';
  /**
   * Set (to the input, e.g. `1x224x224`) when the problem follows only from an input the
   * analyser assumed, not one the code or the user stated: shown in hovers, never a diagnostic.
   */
  readonly assumed?: string;
}

/** What a layer does to an input. `output` null: unknown from here on. */
export interface LayerOutcome {
  readonly output: Shape | null;
  readonly formula: readonly string[];
  readonly problems: readonly Problem[];
}

/** Bound constructor arguments with typed accessors; type errors become problems. */
export class LayerArgs {
  readonly problems: Problem[] = [];
  constructor(
    readonly layer: string,
    readonly map: ReadonlyMap<string, Value>,
  ) {}
  /** The raw value (None when absent). */
  value(name: string): Value {
    return this.map.get(name) ?? { type: 'none' };
  }
  private bad(name: string, v: Value, want: string): null {
    if (v.type !== 'unknown')
      this.problems.push({
        id: 'badArg',
        args: { layer: this.layer, detail: `${name} must be ${want}` },
        severity: 'error',
      });
    return null;
  }
  /** An int argument; null when unknown or wrong. */
  int(name: string): number | null {
    const v = this.value(name);
    const n = v.type === 'bool' ? undefined : asInt(v);
    return n ?? this.bad(name, v, 'an int');
  }
  /** A number argument. */
  num(name: string): number | null {
    const v = this.value(name);
    return asNumber(v) ?? this.bad(name, v, 'a number');
  }
  /** A bool argument (ints count as Python does). */
  bool(name: string): boolean | null {
    const v = this.value(name);
    if (v.type === 'bool') return v.v;
    const n = asInt(v);
    return n === undefined ? this.bad(name, v, 'a bool') : n !== 0;
  }
  /** An int or a tuple of `k` ints (PyTorch's `_size_2_t`); entries null when unknown. */
  sizes(name: string, k: number): Dim[] | null {
    const v = this.value(name);
    if (v.type === 'unknown') return Array<Dim>(k).fill(null);
    const n = asInt(v);
    if (n !== undefined && v.type !== 'bool') return Array<Dim>(k).fill(n);
    if ((v.type === 'tuple' || v.type === 'list') && v.items.length === k) {
      return v.items.map((i) => (i.type === 'unknown' ? null : (asInt(i) ?? null)));
    }
    if ((v.type === 'tuple' || v.type === 'list') && v.items.length === 1) return this.sizes1(v.items[0], k);
    return this.bad(name, v, k === 1 ? 'an int' : `an int or a tuple of ${k} ints`);
  }
  private sizes1(v: Value, k: number): Dim[] | null {
    const n = asInt(v);
    return n === undefined ? null : Array<Dim>(k).fill(n);
  }
  /** A string argument, else undefined. */
  str(name: string): string | undefined {
    const v = this.value(name);
    return v.type === 'str' ? v.v : undefined;
  }
}

interface LayerRule {
  readonly sig: readonly SigParam[];
  /** Trainable parameters; null when unknown. */
  params(a: LayerArgs): number | null;
  apply(a: LayerArgs, input: Shape): LayerOutcome;
}

const p = (name: string, def?: Value): SigParam => ({ name, kind: 'normal', default: def });
const I = (v: number): Value => ({ type: 'int', v });
const F = (v: number): Value => ({ type: 'float', v });
const B = (v: boolean): Value => ({ type: 'bool', v });
const N: Value = { type: 'none' };
const S = (v: string): Value => ({ type: 'str', v });
const rest: SigParam[] = [
  { name: 'args', kind: 'varargs' },
  { name: 'kwargs', kind: 'kwargs' },
];
const factory: SigParam[] = [
  { name: 'device', kind: 'kwonly', default: N },
  { name: 'dtype', kind: 'kwonly', default: N },
];

const ok = (
  output: Shape | null,
  formula: readonly string[] = [],
  problems: readonly Problem[] = [],
): LayerOutcome => ({ output, formula, problems });
const fail = (problem: Problem, formula: readonly string[] = []): LayerOutcome => ({
  output: null,
  formula,
  problems: [problem],
});
const err = (id: MessageId, args: MessageArgs): Problem => ({ id, args, severity: 'error' });

const AXES: Record<number, readonly string[]> = { 1: ['L'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };
const RANK_TEXT: Record<number, string> = { 1: 'C x L', 2: 'C x L', 3: 'C x H x W', 4: 'C x D x H x W' };

function rankCheck(layer: string, input: Shape, rank: number): Problem | undefined {
  if (input.length === rank) return undefined;
  return err('rank', { layer, expected: RANK_TEXT[rank] ?? `${rank}-d`, input: formatShape(input) });
}

interface WindowSpec {
  readonly kernel: readonly Dim[];
  readonly stride: readonly Dim[];
  readonly padding: readonly Dim[];
  readonly dilation: readonly Dim[];
  readonly ceil: boolean;
}

/** Slide a window over the spatial sizes; formulas name the axis when axes differ. */
function slide(layer: string, sizes: Shape, w: WindowSpec): { dims: Dim[]; formula: string[]; problem?: Problem } {
  const dims: Dim[] = [];
  const lines: string[] = [];
  const axes = AXES[sizes.length] ?? sizes.map((_, i) => `dim ${i}`);
  for (let i = 0; i < sizes.length; i++) {
    const vals = [sizes[i], w.kernel[i], w.stride[i], w.padding[i], w.dilation[i]];
    if (vals.some((v) => v === null)) {
      dims.push(null);
      continue;
    }
    const [size, kernel, stride, padding, dilation] = vals as number[];
    const r = windowOutput({ size, kernel, stride, padding, dilation, ceilMode: w.ceil });
    if (!r.ok)
      return {
        dims,
        formula: lines,
        problem: err('collapse', {
          layer,
          detail: `${axes[i] === 'L' ? 'length' : axes[i] === 'H' ? 'height' : axes[i] === 'W' ? 'width' : axes[i]} ${r.message}`,
        }),
      };
    dims.push(r.size);
    lines.push(r.formula);
  }
  const same = lines.length === sizes.length && lines.every((l) => l === lines[0]);
  const formula = same ? lines.slice(0, 1) : lines.map((l, i) => `${axes[i]}: ${l}`);
  return { dims, formula };
}

// The leading parameters Conv*d and ConvTranspose*d share; their tails differ in order.
const convHead: SigParam[] = [
  p('in_channels'),
  p('out_channels'),
  p('kernel_size'),
  p('stride', I(1)),
  p('padding', I(0)),
];

/** Weights (out x in/groups x kernel) plus bias: the same count for a conv and its transpose. */
function convParams(k: number): LayerRule['params'] {
  return (a) => {
    const [cin, cout, groups] = [a.int('in_channels'), a.int('out_channels'), a.int('groups')];
    const ks = a.sizes('kernel_size', k);
    const kn = ks && numel(ks);
    if (cin === null || cout === null || groups === null || kn === null || kn === undefined) return null;
    return (cout * cin * kn) / groups + (a.bool('bias') === false ? 0 : cout);
  };
}

function conv(k: number): LayerRule {
  return {
    sig: [
      ...convHead,
      p('dilation', I(1)),
      p('groups', I(1)),
      p('bias', B(true)),
      p('padding_mode', S('zeros')),
      ...factory,
    ],
    params: convParams(k),
    apply(a, input) {
      const name = a.layer;
      const rank = rankCheck(name, input, k + 1);
      if (rank) return fail(rank);
      const [cin, cout, groups] = [a.int('in_channels'), a.int('out_channels'), a.int('groups')];
      const problems: Problem[] = [];
      if (cin !== null && input[0] !== null && cin !== input[0]) {
        problems.push(err('channels', { layer: name, expected: cin, actual: input[0], input: formatShape(input) }));
      }
      if (cin !== null && groups !== null && groups > 0 && cin % groups !== 0)
        problems.push(err('groups', { layer: name, channels: cin, groups }));
      const pad = a.value('padding');
      let padding: Dim[] | null;
      const kernel = a.sizes('kernel_size', k);
      const dilation = a.sizes('dilation', k);
      const stride = a.sizes('stride', k);
      if (pad.type === 'str') {
        if (pad.v === 'same')
          return ok(
            [cout, ...input.slice(1)],
            ['padding="same": output size = input size'],
            [...problems, ...a.problems],
          );
        padding = Array<Dim>(k).fill(0);
      } else padding = a.sizes('padding', k);
      if (!kernel || !dilation || !stride || !padding)
        return { output: null, formula: [], problems: [...problems, ...a.problems] };
      const r = slide(name, input.slice(1), { kernel, stride, padding, dilation, ceil: false });
      if (r.problem) return { output: null, formula: r.formula, problems: [...problems, r.problem] };
      return ok([cout, ...r.dims], r.formula, [...problems, ...a.problems]);
    },
  };
}

function convTranspose(k: number): LayerRule {
  return {
    sig: [
      ...convHead,
      p('output_padding', I(0)),
      p('groups', I(1)),
      p('bias', B(true)),
      p('dilation', I(1)),
      p('padding_mode', S('zeros')),
      ...factory,
    ],
    params: convParams(k),
    apply(a, input) {
      const rank = rankCheck(a.layer, input, k + 1);
      if (rank) return fail(rank);
      const cin = a.int('in_channels');
      const problems: Problem[] = [];
      if (cin !== null && input[0] !== null && cin !== input[0])
        problems.push(err('channels', { layer: a.layer, expected: cin, actual: input[0], input: formatShape(input) }));
      const [ks, st, pd, op, dl] = ['kernel_size', 'stride', 'padding', 'output_padding', 'dilation'].map((n) =>
        a.sizes(n, k),
      );
      const dims: Dim[] = [];
      const formula: string[] = [];
      for (let i = 0; i < k; i++) {
        const v = [input[i + 1], ks?.[i], st?.[i], pd?.[i], op?.[i], dl?.[i]];
        if (v.some((x) => x === null || x === undefined)) {
          dims.push(null);
          continue;
        }
        const [h, kk, s, pp, o, d] = v as number[];
        const out = (h - 1) * s - 2 * pp + d * (kk - 1) + o + 1;
        formula.push(`(${h} - 1)*${s} - 2*${pp} + ${d}*(${kk} - 1) + ${o} + 1 = ${out}`);
        if (out < 1)
          return {
            output: null,
            formula,
            problems: [...problems, err('collapse', { layer: a.layer, detail: `output size ${out} is below 1` })],
          };
        dims.push(out);
      }
      return ok(
        [a.int('out_channels'), ...dims],
        formula.every((f) => f === formula[0]) ? formula.slice(0, 1) : formula,
        [...problems, ...a.problems],
      );
    },
  };
}

function pool(k: number, max: boolean): LayerRule {
  const sig = max
    ? [
        p('kernel_size'),
        p('stride', N),
        p('padding', I(0)),
        p('dilation', I(1)),
        p('return_indices', B(false)),
        p('ceil_mode', B(false)),
      ]
    : [
        p('kernel_size'),
        p('stride', N),
        p('padding', I(0)),
        p('ceil_mode', B(false)),
        p('count_include_pad', B(true)),
        ...(k > 1 ? [p('divisor_override', N)] : []),
      ];
  return {
    sig,
    params: () => 0,
    apply(a, input) {
      if (input.length !== k + 1 && input.length !== k) return fail(rankCheck(a.layer, input, k + 1)!);
      const kernel = a.sizes('kernel_size', k);
      // PyTorch: stride defaults to the kernel size (None or an empty tuple).
      const sv = a.value('stride');
      const stride =
        sv.type === 'none' || (sv.type === 'tuple' && sv.items.length === 0) ? kernel : a.sizes('stride', k);
      const padding = a.sizes('padding', k);
      const dilation = max ? a.sizes('dilation', k) : Array<Dim>(k).fill(1);
      const ceil = a.bool('ceil_mode') ?? false;
      if (!kernel || !stride || !padding || !dilation) return { output: null, formula: [], problems: a.problems };
      for (let i = 0; i < k; i++) {
        const [kk, pp, d] = [kernel[i], padding[i], dilation[i]];
        if (kk === null || pp === null || d === null) continue;
        const half = max ? (d * (kk - 1) + 1) / 2 : kk / 2;
        if (pp > half) return fail(err('poolPadding', { layer: a.layer, padding: pp, window: kk }));
      }
      const spatial = input.slice(input.length - k);
      const r = slide(a.layer, spatial, { kernel, stride, padding, dilation, ceil });
      if (r.problem) return { output: null, formula: r.formula, problems: [r.problem] };
      return ok([...input.slice(0, input.length - k), ...r.dims], r.formula, a.problems);
    },
  };
}

function adaptive(k: number): LayerRule {
  return {
    sig: k > 0 ? [p('output_size'), p('return_indices', B(false))] : [p('output_size')],
    params: () => 0,
    apply(a, input) {
      const rank = input.length === k + 1 || input.length === k ? undefined : rankCheck(a.layer, input, k + 1);
      if (rank) return fail(rank);
      const v = a.value('output_size');
      // Entries may be None: keep that input size.
      const items = v.type === 'tuple' || v.type === 'list' ? v.items : Array<Value>(k).fill(v);
      if (items.length !== k)
        return fail(err('badArg', { layer: a.layer, detail: `output_size must be an int or a tuple of ${k}` }));
      const spatial = input.slice(input.length - k);
      const dims = items.map((it, i) =>
        it.type === 'none' ? spatial[i] : it.type === 'unknown' ? null : (asInt(it) ?? null),
      );
      return ok(
        [...input.slice(0, input.length - k), ...dims],
        [`adaptive: ${formatShape(spatial)} -> ${formatShape(dims)}`],
      );
    },
  };
}

const identity: LayerRule = { sig: rest, params: () => 0, apply: (_a, input) => ok(input) };

function activation(sig: SigParam[], params: (a: LayerArgs) => number | null = () => 0): LayerRule {
  return { sig: [...sig, ...factory], params, apply: (a, input) => ok(input, [], a.problems) };
}

const dropout: LayerRule = {
  sig: [p('p', F(0.5)), p('inplace', B(false))],
  params: () => 0,
  apply(a, input) {
    const rate = a.num('p');
    if (rate !== null && !(rate >= 0 && rate <= 1))
      return ok(
        input,
        [],
        [err('badArg', { layer: a.layer, detail: `dropout probability has to be between 0 and 1, but got ${rate}` })],
      );
    return ok(input);
  },
};

function norm(rank: readonly number[], featuresArg: string, affineArg: string, affineDefault: boolean): LayerRule {
  return {
    sig: [
      p(featuresArg),
      p('eps', F(1e-5)),
      p('momentum', F(0.1)),
      p(affineArg, B(affineDefault)),
      p('track_running_stats', B(!affineDefault ? false : true)),
      ...factory,
    ],
    params(a) {
      const c = a.int(featuresArg);
      return c === null ? null : a.bool(affineArg) ? 2 * c : 0;
    },
    apply(a, input) {
      if (!rank.includes(input.length)) return fail(rankCheck(a.layer, input, rank[rank.length - 1])!);
      const c = a.int(featuresArg);
      if (c !== null && input[0] !== null && c !== input[0])
        return ok(
          input,
          [],
          [err('features', { layer: a.layer, expected: c, actual: input[0], input: formatShape(input) })],
        );
      return ok(input, [], a.problems);
    },
  };
}

const linear: LayerRule = {
  sig: [p('in_features'), p('out_features'), p('bias', B(true)), ...factory],
  params(a) {
    const [i, o] = [a.int('in_features'), a.int('out_features')];
    return i === null || o === null ? null : i * o + (a.bool('bias') === false ? 0 : o);
  },
  apply(a, input) {
    const [fin, fout] = [a.int('in_features'), a.int('out_features')];
    if (input.length === 0) return fail(rankCheck(a.layer, input, 1)!);
    const last = input[input.length - 1];
    const out: Shape = [...input.slice(0, -1), fout];
    const formula =
      fin !== null && fout !== null ? [`${fin}*${fout} weights + ${a.bool('bias') === false ? 0 : fout} bias`] : [];
    if (fin === null || last === null || fin === last) return ok(out, formula, a.problems);
    if (input.length === 1)
      return ok([fout], formula, [err('linearIn', { expected: fin, actual: last, out: fout ?? '...' })]);
    const flat = numel(input);
    return ok(out, formula, [
      err('linearLast', { expected: fin, actual: last, input: formatShape(input), flat: flat ?? '?' }),
    ]);
  },
};

const flatten: LayerRule = {
  sig: [p('start_dim', I(1)), p('end_dim', I(-1))],
  params: () => 0,
  apply(a, input) {
    const total = input.length + 1; // with the batch dimension
    const norm = (d: number | null): number | null => (d === null ? null : d < 0 ? d + total : d);
    const [s, e] = [norm(a.int('start_dim')), norm(a.int('end_dim'))];
    if (s === null || e === null) return ok(null);
    if (s < 1 || e >= total || s > e)
      return s === 0
        ? ok(null, ['flattens the batch dimension too'])
        : ok(
            null,
            [],
            [err('badArg', { layer: a.layer, detail: `dimensions ${s}..${e} out of range for ${formatShape(input)}` })],
          );
    const merged = input.slice(s - 1, e);
    const n = numel(merged);
    return ok(
      [...input.slice(0, s - 1), n, ...input.slice(e)],
      [`${merged.map((d) => d ?? '?').join('*')} = ${n ?? '?'}`],
    );
  },
};

const unflatten: LayerRule = {
  sig: [p('dim'), p('unflattened_size')],
  params: () => 0,
  apply(a, input) {
    const d = a.int('dim');
    const v = a.value('unflattened_size');
    if (d === null || (v.type !== 'tuple' && v.type !== 'list')) return ok(null);
    const i = (d < 0 ? d + input.length + 1 : d) - 1;
    const sizes = v.items.map((x) => asInt(x) ?? null);
    if (i < 0 || i >= input.length) return ok(null);
    return ok([...input.slice(0, i), ...sizes, ...input.slice(i + 1)]);
  },
};

function pad2d(): LayerRule {
  return {
    sig: [p('padding'), p('value', F(0))],
    params: () => 0,
    apply(a, input) {
      const v = a.value('padding');
      const four = asInt(v) !== undefined ? Array<Dim>(4).fill(asInt(v)!) : a.sizes('padding', 4);
      if (!four || input.length < 2) return ok(null, [], a.problems);
      const [l, r, t, b] = four;
      const add = (x: Dim, y: Dim, z: Dim): Dim => (x === null || y === null || z === null ? null : x + y + z);
      return ok([...input.slice(0, -2), add(input[input.length - 2], t, b), add(input[input.length - 1], l, r)]);
    },
  };
}

const upsample: LayerRule = {
  sig: [
    p('size', N),
    p('scale_factor', N),
    p('mode', S('nearest')),
    p('align_corners', N),
    p('recompute_scale_factor', N),
  ],
  params: () => 0,
  apply(a, input) {
    const k = input.length - 1;
    if (k < 1) return ok(null);
    if (a.value('size').type !== 'none') {
      const s = a.sizes('size', k);
      return ok(s ? [input[0], ...s] : null);
    }
    const f = a.value('scale_factor');
    const fs = f.type === 'tuple' ? f.items.map(asNumber) : Array(k).fill(asNumber(f));
    return ok([
      input[0],
      ...input.slice(1).map((d, i) => (d === null || fs[i] === undefined ? null : Math.floor(d * fs[i]!))),
    ]);
  },
};

const layerNorm: LayerRule = {
  sig: [p('normalized_shape'), p('eps', F(1e-5)), p('elementwise_affine', B(true)), p('bias', B(true)), ...factory],
  params(a) {
    const v = a.value('normalized_shape');
    const dims = v.type === 'tuple' || v.type === 'list' ? v.items.map((x) => asInt(x) ?? null) : [asInt(v) ?? null];
    const n = numel(dims);
    if (n === null) return null;
    return a.bool('elementwise_affine') === false ? 0 : a.bool('bias') === false ? n : 2 * n;
  },
  apply: (a, input) => ok(input, [], a.problems),
};

const groupNorm: LayerRule = {
  sig: [p('num_groups'), p('num_channels'), p('eps', F(1e-5)), p('affine', B(true)), ...factory],
  params(a) {
    const c = a.int('num_channels');
    return c === null ? null : a.bool('affine') === false ? 0 : 2 * c;
  },
  apply(a, input) {
    const c = a.int('num_channels');
    if (c !== null && input[0] !== null && c !== input[0])
      return ok(
        input,
        [],
        [err('features', { layer: a.layer, expected: c, actual: input[0], input: formatShape(input) })],
      );
    return ok(input);
  },
};

const prelu = activation([p('num_parameters', I(1)), p('init', F(0.25))], (a) => a.int('num_parameters'));

/** The layers the analyser models, by class name. */
export const LAYERS: Readonly<Record<string, LayerRule>> = {
  Conv1d: conv(1),
  Conv2d: conv(2),
  Conv3d: conv(3),
  ConvTranspose1d: convTranspose(1),
  ConvTranspose2d: convTranspose(2),
  MaxPool1d: pool(1, true),
  MaxPool2d: pool(2, true),
  AvgPool1d: pool(1, false),
  AvgPool2d: pool(2, false),
  AdaptiveAvgPool1d: adaptive(1),
  AdaptiveAvgPool2d: adaptive(2),
  AdaptiveMaxPool1d: adaptive(1),
  AdaptiveMaxPool2d: adaptive(2),
  Linear: linear,
  Flatten: flatten,
  Unflatten: unflatten,
  BatchNorm1d: norm([1, 2], 'num_features', 'affine', true),
  BatchNorm2d: norm([3], 'num_features', 'affine', true),
  InstanceNorm1d: norm([2], 'num_features', 'affine', false),
  InstanceNorm2d: norm([3], 'num_features', 'affine', false),
  LayerNorm: layerNorm,
  GroupNorm: groupNorm,
  LocalResponseNorm: {
    sig: [p('size'), p('alpha', F(1e-4)), p('beta', F(0.75)), p('k', F(1))],
    params: () => 0,
    apply: (_a, input) => ok(input),
  },
  Dropout: dropout,
  Dropout1d: dropout,
  Dropout2d: dropout,
  Dropout3d: dropout,
  AlphaDropout: dropout,
  ReLU: activation([p('inplace', B(false))]),
  ReLU6: activation([p('inplace', B(false))]),
  LeakyReLU: activation([p('negative_slope', F(0.01)), p('inplace', B(false))]),
  PReLU: prelu,
  ELU: activation([p('alpha', F(1)), p('inplace', B(false))]),
  CELU: activation([p('alpha', F(1)), p('inplace', B(false))]),
  SELU: activation([p('inplace', B(false))]),
  GELU: activation([p('approximate', S('none'))]),
  SiLU: activation([p('inplace', B(false))]),
  Mish: activation([p('inplace', B(false))]),
  Sigmoid: activation([]),
  Tanh: activation([]),
  Softsign: activation([]),
  Tanhshrink: activation([]),
  Hardswish: activation([p('inplace', B(false))]),
  Hardsigmoid: activation([p('inplace', B(false))]),
  Hardtanh: activation([p('min_val', F(-1)), p('max_val', F(1)), p('inplace', B(false))]),
  Softplus: activation([p('beta', F(1)), p('threshold', F(20))]),
  Softmax: activation([p('dim', N)]),
  LogSoftmax: activation([p('dim', N)]),
  Softmax2d: activation([]),
  Threshold: activation([p('threshold'), p('value'), p('inplace', B(false))]),
  Identity: identity,
  ZeroPad2d: { ...pad2d(), sig: [p('padding')] },
  ConstantPad2d: pad2d(),
  ReflectionPad2d: { ...pad2d(), sig: [p('padding')] },
  ReplicationPad2d: { ...pad2d(), sig: [p('padding')] },
  Upsample: upsample,
};

/** True when torch.nn.`name` is a layer the analyser models. */
export function isLayer(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(LAYERS, name);
}

/** The signature of a modelled layer's constructor. */
export function layerSignature(name: string): readonly SigParam[] {
  return LAYERS[name].sig;
}

/** Parameters of a layer built with `args`. */
export function layerParams(name: string, args: ReadonlyMap<string, Value>): number | null {
  return LAYERS[name].params(new LayerArgs(name, args));
}

/** Apply a layer to an input shape. */
export function applyLayer(name: string, args: ReadonlyMap<string, Value>, input: Shape): LayerOutcome {
  const a = new LayerArgs(name, args);
  const r = LAYERS[name].apply(a, input);
  const seen = new Set(r.problems.map((x) => JSON.stringify(x)));
  return { ...r, problems: [...r.problems, ...a.problems.filter((x) => !seen.has(JSON.stringify(x)))] };
}
