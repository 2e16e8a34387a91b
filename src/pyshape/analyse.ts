/**
 * Shape analysis of a Python file: finds the models it builds (nn.Sequential expressions,
 * functions returning them, nn.Module subclasses), propagates an input shape through each,
 * and returns events (for hovers and inlay hints), annotations and diagnostics.
 */
import { normalizeLineEnds } from './textGuard';
import {
  convertModule,
  convertTopLevel,
  topLevel,
  type Expr,
  type FuncDef,
  type Span,
  type Stmt,
  type TopLevel,
} from './ast';
import { Propagator, type ShapeEvent } from './forward';
import { inferInput } from './inferInput';
import { commentFor, DEFAULT_INPUT, findInputShapeComments } from './inputShape';
import { BudgetExceeded, Interp, UNDEFINED_IN_NOTEBOOK, type InterpLimits } from './interp';
import type { MessageArgs, MessageId } from './messages';
import type { PythonParser, SyntaxTree } from './parser';
import {
  asMod,
  formatShape,
  pushAll,
  type Mod,
  type Shape,
  type FuncValue,
  type Site,
  type UserClass,
  type Value,
} from './values';

/** Where a model's input shape came from. */
export type InputSource = 'comment' | 'override' | 'setting' | 'first-layer' | 'inferred';

/** Options for one analysis. */
export interface AnalyseOptions {
  /** The input shape when no comment gives one. */
  readonly input?: readonly number[];
  /** `override` (per-file or CLI flag) is taken as given; `setting` adapts its channels to the first layer. */
  readonly inputSource?: 'override' | 'setting';
  readonly limits?: Partial<InterpLimits>;
  /**
   * Analyse only the models that can show something between these offsets: those written
   * there, and those that use (by name, transitively) a function, class or global written
   * there. A hover or the visible lines need no more; the rest of a long file is never run.
   */
  readonly focus?: { readonly start: number; readonly end: number };
  /**
   * With `focus`: the most models to run beyond those written in the range (a helper that every
   * model of a long file uses would otherwise cost the whole file). `partial` says when some
   * were left out. Default: no limit.
   */
  readonly maxCallers?: number;
  /**
   * The source is a notebook's code cells joined (see notebook.ts): a name undefined where it
   * is used may come from a cell run out of order or an import, so it is unknown, not a notice.
   */
  readonly notebook?: boolean;
}

/** One model found in the file. */
export interface ModelReport {
  readonly index: number;
  readonly name: string;
  readonly span: Span;
  readonly input: Shape;
  readonly inputFrom: InputSource;
  /** With `inferred`: the layer whose features fix the input's size (`fc1`). */
  readonly inferredFrom?: string;
  readonly output: Shape | null;
  readonly params: number | null;
  /** The resolved module tree (what toSpec.ts builds a trainable network from). */
  readonly mod: Mod;
}

/** A problem on a line (span is where the call starts). */
export interface ShapeDiagnostic {
  readonly span: Span;
  readonly severity: 'error' | 'warning' | 'info';
  readonly id: MessageId;
  readonly args: MessageArgs;
  /** Set when the problem is inside a helper or nested module: which call, on which (1-based) line. */
  readonly via?: { readonly callee: string; readonly line: number };
}

/** Everything the analyser found in one file. */
export interface Analysis {
  readonly models: readonly ModelReport[];
  readonly events: readonly ShapeEvent[];
  readonly diagnostics: readonly ShapeDiagnostic[];
  readonly steps: number;
  readonly budgetExceeded: boolean;
  /** Set when a focused analysis left out models (see AnalyseOptions.maxCallers). */
  readonly partial?: { readonly models: number };
  /** Per model, how it trains (src/pyshape/trainability.ts): set by the analysis worker. */
  readonly trainability?: readonly import('./trainability').Trainability[];
}

/** Default limits: generous for real model files, small enough to stay fast on anything. */
export const DEFAULT_LIMITS: InterpLimits = { maxSteps: 200_000, maxCallDepth: 40, maxLoopIterations: 10_000 };

/** Parse and analyse Python source. */
export function analysePython(parser: PythonParser, source: string, options: AnalyseOptions = {}): Analysis {
  const tree = parser.parse(source);
  try {
    return analyseTree(tree, source, options);
  } finally {
    tree.delete();
  }
}

interface Root {
  readonly name: string;
  readonly span: Span;
  readonly mod: Mod;
}

/** Analyse an already parsed tree of `source`. */
export function analyseTree(tree: SyntaxTree, source: string, options: AnalyseOptions = {}): Analysis {
  const steps = analyseSteps(tree, source, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The same analysis in slices: it pauses after running the file's top level, after each
 * candidate model is built and after each model's shapes are propagated, so an editor can
 * answer other requests between slices. The tree must stay unedited until it returns
 * (abandon it when the document changes).
 */
export function* analyseSteps(
  tree: SyntaxTree,
  source: string,
  options: AnalyseOptions = {},
): Generator<void, Analysis, void> {
  source = normalizeLineEnds(source); // same length: the tree's offsets still hold
  const ip = new Interp(source, { ...DEFAULT_LIMITS, ...options.limits });
  if (options.notebook) ip.undefinedWhy = UNDEFINED_IN_NOTEBOOK;
  let stmts: Stmt[];
  let wanted: Set<Stmt> | undefined;
  let defSpans: Span[];
  let calls: CallSites;
  if (options.focus) {
    // Convert and run only what the focused models can reach; a long file's other functions
    // are never converted, and names are searched for one at a time instead of all at once.
    const tops = topLevel(tree.rootNode);
    calls = callsByName(source);
    // Statements outside functions and classes run at import: always converted and run.
    const converted = new Map<TopLevel, Stmt[]>();
    for (const t of tops) if (t.kind === 'other') converted.set(t, convertTopLevel(t));
    const plan = planFocus(tops, converted, source, options.focus);
    stmts = [];
    wanted = new Set();
    for (const t of tops) {
      if (!plan.needed.has(t)) continue;
      const ss = converted.get(t) ?? convertTopLevel(t);
      stmts.push(...ss);
      if (plan.roots.has(t)) for (const s of ss) wanted.add(s);
    }
    defSpans = tops.filter((t) => t.kind !== 'other').map((t) => t.span);
    for (const ss of converted.values()) pushAll(defSpans, lambdaSpans(ss));
  } else {
    stmts = convertModule(tree.rootNode);
    defSpans = stmts.filter((s) => s.t === 'def' || s.t === 'class').map((s) => s.span);
    pushAll(defSpans, lambdaSpans(stmts));
    calls = allCalls(source);
  }
  let budgetExceeded = false;
  const guard = <T>(f: () => T): T | undefined => {
    if (budgetExceeded) return undefined;
    try {
      return f();
    } catch (e) {
      // A stack overflow should not happen (nesting is bounded); if it does, stop like the budget.
      if (!(e instanceof BudgetExceeded) && !(e instanceof RangeError && /call stack/i.test(e.message))) throw e;
      budgetExceeded = true;
      return undefined;
    }
  };
  guard(() => ip.exec(stmts, ip.globals));
  yield;
  const usedInside = (name: string, own: Span): boolean =>
    calls(name).some((i) => !(i >= own.start && i < own.end) && defSpans.some((s) => i >= s.start && i < s.end));
  const found: Root[] = [];
  const focus = options.focus;
  let callers = 0;
  let leftOut = false;
  for (const s of stmts) {
    if (budgetExceeded) break;
    if (wanted && !wanted.has(s)) continue;
    const build = guard(() => candidate(ip, s, source, usedInside));
    if (!build) continue;
    const inFocus = !focus || (s.span.start <= focus.end && s.span.end >= focus.start);
    if (!inFocus && options.maxCallers !== undefined && callers >= options.maxCallers) {
      leftOut = true;
      continue;
    }
    const before = ip.steps;
    const r = guard(build);
    if (r) {
      pushAll(found, r);
      if (!inFocus) callers += r.length;
    }
    if (ip.steps !== before) yield;
  }
  // A class instantiated only inside functions that give no model (a training script's
  // `model = Net().to(device)` in main()) is analysed where it is defined.
  const held = classesIn(found);
  const bases = new Set<UserClass>();
  for (const v of ip.globals.vars.values())
    if (v.type === 'class') for (const b of v.cls.bases) if (b.type === 'class') bases.add(b.cls);
  for (const s of stmts) {
    if (budgetExceeded) break;
    if (s.t !== 'class' || (wanted && !wanted.has(s))) continue;
    const c = ip.globals.vars.get(s.cls.name);
    if (c?.type !== 'class' || held.has(c.cls) || bases.has(c.cls)) continue;
    const build = classRoot(ip, s, source);
    const r = build && guard(build);
    if (r) pushAll(found, r);
    yield;
  }
  const roots = dropContained(found);
  const lines = source.split('\n');
  const comments = findInputShapeComments(source);
  const models: ModelReport[] = [];
  const events: ShapeEvent[] = [];
  for (const [index, root] of roots.entries()) {
    const chosen = chooseInput(root, comments, lines, options);
    // Nothing states the input: a Linear after a flatten may fix its size.
    const inferred =
      chosen.from === 'setting' || chosen.from === 'first-layer'
        ? guard(() => inferInput(ip, index, root.mod, chosen.input))
        : undefined;
    const input = inferred?.input ?? chosen.input;
    const from: InputSource = inferred ? 'inferred' : chosen.from;
    const prop = new Propagator(ip, index);
    const output = guard(() => prop.run(root.mod, input)) ?? null;
    if (from !== 'comment' && from !== 'override') guard(() => markAssumed(ip, index, root.mod, input, prop.events));
    pushAll(events, prop.events);
    const top = prop.events.find((e) => e.depth === -1);
    const report = {
      index,
      name: root.name,
      span: root.span,
      input,
      inputFrom: from,
      ...(inferred ? { inferredFrom: inferred.from } : {}),
      output,
      params: top?.params ?? null,
    };
    // The module tree links back to interpreter objects (cycles): kept off JSON, so an analysis stays plain data.
    models.push(Object.defineProperty(report, 'mod', { value: root.mod, enumerable: false }) as ModelReport);
    yield;
  }
  const all = collectDiagnostics(ip, events, roots);
  const diagnostics = options.notebook ? all.filter((d) => !undefinedInNotebook(d)) : all;
  if (budgetExceeded) {
    const span = { start: 0, end: 0, line: 0, col: 0, endLine: 0, endCol: 0 };
    diagnostics.push({ span, severity: 'info', id: 'budget', args: { steps: ip.limits.maxSteps } });
  }
  return {
    models,
    events,
    diagnostics,
    steps: ip.steps,
    budgetExceeded,
    ...(leftOut ? { partial: { models: models.length } } : {}),
  };
}

const isModValue = (v: Value | undefined): v is Value => v !== undefined && asMod(v) !== undefined;

/**
 * The models a top-level statement can give, as a thunk that builds them (calling what it
 * must), or undefined when it gives none: module-valued globals it assigns; a function never
 * called in the file that needs no arguments; an nn.Module class never instantiated.
 */
function candidate(
  ip: Interp,
  s: Stmt,
  source: string,
  usedInside: (name: string, own: Span) => boolean,
): (() => Root[]) | undefined {
  if (s.t === 'assign') {
    const roots: Root[] = [];
    const factories: [string, FuncValue][] = [];
    for (const t of s.targets) {
      if (t.t !== 'name') continue;
      const v = ip.globals.vars.get(t.id);
      const m = v && asMod(v);
      if (m) roots.push({ name: t.id, span: s.span, mod: m });
      // `make = lambda: vgg(arch)`: a factory never called in the file, found like a def.
      else if (v?.type === 'func' && v.def.name === '<lambda>' && !ip.called.has(v.def) && noArgs(v.def))
        factories.push([t.id, v]);
    }
    if (!roots.length && !factories.length) return undefined;
    return () => {
      for (const [name, fn] of factories) {
        const v = ip.callFunc(fn, [], [], { span: headerSpan(s.span, source), callee: name });
        if (isModValue(v)) roots.push({ name: `${name}()`, span: s.span, mod: asMod(v)! });
      }
      return roots;
    };
  }
  if (s.t === 'def') {
    const fn = ip.globals.vars.get(s.fn.name);
    if (fn?.type !== 'func' || fn.def !== s.fn || ip.called.has(s.fn) || !noArgs(s.fn) || usedInside(s.fn.name, s.span))
      return undefined;
    return () => {
      const site: Site = { span: headerSpan(s.span, source), callee: s.fn.name };
      const v = ip.callFunc(fn, [], [], site);
      return isModValue(v) ? [{ name: `${s.fn.name}()`, span: s.span, mod: asMod(v)! }] : [];
    };
  }
  if (s.t === 'class') {
    const c = ip.globals.vars.get(s.cls.name);
    if (c?.type !== 'class' || ip.called.has(c.cls) || usedInside(s.cls.name, s.span)) return undefined;
    return classRoot(ip, s, source);
  }
  return undefined;
}

/** An nn.Module class instantiated with no arguments, as a root; undefined when it needs some. */
function classRoot(ip: Interp, s: Extract<Stmt, { t: 'class' }>, source: string): (() => Root[]) | undefined {
  const c = ip.globals.vars.get(s.cls.name);
  if (c?.type !== 'class' || !ip.torchBase(c.cls)) return undefined;
  const init = ip.classAttr(c.cls, '__init__');
  if (init?.type === 'func' && !noArgs(init.def, 1)) return undefined;
  return () => {
    const site: Site = { span: headerSpan(s.span, source), callee: s.cls.name };
    const v = ip.invoke(c, [], [], site);
    return isModValue(v) ? [{ name: `${s.cls.name}()`, span: s.span, mod: asMod(v)! }] : [];
  };
}

/** Classes of the nn.Module instances the roots hold. */
function classesIn(roots: readonly Root[]): Set<UserClass> {
  const out = new Set<UserClass>();
  let budget = 1_000_000;
  for (const r of roots) {
    const seen = reachable(r.mod, budget);
    budget -= seen.size;
    for (const m of seen) if (m.kind === 'custom') out.add(m.obj.cls);
  }
  return out;
}

/** Where a name is called (offsets of `name(`), by text. */
type CallSites = (name: string) => readonly number[];

/** Every call site in one pass: cheapest when every function is a candidate model. */
function allCalls(source: string): CallSites {
  const calls = new Map<string, number[]>();
  const re = /\b([A-Za-z_]\w*)\s*\(/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const list = calls.get(m[1]);
    if (list) list.push(m.index);
    else calls.set(m[1], [m.index]);
  }
  return (name) => calls.get(name) ?? [];
}

/** Call sites of one name at a time (a focused analysis asks about a few names). */
function callsByName(source: string): CallSites {
  const memo = new Map<string, number[]>();
  return (name) => {
    let list = memo.get(name);
    if (!list) memo.set(name, (list = matchOffsets(source, name, '\\s*\\(')));
    return list;
  };
}

/** Offsets of whole-word `name` (an identifier) followed by `after` (a regex fragment). */
function matchOffsets(source: string, name: string, after = ''): number[] {
  if (!/^[A-Za-z_]\w*$/.test(name)) return [];
  const out: number[] = [];
  const re = new RegExp(`\\b${name}\\b${after}`, 'g');
  for (let m = re.exec(source); m; m = re.exec(source)) out.push(m.index);
  return out;
}

/**
 * What a focused analysis needs. `roots`: the top-level statements overlapping the range, then
 * (to a fixed point) those whose text names something they bind: the models that can show
 * something there. `needed`: those, every statement outside functions and classes (they run
 * at import), and the functions and classes these name, transitively. By name, not by
 * evaluation: it may take a few too many (a name in a string), never too few of the file's own.
 */
function planFocus(
  tops: readonly TopLevel[],
  converted: ReadonlyMap<TopLevel, readonly Stmt[]>,
  source: string,
  focus: { readonly start: number; readonly end: number },
): { roots: Set<TopLevel>; needed: Set<TopLevel> } {
  const topAt = (offset: number): TopLevel | undefined => {
    let lo = 0;
    let hi = tops.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = tops[mid].span;
      if (offset < s.start) hi = mid - 1;
      else if (offset >= s.end) lo = mid + 1;
      else return tops[mid];
    }
    return undefined;
  };
  const roots = new Set<TopLevel>();
  let frontier: string[] = [];
  const seenNames = new Set<string>();
  const imported = new Set<string>(Object.keys(IMPLICIT_NAMES));
  for (const ss of converted.values())
    for (const s of ss)
      if (s.t === 'import') for (const n of s.names) imported.add(n.alias ?? n.module.split('.')[0]);
      else if (s.t === 'importfrom') for (const n of s.names) imported.add(n.alias ?? n.name);
  const take = (t: TopLevel): void => {
    roots.add(t);
    const names = t.kind === 'other' ? changedNames(converted.get(t) ?? [], imported) : t.defines;
    for (const n of names) if (!seenNames.has(n)) frontier.push(n);
  };
  for (const t of tops) if (t.span.start <= focus.end && t.span.end >= focus.start) take(t);
  while (frontier.length) {
    // One pass over the text per wave, for all its names at once.
    const names = frontier.filter((n) => !seenNames.has(n) && /^[A-Za-z_]\w*$/.test(n));
    frontier = [];
    if (!names.length) break;
    for (const n of names) seenNames.add(n);
    const re = new RegExp(`\\b(?:${[...new Set(names)].join('|')})\\b`, 'g');
    for (let m = re.exec(source); m; m = re.exec(source)) {
      const t = topAt(m.index);
      if (t && !roots.has(t)) take(t);
    }
  }
  const byName = new Map<string, TopLevel[]>();
  for (const t of tops) if (t.kind !== 'other') for (const n of t.defines) byName.set(n, [...(byName.get(n) ?? []), t]);
  const needed = new Set<TopLevel>();
  const stack = [...roots, ...tops.filter((t) => t.kind === 'other')];
  while (stack.length) {
    const t = stack.pop()!;
    if (needed.has(t)) continue;
    needed.add(t);
    for (const n of new Set(source.slice(t.span.start, t.span.end).match(/[A-Za-z_]\w*/g)))
      for (const d of byName.get(n) ?? []) if (!needed.has(d)) stack.push(d);
  }
  return { roots, needed };
}

/** Namespaces that resolve without an import (see the interpreter): never changed by user code. */
const IMPLICIT_NAMES = { nn: 1, torch: 1, F: 1 };

/**
 * Names a statement outside functions may bind or change: assignment and loop targets, and
 * receivers of method calls or of attribute and item assignments (`layers.append(...)`,
 * `net.add_module(...)`, `cfg[0] = ...`); imported names aside (`nn.Conv2d(...)` changes nothing).
 */
function changedNames(stmts: readonly Stmt[], imported: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  const base = (e: Expr): string | undefined => {
    let x = e;
    for (let i = 0; i < 200 && (x.t === 'attr' || x.t === 'subscript' || x.t === 'call'); i++)
      x = x.t === 'call' ? x.fn : x.obj;
    return x.t === 'name' ? x.id : undefined;
  };
  const target = (e: Expr): void => {
    if (e.t === 'tuple' || e.t === 'list') e.items.forEach(target);
    else if (e.t === 'starred') target(e.value);
    else {
      const n = base(e);
      if (n) out.add(n);
    }
  };
  // A generic walk: statements and expressions are plain trees (function bodies are thunks, skipped).
  const walk = (v: unknown, depth: number): void => {
    if (depth > 200 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const node = v as { t?: string };
    if (node.t === 'assign') (v as Extract<Stmt, { t: 'assign' }>).targets.forEach(target);
    else if (node.t === 'augassign') target((v as Extract<Stmt, { t: 'augassign' }>).target);
    else if (node.t === 'for') target((v as Extract<Stmt, { t: 'for' }>).target);
    else if (node.t === 'call') {
      const fn = (v as Extract<Expr, { t: 'call' }>).fn;
      if (fn.t === 'attr') {
        const n = base(fn.obj);
        if (n && !imported.has(n)) out.add(n);
      }
    }
    for (const [k, x] of Object.entries(v)) if (k !== 'span') walk(x, depth + 1);
  };
  walk(stmts, 0);
  return [...out];
}

/** Top-level `name = lambda ...` statements: like defs, what they call is not a model of its own. */
function lambdaSpans(stmts: readonly Stmt[]): Span[] {
  return stmts.filter((s) => s.t === 'assign' && s.value.t === 'lambda').map((s) => s.span);
}

/** True when a function can be called with no arguments (after `skip` bound ones like self). */
function noArgs(def: FuncDef, skip = 0): boolean {
  return def.params.slice(skip).every((p) => p.default !== undefined || p.kind === 'varargs' || p.kind === 'kwargs');
}

function headerSpan(span: Span, source: string): Span {
  const nl = source.indexOf('\n', span.start);
  const end = nl < 0 || nl > span.end ? span.end : nl;
  return {
    start: span.start,
    end,
    line: span.line,
    col: span.col,
    endLine: span.line,
    endCol: span.col + (end - span.start),
  };
}

/**
 * Drop roots that are the same module as, or a part of, another root (the first of equal
 * ones stays). Indexed by module, so thousands of roots stay linear; the walk is bounded.
 */
function dropContained(roots: Root[]): Root[] {
  const reachedBy = new Map<Mod, number[]>();
  let budget = 1_000_000;
  roots.forEach((r, j) => {
    const seen = reachable(r.mod, budget);
    budget -= seen.size;
    for (const m of seen) {
      const list = reachedBy.get(m);
      if (list) list.push(j);
      else reachedBy.set(m, [j]);
    }
  });
  return roots.filter((r, i) => {
    const own = unwrap(r.mod);
    return !(reachedBy.get(own) ?? []).some((j) => j !== i && (j < i || unwrap(roots[j].mod) !== own));
  });
}

function unwrap(m: Mod): Mod {
  let x = m;
  for (let i = 0; x.kind === 'helper' && i < 100; i++) x = x.inner;
  return x;
}

function reachable(root: Mod, limit: number): Set<Mod> {
  const seen = new Set<Mod>();
  const stack = [root];
  while (stack.length && seen.size < Math.min(100_000, limit)) {
    const m = stack.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    if (m.kind === 'sequential' || m.kind === 'modulelist') pushAll(stack, m.children);
    else if (m.kind === 'helper') stack.push(m.inner);
    else if (m.kind === 'custom')
      for (const v of m.obj.attrs.values()) {
        const c = asMod(v);
        if (c) stack.push(c);
      }
  }
  return seen;
}

function chooseInput(
  root: Root,
  comments: ReturnType<typeof findInputShapeComments>,
  lines: readonly string[],
  options: AnalyseOptions,
): { input: Shape; from: InputSource } {
  const c = commentFor(comments, root.span.line, root.span.endLine, lines);
  if (c?.shape) return { input: c.shape, from: 'comment' };
  const given = options.input ?? DEFAULT_INPUT;
  if (options.inputSource === 'override') return { input: given, from: 'override' };
  const adapted = adaptToFirstLayer(root.mod, given);
  return adapted ? { input: adapted, from: 'first-layer' } : { input: given, from: 'setting' };
}

/** With only the setting to go by, take the channel count (or features) the first layer declares. */
function adaptToFirstLayer(mod: Mod, given: readonly number[]): number[] | undefined {
  const first = firstLayer(mod, 0);
  if (!first || first.kind !== 'layer') return undefined;
  const int = (name: string): number | undefined => {
    const v = first.args.get(name);
    return v?.type === 'int' ? v.v : undefined;
  };
  const spatial = given.slice(1);
  const sq = spatial.length ? spatial[spatial.length - 1] : given[0];
  switch (first.layer) {
    case 'Conv2d':
    case 'BatchNorm2d': {
      const c = int(first.layer === 'Conv2d' ? 'in_channels' : 'num_features');
      if (c === undefined) return undefined;
      const hw = spatial.length === 2 ? spatial : [sq, sq];
      return c === given[0] && given.length === 3 ? undefined : [c, hw[0], hw[1]];
    }
    case 'Conv1d': {
      const c = int('in_channels');
      return c === undefined ? undefined : [c, sq];
    }
    case 'Linear': {
      const f = int('in_features');
      return f === undefined || (given.length === 1 && given[0] === f) ? undefined : [f];
    }
    default:
      return undefined;
  }
}

function firstLayer(mod: Mod, depth: number): Mod | undefined {
  if (depth > 50) return undefined;
  switch (mod.kind) {
    case 'layer':
      return mod;
    case 'sequential':
      return mod.children[0] && firstLayer(mod.children[0], depth + 1);
    case 'helper':
      return firstLayer(mod.inner, depth + 1);
    case 'custom': {
      // The first module attribute set in __init__, the usual order of a forward().
      for (const v of mod.obj.attrs.values()) {
        const m = asMod(v);
        if (m) return firstLayer(m, depth + 1);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * With an input nobody stated, an error or warning proves nothing unless the model has it
 * whatever its input: run it again on an input of unknown shape, and mark the problems that
 * do not come back as assumed (hover only).
 */
function markAssumed(ip: Interp, index: number, mod: Mod, input: Shape, events: readonly ShapeEvent[]): void {
  const serious = (p: { severity: string }): boolean => p.severity !== 'info';
  if (!events.some((e) => e.problems.some(serious))) return;
  const check = new Propagator(ip, index);
  const notes = ip.notes.length;
  check.run(mod, null);
  ip.notes.length = notes;
  const key = (e: ShapeEvent, id: string): string => `${e.site.span.start}:${e.site.span.end}:${id}`;
  const proven = new Set(check.events.flatMap((e) => e.problems.filter(serious).map((p) => key(e, p.id))));
  const shown = formatShape(input);
  for (const e of events)
    e.problems = e.problems.map((p) =>
      !serious(p) || proven.has(key(e, p.id)) ? p : { ...p, severity: 'info', assumed: shown },
    );
}

/** A notice that only says a name is not defined in an earlier cell (see AnalyseOptions.notebook). */
function undefinedInNotebook(d: ShapeDiagnostic): boolean {
  return d.id === 'unresolved' && String(d.args.why).endsWith(UNDEFINED_IN_NOTEBOOK);
}

function collectDiagnostics(ip: Interp, events: readonly ShapeEvent[], roots: readonly Root[]): ShapeDiagnostic[] {
  const out: ShapeDiagnostic[] = [];
  const seen = new Set<string>();
  const push = (d: ShapeDiagnostic): void => {
    const key = `${d.span.start}|${d.id}|${JSON.stringify(d.args)}|${d.via?.line}`;
    if (seen.has(key) || out.length >= 500) return;
    seen.add(key);
    out.push(d);
  };
  for (const e of events) {
    for (const p of e.problems) {
      if (p.assumed) continue;
      const inner = e.site !== e.top && e.site.span.start !== e.top.span.start;
      push({
        span: e.top.span,
        severity: p.severity,
        id: p.id,
        args: p.args,
        via: inner ? { callee: e.site.callee, line: e.site.span.line + 1 } : undefined,
      });
    }
  }
  // Evaluator notes matter where models are built: inside a model's source or a function it used.
  const relevant: Span[] = roots.map((r) => r.span);
  for (const e of events) relevant.push(e.site.span);
  const near = (s: Span): boolean => relevant.some((r) => s.start >= r.start && s.end <= r.end);
  for (const n of ip.notes)
    if (n.severity === 'error' || near(n.span)) push({ span: n.span, severity: n.severity, id: n.id, args: n.args });
  return out.sort((a, b) => a.span.start - b.span.start);
}
