/**
 * Shape propagation: applies a module value to an input shape, recording one event per
 * layer, container, helper call and tensor op (with its input, output, parameters,
 * formula and problems). nn.Module subclasses run their `forward` through the evaluator
 * with symbolic tensors.
 */
import type { Span } from './ast';
import { bindArgs, type SigParam } from './bind';
import type { Interp, TensorHooks } from './interp';
import { applyLayer, layerParams, type Problem } from './layers';
import {
  asInt,
  asMod,
  formatShape,
  int,
  iterItems,
  numel,
  show,
  unknown,
  type Dim,
  type FuncValue,
  type Mod,
  type Shape,
  type Site,
  type Value,
} from './values';

/** What one application of a module or op did. */
export interface ShapeEvent {
  /** Index of the model (root) this event belongs to. */
  readonly root: number;
  /** -1 for the model itself, 0 for its direct layers and calls, deeper inside helpers. */
  readonly depth: number;
  /** Where the module was built (or the op called). */
  readonly site: Site;
  /** Where a forward() applied it, when that is elsewhere. */
  readonly use?: Span;
  readonly kind: Mod['kind'] | 'op';
  /** torch.nn class name for layers. */
  readonly layer?: string;
  /** The layer's arguments as bound, e.g. `in_channels=1, out_channels=96, ...`. */
  readonly args?: string;
  readonly input: Shape | null;
  output: Shape | null;
  readonly params: number | null;
  formula: readonly string[];
  problems: Problem[];
  /** The depth-0 site this event happened under: where its diagnostics go. */
  readonly top: Site;
}

const MAX_APPLY_DEPTH = 64;

/** Rank each layer expects, so an unknown input can still yield a partly known output. */
const RANK: Record<string, number> = {
  Conv1d: 2,
  Conv2d: 3,
  Conv3d: 4,
  ConvTranspose1d: 2,
  ConvTranspose2d: 3,
  MaxPool2d: 3,
  AvgPool2d: 3,
  MaxPool1d: 2,
  AvgPool1d: 2,
  AdaptiveAvgPool2d: 3,
  AdaptiveMaxPool2d: 3,
  AdaptiveAvgPool1d: 2,
  AdaptiveMaxPool1d: 2,
  BatchNorm2d: 3,
  Linear: 1,
};

const paramsMemo = new WeakMap<Mod, number | null>();

/** Trainable parameters of a module; memoised (modules do not change once shapes are propagated). */
export function paramsOf(mod: Mod): number | null {
  let p = paramsMemo.get(mod);
  if (p === undefined) {
    p = countParams(mod);
    paramsMemo.set(mod, p);
  }
  return p;
}

/**
 * Trainable parameters of a module (shared modules counted once); null when unknown. Walked
 * with an explicit stack: modules can nest thousands deep.
 */
function countParams(root: Mod): number | null {
  const seen = new Set<Mod>();
  const stack = [root];
  let total = 0;
  while (stack.length) {
    const mod = stack.pop()!;
    if (seen.has(mod)) continue;
    if (seen.size > 100_000) break;
    seen.add(mod);
    switch (mod.kind) {
      case 'layer': {
        const p = layerParams(mod.layer, mod.args);
        if (p === null) return null;
        total += p;
        break;
      }
      case 'sequential':
      case 'modulelist':
        for (let i = mod.children.length - 1; i >= 0; i--) stack.push(mod.children[i]);
        break;
      case 'helper':
        stack.push(mod.inner);
        break;
      case 'custom':
        // PyTorch registers module attributes (and containers), not plain lists of modules.
        for (const v of mod.obj.attrs.values()) {
          const m = asMod(v);
          if (m) stack.push(m);
        }
        break;
      case 'opaque':
        return null;
    }
  }
  return total;
}

const argsMemo = new WeakMap<ReadonlyMap<string, Value>, string>();

function argsText(args: ReadonlyMap<string, Value>): string {
  let t = argsMemo.get(args);
  if (t === undefined) argsMemo.set(args, (t = formatArgs(args)));
  return t;
}

function formatArgs(args: ReadonlyMap<string, Value>): string {
  return [...args]
    .filter(([k, v]) => !(k === 'device' || k === 'dtype') || v.type !== 'none')
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(', ');
}

/** Propagates shapes through one model, recording events. */
export class Propagator implements TensorHooks {
  readonly events: ShapeEvent[] = [];
  private depth = -2;
  private top: Site | undefined;
  /** Arguments after the input for the next custom forward() (set by applyModule). */
  private extraArgs: readonly Value[] = [];

  constructor(
    private readonly ip: Interp,
    private readonly root: number,
  ) {}

  /** Apply the model to `input`; helpers wrapping the model itself stay at depth -1. */
  run(mod: Mod, input: Shape | null): Shape | null {
    const saved = this.ip.hooks;
    this.ip.hooks = this;
    try {
      let m = mod;
      const wrappers: ShapeEvent[] = [];
      while (m.kind === 'helper') {
        wrappers.push(this.record(m, -1, input, undefined));
        m = m.inner;
      }
      const out = this.apply(m, input);
      for (const w of wrappers) w.output = out;
      return out;
    } finally {
      this.ip.hooks = saved;
    }
  }

  private record(mod: Mod, depth: number, input: Shape | null, use: Span | undefined): ShapeEvent {
    const top = depth === 0 ? mod.site : (this.top ?? mod.site);
    const ev: ShapeEvent = {
      root: this.root,
      depth,
      site: mod.site,
      use,
      kind: mod.kind,
      layer: mod.kind === 'layer' ? mod.layer : undefined,
      args: mod.kind === 'layer' ? argsText(mod.args) : undefined,
      input,
      output: null,
      params: paramsOf(mod),
      formula: [],
      problems: [],
      top,
    };
    if (this.events.length < 50_000) this.events.push(ev);
    return ev;
  }

  /** Apply a module to a shape (null: unknown), one level deeper than the caller. */
  apply(mod: Mod, input: Shape | null, use?: Span): Shape | null {
    const depth = this.depth + 1;
    const ev = this.record(mod, depth, input, use);
    const [savedDepth, savedTop] = [this.depth, this.top];
    this.depth = depth;
    if (depth === 0) this.top = mod.site;
    try {
      if (depth > MAX_APPLY_DEPTH) {
        ev.problems.push({
          id: 'unresolved',
          args: { what: mod.site.callee, why: `modules nest deeper than ${MAX_APPLY_DEPTH}` },
          severity: 'info',
        });
        return null;
      }
      ev.output = this.applyInner(mod, input, ev);
      return ev.output;
    } finally {
      [this.depth, this.top] = [savedDepth, savedTop];
    }
  }

  private applyInner(mod: Mod, input: Shape | null, ev: ShapeEvent): Shape | null {
    switch (mod.kind) {
      case 'layer': {
        const rank = RANK[mod.layer];
        const x = input ?? (rank ? Array<Dim>(rank).fill(null) : null);
        if (!x) return null;
        const r = applyLayer(mod.layer, mod.args, x);
        ev.formula = r.formula;
        ev.problems.push(...r.problems);
        return r.output;
      }
      case 'sequential': {
        let x = input;
        for (const c of mod.children) x = this.apply(c, x);
        return x;
      }
      case 'helper':
        return this.apply(mod.inner, input);
      case 'custom':
        return this.forward(mod, input, ev);
      case 'modulelist':
        ev.problems.push({
          id: 'unresolved',
          args: { what: mod.site.callee, why: 'a ModuleList has no forward(); iterate over it' },
          severity: 'warning',
        });
        return null;
      case 'opaque':
        ev.problems.push({ id: 'unresolved', args: { what: mod.name, why: mod.why }, severity: 'info' });
        return null;
    }
  }

  private forward(mod: Extract<Mod, { kind: 'custom' }>, input: Shape | null, ev: ShapeEvent): Shape | null {
    const fwd = this.ip.classAttr(mod.obj.cls, 'forward');
    if (fwd?.type !== 'func') {
      ev.problems.push({
        id: 'unresolved',
        args: { what: mod.obj.cls.name, why: 'it has no forward() in this file' },
        severity: 'info',
      });
      return null;
    }
    const extra = this.extraArgs;
    this.extraArgs = [];
    const { pos, kw } = forwardArgs(fwd, [{ type: 'tensor', shape: input }, ...extra]);
    const r = this.ip.callFunc(fwd, [mod.obj, ...pos], kw, mod.site);
    const t =
      r.type === 'tensor'
        ? r
        : r.type === 'tuple' || r.type === 'list'
          ? r.items.find((i) => i.type === 'tensor')
          : undefined;
    if (t?.type === 'tensor') return t.shape;
    ev.problems.push({
      id: 'unresolved',
      args: { what: `${mod.obj.cls.name}.forward()`, why: 'its result is not known statically' },
      severity: 'info',
    });
    return null;
  }

  // ---- hooks called by the evaluator inside forward() ----

  applyModule(mod: Mod, args: readonly Value[], call: Span): Value {
    const x = args[0];
    if (x?.type !== 'tensor') return { type: 'tensor', shape: null };
    // A custom module's forward() gets the call's other arguments too (`self.block(x, mask)`).
    let inner = mod;
    for (let i = 0; inner.kind === 'helper' && i < 100; i++) inner = inner.inner;
    if (inner.kind === 'custom') this.extraArgs = args.slice(1);
    return { type: 'tensor', shape: this.apply(mod, x.shape, call) };
  }

  op(
    name: string,
    self: Value | undefined,
    pos: readonly Value[],
    kw: readonly (readonly [string, Value])[],
    call: Span,
    callee: string,
  ): Value | undefined {
    const method = name.startsWith('tensor.');
    if (/^(torch\.)?(cat|concat)$/.test(name)) return this.cat(pos, kw, call, callee);
    const x = method ? self : pos[0];
    if (x?.type !== 'tensor') return undefined;
    const rest = method ? pos : pos.slice(1);
    const r = tensorOp(name.replace(/^(tensor|torch|F)\./, ''), name, x.shape, rest, kw);
    if (r === undefined) return undefined;
    if ('value' in r) return r.value;
    return this.opEvent(call, callee, x.shape, r.shape, r.formula ?? [], r.problems ?? []);
  }

  private opEvent(
    call: Span,
    callee: string,
    input: Shape | null,
    output: Shape | null,
    formula: string[],
    problems: Problem[],
  ): Value {
    const site: Site = { span: call, callee };
    const depth = this.depth + 1;
    const ev: ShapeEvent = {
      root: this.root,
      depth,
      site,
      kind: 'op',
      input,
      output,
      params: 0,
      formula,
      problems,
      top: depth === 0 ? site : (this.top ?? site),
    };
    if (this.events.length < 50_000) this.events.push(ev);
    return { type: 'tensor', shape: output };
  }

  /** torch.cat: sizes add up along `dim`, and must agree elsewhere. */
  private cat(
    pos: readonly Value[],
    kw: readonly (readonly [string, Value])[],
    call: Span,
    callee: string,
  ): Value | undefined {
    const items = pos[0] && iterItems(pos[0]);
    if (!items || !items.every((i) => i.type === 'tensor')) return undefined;
    const shapes = items.map((i) => (i.type === 'tensor' ? i.shape : null));
    const d = asInt(pos[1] ?? kw.find(([k]) => k === 'dim')?.[1] ?? int(0));
    const first = shapes[0];
    if (d === undefined || !first || shapes.some((s) => !s || s.length !== first.length))
      return this.opEvent(call, callee, first, null, [], []);
    const sd = d < 0 ? d + first.length : d - 1;
    if (sd < 0 || sd >= first.length) return this.opEvent(call, callee, first, null, [], []);
    const out: Dim[] = [...first];
    let sum: number | null = 0;
    for (const s of shapes as Shape[]) {
      for (let i = 0; i < s.length; i++) {
        if (i !== sd && s[i] !== null && out[i] !== null && s[i] !== out[i]) {
          return this.opEvent(
            call,
            callee,
            first,
            null,
            [],
            [{ id: 'catMismatch', args: { shapes: shapes.map(formatShape).join(', '), dim: d }, severity: 'error' }],
          );
        }
      }
      sum = sum === null || s[sd] === null ? null : sum + (s[sd] as number);
    }
    out[sd] = sum;
    return this.opEvent(
      call,
      callee,
      first,
      out,
      [`${shapes.map((s) => s![sd] ?? '?').join(' + ')} = ${sum ?? '?'}`],
      [],
    );
  }
}

/**
 * The arguments a forward() is called with: those given, fitted to its signature. A model is
 * run with one input tensor; a forward() that needs more (`forward(self, x, mask)`) gets
 * tensors of unknown shape for them, one that takes fewer gets fewer: the analyser's choice of
 * inputs is never the code's error.
 */
function forwardArgs(fwd: FuncValue, given: readonly Value[]): { pos: Value[]; kw: [string, Value][] } {
  const params = fwd.def.params.slice(1);
  const positional = params.filter((p) => p.kind === 'normal' || p.kind === 'posonly');
  const open = params.some((p) => p.kind === 'varargs');
  const pos = open ? [...given] : given.slice(0, positional.length);
  const anyTensor: Value = { type: 'tensor', shape: null };
  for (let i = pos.length; i < positional.length && !fwd.defaults.has(positional[i].name); i++) pos.push(anyTensor);
  const kw: [string, Value][] = params
    .filter((p) => p.kind === 'kwonly' && !fwd.defaults.has(p.name))
    .map((p) => [p.name, anyTensor]);
  return { pos, kw };
}

type OpResult = { shape: Shape | null; formula?: string[]; problems?: Problem[] } | { value: Value };

const ELEMENTWISE = new Set([
  'relu',
  'relu_',
  'relu6',
  'leaky_relu',
  'elu',
  'selu',
  'celu',
  'gelu',
  'silu',
  'mish',
  'sigmoid',
  'tanh',
  'hardswish',
  'hardsigmoid',
  'hardtanh',
  'softplus',
  'softmax',
  'log_softmax',
  'dropout',
  'dropout2d',
  'alpha_dropout',
  'normalize',
  'contiguous',
  'clone',
  'detach',
  'float',
  'double',
  'half',
  'to',
  'cpu',
  'cuda',
  'abs',
  'exp',
  'log',
  'sqrt',
  'neg',
  'clamp',
  'batch_norm',
  'layer_norm',
  'local_response_norm',
]);
const POOLS: Record<string, string> = {
  max_pool2d: 'MaxPool2d',
  avg_pool2d: 'AvgPool2d',
  max_pool1d: 'MaxPool1d',
  avg_pool1d: 'AvgPool1d',
  adaptive_avg_pool2d: 'AdaptiveAvgPool2d',
  adaptive_max_pool2d: 'AdaptiveMaxPool2d',
  adaptive_avg_pool1d: 'AdaptiveAvgPool1d',
  adaptive_max_pool1d: 'AdaptiveMaxPool1d',
  interpolate: 'Upsample',
};
const P = (name: string, def?: Value): SigParam => ({ name, kind: 'normal', default: def });

function layerOp(
  layer: string,
  shape: Shape | null,
  pos: readonly Value[],
  kw: readonly (readonly [string, Value])[],
): OpResult {
  // The functional forms take the layer's arguments after the input (plus extras we ignore).
  const sig: SigParam[] =
    layer === 'Upsample'
      ? [
          P('size', { type: 'none' }),
          P('scale_factor', { type: 'none' }),
          P('mode', { type: 'str', v: 'nearest' }),
          P('align_corners', { type: 'none' }),
          P('recompute_scale_factor', { type: 'none' }),
          P('antialias', { type: 'bool', v: false }),
        ]
      : [];
  const b = sig.length ? bindArgs(sig, pos, kw) : bindLayer(layer, pos, kw);
  if (!b || !b.ok || !shape) return { shape: null };
  const r = applyLayer(layer, b.args, shape);
  return { shape: r.output, formula: [...r.formula], problems: [...r.problems] };
}

function bindLayer(layer: string, pos: readonly Value[], kw: readonly (readonly [string, Value])[]) {
  const base = layerSigs[layer];
  return base ? bindArgs(base, pos, kw) : undefined;
}

const I = (v: number): Value => ({ type: 'int', v });
const B = (v: boolean): Value => ({ type: 'bool', v });
const NONE_V: Value = { type: 'none' };
// F.max_pool1d/2d take the same arguments; F.avg_pool2d adds divisor_override to avg_pool1d's.
const maxPoolSig: SigParam[] = [
  P('kernel_size'),
  P('stride', NONE_V),
  P('padding', I(0)),
  P('dilation', I(1)),
  P('ceil_mode', B(false)),
  P('return_indices', B(false)),
];
const avgPool1dSig: SigParam[] = [
  P('kernel_size'),
  P('stride', NONE_V),
  P('padding', I(0)),
  P('ceil_mode', B(false)),
  P('count_include_pad', B(true)),
];
const layerSigs: Record<string, SigParam[]> = {
  MaxPool2d: maxPoolSig,
  MaxPool1d: maxPoolSig,
  AvgPool2d: [...avgPool1dSig, P('divisor_override', NONE_V)],
  AvgPool1d: avgPool1dSig,
  AdaptiveAvgPool2d: [P('output_size')],
  AdaptiveMaxPool2d: [P('output_size'), P('return_indices', B(false))],
  AdaptiveAvgPool1d: [P('output_size')],
  AdaptiveMaxPool1d: [P('output_size'), P('return_indices', B(false))],
};

/** The per-sample dimension a (batch-including) torch dim refers to; null for the batch itself. */
function sampleDim(d: number, rank: number): number | null {
  const full = d < 0 ? d + rank + 1 : d;
  return full <= 0 || full > rank ? null : full - 1;
}

function tensorOp(
  op: string,
  full: string,
  shape: Shape | null,
  pos: readonly Value[],
  kw: readonly (readonly [string, Value])[],
): OpResult | undefined {
  const kwv = (name: string): Value | undefined => kw.find(([k]) => k === name)?.[1];
  if (ELEMENTWISE.has(op)) return { shape };
  if (op in POOLS && !full.startsWith('tensor.')) return layerOp(POOLS[op], shape, pos, kw);
  if (full.startsWith('binop')) return binop(shape, pos[1]);
  if (!shape) return op === 'size' || op === 'dim' ? { value: unknown('shape not known') } : { shape: null };
  switch (op) {
    case 'size': {
      const d = pos[0] ?? kwv('dim');
      if (!d)
        return {
          value: {
            type: 'tuple',
            items: [{ type: 'batch' }, ...shape.map((s) => (s === null ? unknown('size') : int(s)))],
          },
        };
      const i = asInt(d);
      if (i === undefined) return { value: unknown('size()') };
      const sd = sampleDim(i, shape.length);
      const s = sd === null ? null : shape[sd];
      return {
        value:
          sd === null && (i === 0 || i === -shape.length - 1)
            ? { type: 'batch' }
            : s === null || s === undefined
              ? unknown('size')
              : int(s),
      };
    }
    case 'dim':
      return { value: int(shape.length + 1) };
    case 'flatten': {
      const start = asInt(pos[0] ?? kwv('start_dim') ?? I(0)) ?? 0;
      const end = asInt(pos[1] ?? kwv('end_dim') ?? I(-1)) ?? -1;
      const total = shape.length + 1;
      const [s, e] = [start < 0 ? start + total : start, end < 0 ? end + total : end];
      if (s === 0) return { shape: null, formula: ['flattens the batch dimension too'] };
      const merged = shape.slice(s - 1, e);
      const n = numel(merged);
      return {
        shape: [...shape.slice(0, s - 1), n, ...shape.slice(e)],
        formula: [`${merged.map((d) => d ?? '?').join('*')} = ${n ?? '?'}`],
      };
    }
    case 'view':
    case 'reshape':
      return reshape(
        full,
        shape,
        pos.length === 1 && (pos[0].type === 'tuple' || pos[0].type === 'list')
          ? pos[0].items
          : (kwv('shape') && iterItems(kwv('shape')!)) || pos,
      );
    case 'mean':
    case 'sum':
    case 'amax':
    case 'amin': {
      const d = pos[0] ?? kwv('dim');
      const keep = kwv('keepdim') ?? pos[1];
      if (!d) return { shape: null };
      const dims = (d.type === 'tuple' || d.type === 'list' ? d.items : [d]).map((v) => asInt(v));
      if (dims.some((v) => v === undefined)) return { shape: null };
      const idx = new Set(dims.map((v) => sampleDim(v!, shape.length)));
      if (idx.has(null)) return { shape: null };
      const keepdim = keep?.type === 'bool' && keep.v;
      return { shape: keepdim ? shape.map((s, i) => (idx.has(i) ? 1 : s)) : shape.filter((_, i) => !idx.has(i)) };
    }
    case 'unsqueeze': {
      const i = asInt(pos[0] ?? kwv('dim') ?? NONE_V);
      if (i === undefined) return { shape: null };
      const at = (i < 0 ? i + shape.length + 2 : i) - 1;
      if (at < 0) return { shape: null };
      return { shape: [...shape.slice(0, at), 1, ...shape.slice(at)] };
    }
    case 'squeeze': {
      const i = pos[0] ? asInt(pos[0]) : undefined;
      if (i === undefined) return { shape: shape.some((s) => s === null) ? null : shape.filter((s) => s !== 1) };
      const sd = sampleDim(i, shape.length);
      return { shape: sd === null ? null : shape[sd] === 1 ? shape.filter((_, k) => k !== sd) : shape };
    }
    case 'transpose': {
      const [a, b] = [asInt(pos[0] ?? NONE_V), asInt(pos[1] ?? NONE_V)];
      if (a === undefined || b === undefined) return { shape: null };
      const [i, j] = [sampleDim(a, shape.length), sampleDim(b, shape.length)];
      if (i === null || j === null) return { shape: null };
      const out = [...shape];
      [out[i], out[j]] = [out[j], out[i]];
      return { shape: out };
    }
    case 'permute': {
      const order = (pos.length === 1 ? iterItems(pos[0]) : pos)?.map((v) => asInt(v));
      if (!order || order.some((o) => o === undefined) || order.length !== shape.length + 1 || order[0] !== 0)
        return { shape: null };
      return { shape: order.slice(1).map((o) => shape[o! - 1]) };
    }
    case 'cat':
    case 'concat':
      return { shape: null };
    default:
      return { shape: null };
  }
}

function binop(shape: Shape | null, other: Value | undefined): OpResult {
  if (other?.type !== 'tensor') return { shape };
  const o = other.shape;
  if (!shape || !o) return { shape: shape ?? o };
  // Broadcasting aligns trailing dimensions; a size of 1 stretches.
  const n = Math.max(shape.length, o.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const a = shape[shape.length - n + i] ?? 1;
    const b = o[o.length - n + i] ?? 1;
    if (a === null || b === null) out.push(a === 1 ? b : a);
    else if (a === b || b === 1) out.push(a);
    else if (a === 1) out.push(b);
    else
      return {
        shape: null,
        problems: [{ id: 'addMismatch', args: { left: formatShape(shape), right: formatShape(o) }, severity: 'error' }],
      };
  }
  return { shape: out };
}

function reshape(full: string, shape: Shape, args: readonly Value[]): OpResult {
  const op = full.replace(/^(tensor|torch)\./, '');
  if (args.length === 0) return { shape: null };
  const [first, ...rest] = args;
  const total = numel(shape);
  const target = `(${args.map((a) => (a.type === 'batch' ? 'N' : show(a))).join(', ')})`;
  // The first size is the batch (x.size(0), -1 or a number); the rest is one sample.
  if (!(first.type === 'batch' || asInt(first) !== undefined) || rest.length === 0) return { shape: null };
  const dims = rest.map((v) => (v.type === 'unknown' ? null : (asInt(v) ?? null)));
  const holes = dims.filter((d) => d === -1).length;
  if (holes > 1) return { shape: null };
  if (holes === 1) {
    if (first.type !== 'batch' && asInt(first) === -1) return { shape: null };
    const known = numel(dims.filter((d) => d !== -1));
    if (total === null || known === null) return { shape: dims.map((d) => (d === -1 ? null : d)) };
    if (total % known !== 0)
      return {
        shape: null,
        problems: [{ id: 'view', args: { op, input: formatShape(shape), numel: total, target }, severity: 'error' }],
      };
    return {
      shape: dims.map((d) => (d === -1 ? total / known : d)),
      formula: [`${total} / ${known} = ${total / known}`],
    };
  }
  const want = numel(dims);
  if (total !== null && want !== null && total !== want && (first.type === 'batch' || asInt(first) === -1)) {
    return {
      shape: null,
      problems: [{ id: 'view', args: { op, input: formatShape(shape), numel: total, target }, severity: 'error' }],
    };
  }
  return { shape: dims };
}
