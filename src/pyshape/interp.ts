/**
 * A small abstract interpreter over the Python AST: literals, names, int arithmetic,
 * containers, user functions (bound like Python binds them), classes, for-loops over known
 * iterables, and torch.nn constructors (as data). It never runs user code; whatever it
 * cannot know becomes `unknown` and evaluation carries on. Work is bounded by a step budget
 * and a call-depth limit.
 */
import type { Arg, Expr, FuncDef, Span, Stmt } from './ast';
import { bindArgs, type SigParam } from './bind';
import type { MessageArgs, MessageId } from './messages';
import { nativeCall } from './natives';
import {
  asInt,
  asMod,
  asNumber,
  dictKey,
  int,
  iterItems,
  makeDict,
  MAX_ITEMS,
  NONE,
  pushAll,
  Scope,
  truthy,
  unknown,
  type FuncValue,
  type Mod,
  type ObjectValue,
  type Site,
  type UserClass,
  type Value,
} from './values';

/** Something the analyser could not resolve or found wrong outside a model's shapes. */
export interface Note {
  readonly span: Span;
  readonly id: MessageId;
  readonly args: MessageArgs;
  readonly severity: 'error' | 'warning' | 'info';
}

/** Thrown when the step budget runs out; caught by the analyser. */
export class BudgetExceeded extends Error {}

type Flow =
  | { readonly kind: 'normal' }
  | { readonly kind: 'return'; readonly value: Value }
  | { readonly kind: 'break' }
  | { readonly kind: 'continue' };
const NORMAL: Flow = { kind: 'normal' };

/** Hooks for what happens when code applies a module or op to a tensor (forward passes). */
export interface TensorHooks {
  /** Apply a module to the arguments of a call at `call`. */
  applyModule(mod: Mod, args: readonly Value[], call: Span): Value;
  /** A torch function, functional op or tensor method; undefined when not a tensor op. */
  op(
    name: string,
    self: Value | undefined,
    pos: readonly Value[],
    kw: readonly (readonly [string, Value])[],
    call: Span,
    callee: string,
  ): Value | undefined;
}

/** Limits on the work done for one file. */
export interface InterpLimits {
  readonly maxSteps: number;
  readonly maxCallDepth: number;
  readonly maxLoopIterations: number;
}

/** Deepest nesting of expression evaluation (across calls) before giving up on a value. */
const MAX_NESTING = 200;

/** Names that resolve even without an import (snippets such as the article's code). */
const IMPLICIT: Record<string, string> = { nn: 'torch.nn', torch: 'torch', F: 'torch.nn.functional' };
const NAMESPACES = new Set([
  'torch',
  'torch.nn',
  'torch.nn.functional',
  'torch.nn.modules',
  'math',
  'collections',
  'torch.nn.init',
  'typing',
  'functools',
  'itertools',
  'numpy',
]);
const BUILTINS = new Set([
  'range',
  'len',
  'int',
  'float',
  'bool',
  'str',
  'list',
  'tuple',
  'dict',
  'min',
  'max',
  'abs',
  'sum',
  'enumerate',
  'zip',
  'reversed',
  'sorted',
  'round',
  'print',
  'isinstance',
  'super',
  'getattr',
  'setattr',
  'hasattr',
  'any',
  'all',
  'map',
  'divmod',
  'pow',
  'type',
]);

/** Canonical names for natives: `nn.Conv2d`, `F.relu`, `torch.flatten`, `math.floor`, `builtins.len`. */
export function canonical(path: string): string {
  const parts = path.split('.');
  const last = parts[parts.length - 1];
  if (path.startsWith('torch.nn.functional.')) return `F.${last}`;
  if (path.startsWith('torch.nn.')) return `nn.${last}`;
  if (path === 'collections.OrderedDict') return 'OrderedDict';
  return path;
}

/** How an undefined name's unknown value reads in a file, and in a notebook (never a diagnostic there). */
export const UNDEFINED_IN_FILE = 'is not defined in this file';
export const UNDEFINED_IN_NOTEBOOK = 'is not defined in an earlier cell';

/** The evaluator for one file. */
export class Interp {
  steps = 0;
  readonly notes: Note[] = [];
  /** Functions and classes called at least once (so not analysed again as roots). */
  readonly called = new Set<FuncDef | UserClass>();
  /** Set while propagating shapes through a model; null during discovery. */
  hooks: TensorHooks | null = null;
  private depth = 0;
  private nesting = 0;
  readonly globals = new Scope();
  /** Why an undefined name is unknown: in a notebook it may come from a cell run out of order. */
  undefinedWhy = UNDEFINED_IN_FILE;

  constructor(
    readonly source: string,
    readonly limits: InterpLimits,
  ) {}

  private tick(): void {
    if (++this.steps > this.limits.maxSteps) throw new BudgetExceeded();
  }

  /**
   * Count work proportional to what one operation builds (`[0] * 10000`, range(), extend),
   * so that a loop building big values runs out of budget as fast as a long one.
   */
  charge(items: number): void {
    this.steps = Math.min(this.steps + Math.max(0, items), this.limits.maxSteps + 1);
    if (this.steps > this.limits.maxSteps) throw new BudgetExceeded();
  }

  note(span: Span, id: MessageId, args: MessageArgs, severity: Note['severity'] = 'info'): void {
    if (this.notes.length < 200) this.notes.push({ span, id, args, severity });
  }

  /** Source text of a span. */
  text(span: Span): string {
    return this.source.slice(span.start, span.end);
  }

  // ---- statements ----

  /** Execute statements; returns how control left them. */
  exec(stmts: readonly Stmt[], scope: Scope): Flow {
    for (const s of stmts) {
      const f = this.stmt(s, scope);
      if (f.kind !== 'normal') return f;
    }
    return NORMAL;
  }

  private stmt(s: Stmt, scope: Scope): Flow {
    this.tick();
    switch (s.t) {
      case 'expr':
        this.eval(s.e, scope);
        return NORMAL;
      case 'assign': {
        const v = this.eval(s.value, scope);
        for (const t of s.targets) this.assign(t, v, scope);
        return NORMAL;
      }
      case 'augassign': {
        const cur = this.eval(s.target, scope);
        const v = this.eval(s.value, scope);
        // `list += iterable` extends in place, like Python.
        if (cur.type === 'list' && s.op === '+') {
          const items = iterItems(v);
          if (items && cur.items.length + items.length <= MAX_ITEMS) {
            this.charge(items.length);
            pushAll(cur.items, items);
          } else
            this.assign(
              s.target,
              unknown(items ? 'a list too long to follow' : 'extended with values not known'),
              scope,
            );
          return NORMAL;
        }
        this.assign(s.target, this.binop(s.op, cur, v, s.span), scope);
        return NORMAL;
      }
      case 'return':
        return { kind: 'return', value: s.value ? this.eval(s.value, scope) : NONE };
      case 'if': {
        for (const b of s.branches) {
          const c = truthy(this.eval(b.test, scope));
          if (c === undefined) {
            this.note(b.test.span, 'unresolved', { what: 'if', why: 'the condition is not known statically' });
            return NORMAL;
          }
          if (c) return this.exec(b.body, scope);
        }
        return this.exec(s.orelse, scope);
      }
      case 'for':
        return this.forLoop(s, scope);
      case 'while': {
        for (let i = 0; i < this.limits.maxLoopIterations; i++) {
          const c = truthy(this.eval(s.test, scope));
          if (c === undefined) {
            this.note(s.test.span, 'unresolved', { what: 'while', why: 'the condition is not known statically' });
            return NORMAL;
          }
          if (!c) return NORMAL;
          const f = this.exec(s.body, scope);
          if (f.kind === 'break') return NORMAL;
          if (f.kind === 'return') return f;
        }
        return NORMAL;
      }
      case 'def':
        scope.vars.set(s.fn.name, this.makeFunc(s.fn, scope));
        return NORMAL;
      case 'class':
        scope.vars.set(s.cls.name, this.makeClass(s.cls, scope));
        return NORMAL;
      case 'import':
        for (const n of s.names) {
          if (n.alias) scope.vars.set(n.alias, this.moduleValue(n.module));
          else {
            const top = n.module.split('.')[0];
            scope.vars.set(top, this.moduleValue(top));
          }
        }
        return NORMAL;
      case 'importfrom':
        for (const n of s.names) {
          if (n.name === '*') {
            if (s.module === 'torch.nn' || s.module === 'torch') this.starImport(s.module, scope);
            continue;
          }
          scope.vars.set(n.alias ?? n.name, this.moduleValue(`${s.module}.${n.name}`));
        }
        return NORMAL;
      case 'block':
        return this.exec(s.body, scope);
      case 'break':
        return { kind: 'break' };
      case 'continue':
        return { kind: 'continue' };
      default:
        return NORMAL;
    }
  }

  private starImport(module: string, scope: Scope): void {
    if (module === 'torch.nn') {
      // Bind lazily through a marker: names not found fall back to torch.nn.
      scope.vars.set('__star_nn__', { type: 'ns', path: 'torch.nn' });
    }
  }

  private moduleValue(path: string): Value {
    if (NAMESPACES.has(path)) return { type: 'ns', path };
    const parent = path.slice(0, path.lastIndexOf('.'));
    if (path.startsWith('torch') || NAMESPACES.has(parent)) return { type: 'native', name: canonical(path) };
    return unknown(`${path} is imported from outside this file`);
  }

  private forLoop(s: Extract<Stmt, { t: 'for' }>, scope: Scope): Flow {
    const it = this.eval(s.iter, scope);
    const items = iterItems(it);
    if (!items) {
      this.note(s.iter.span, 'unresolved', { what: 'for', why: 'the loop runs over values not known statically' });
      return NORMAL;
    }
    const list = items.slice(0, this.limits.maxLoopIterations);
    for (const item of list) {
      this.assign(s.target, item, scope);
      const f = this.exec(s.body, scope);
      if (f.kind === 'break') return NORMAL;
      if (f.kind === 'return') return f;
    }
    return this.exec(s.orelse, scope);
  }

  /** Bind a value to an assignment target (names, attributes, items, unpacking). */
  assign(target: Expr, v: Value, scope: Scope): void {
    switch (target.t) {
      case 'name':
        scope.vars.set(target.id, v);
        return;
      case 'tuple':
      case 'list': {
        const items = iterItems(v);
        const star = target.items.findIndex((t) => t.t === 'starred');
        target.items.forEach((t, i) => {
          if (!items)
            return this.assign(t.t === 'starred' ? t.value : t, unknown('unpacked from an unknown value'), scope);
          if (star < 0) return this.assign(t, items[i] ?? unknown('too few values to unpack'), scope);
          if (i < star) return this.assign(t, items[i] ?? unknown('too few values'), scope);
          if (i === star && t.t === 'starred')
            return this.assign(
              t.value,
              { type: 'list', items: items.slice(star, items.length - (target.items.length - star - 1)) },
              scope,
            );
          return this.assign(t, items[items.length - (target.items.length - i)] ?? unknown('too few values'), scope);
        });
        return;
      }
      case 'attr': {
        const obj = this.eval(target.obj, scope);
        if (obj.type === 'object') {
          obj.attrs.set(target.name, v);
          const m = asMod(v);
          if (m && obj.mod?.kind === 'sequential' && !obj.mod.children.includes(m)) obj.mod.children.push(m);
        }
        return;
      }
      case 'subscript': {
        const obj = this.eval(target.obj, scope);
        const idx = this.eval(target.index, scope);
        if (obj.type === 'list') {
          const i = asInt(idx);
          if (i !== undefined && obj.items[i < 0 ? i + obj.items.length : i] !== undefined)
            obj.items[i < 0 ? i + obj.items.length : i] = v;
        } else if (obj.type === 'dict') {
          const k = dictKey(idx);
          if (k !== undefined) {
            obj.map.set(k, v);
            obj.keys.set(k, idx);
          }
        }
        return;
      }
      default:
        return;
    }
  }

  private makeFunc(def: FuncDef, scope: Scope, owner?: UserClass): FuncValue {
    const defaults = new Map<string, Value>();
    for (const p of def.params) if (p.default) defaults.set(p.name, this.eval(p.default, scope));
    return { type: 'func', def, defaults, closure: scope, owner };
  }

  private makeClass(
    def: { name: string; span: Span; bases: readonly Expr[]; body: readonly Stmt[] },
    scope: Scope,
  ): Value {
    const bases = def.bases.map((b) => this.eval(b, scope));
    const cls: UserClass = { name: def.name, span: def.span, bases, attrs: new Map(), body: def.body };
    const classScope = new Scope(scope);
    for (const s of def.body) {
      if (s.t === 'def') cls.attrs.set(s.fn.name, this.makeFunc(s.fn, scope, cls));
      else if (s.t === 'assign' || s.t === 'expr' || s.t === 'if') {
        this.stmt(s, classScope);
        for (const [k, v] of classScope.vars) cls.attrs.set(k, v);
      }
    }
    return { type: 'class', cls };
  }

  // ---- classes and objects ----

  /** The torch.nn base a class derives from ('Module', 'Sequential', ...), if any. */
  torchBase(cls: UserClass, seen = 0): string | undefined {
    if (seen > 20) return undefined;
    for (const b of cls.bases) {
      if (b.type === 'native' && b.name.startsWith('nn.')) return b.name.slice(3);
      if (b.type === 'class') {
        const r = this.torchBase(b.cls, seen + 1);
        if (r) return r;
      }
    }
    return undefined;
  }

  /** Look an attribute up through a class and its bases (depth-first, as simple MROs are). */
  classAttr(cls: UserClass, name: string, after?: UserClass, seen = 0): Value | undefined {
    if (seen > 20) return undefined;
    if (!after) {
      const v = cls.attrs.get(name);
      if (v !== undefined) return v;
    }
    for (const b of cls.bases) {
      if (b.type !== 'class') continue;
      if (after && b.cls !== after && after !== cls) {
        const r = this.classAttr(b.cls, name, after, seen + 1);
        if (r !== undefined) return r;
        continue;
      }
      const r = this.classAttr(b.cls, name, undefined, seen + 1);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  private instantiate(cls: UserClass, pos: Value[], kw: [string, Value][], site: Site): Value {
    this.called.add(cls);
    const obj: ObjectValue = { type: 'object', cls, attrs: new Map() };
    const base = this.torchBase(cls);
    if (base === 'Sequential' || base === 'ModuleList')
      obj.mod = { kind: base === 'Sequential' ? 'sequential' : 'modulelist', children: [], site };
    else if (base) obj.mod = { kind: 'custom', obj, site };
    const init = this.classAttr(cls, '__init__');
    if (init?.type === 'func') this.callFunc(init, [obj, ...pos], kw, site, true);
    else if (obj.mod?.kind === 'sequential' || obj.mod?.kind === 'modulelist')
      this.fillContainer(obj.mod.children, pos, site.span);
    return obj;
  }

  private fillContainer(children: Mod[], pos: readonly Value[], span: Span): void {
    for (const v of pos) {
      const m = asMod(v);
      if (m) children.push(m);
      else if (v.type === 'dict') for (const x of v.map.values()) this.pushMod(children, x, span);
      else if (v.type === 'list' || v.type === 'tuple') for (const x of v.items) this.pushMod(children, x, span);
      else if (v.type === 'unknown') children.push(this.opaque(v.why, v.at?.span ?? span));
    }
  }

  private pushMod(children: Mod[], v: Value, span: Span): void {
    const pair = v.type === 'tuple' && v.items.length === 2 ? v.items[1] : v;
    const m = asMod(pair);
    children.push(m ?? this.opaque(pair.type === 'unknown' ? pair.why : `a ${pair.type} is not a module`, span));
  }

  /** A module the analyser cannot see into. */
  opaque(why: string, span: Span, name = this.text(span).split('(')[0].trim()): Mod {
    return { kind: 'opaque', name, why, site: { span, callee: name } };
  }

  // ---- calls ----

  /** Call a user function with Python's argument binding; module results are tagged with the call site. */
  callFunc(fn: FuncValue, pos: Value[], kw: readonly (readonly [string, Value])[], site: Site, isInit = false): Value {
    this.called.add(fn.def);
    if (this.depth >= this.limits.maxCallDepth) {
      this.note(site.span, 'unresolved', {
        what: `${fn.def.name}()`,
        why: `calls nest deeper than ${this.limits.maxCallDepth}`,
      });
      return unknown('recursion too deep');
    }
    const params: SigParam[] = fn.def.params.map((p) => ({
      name: p.name,
      kind: p.kind,
      default: fn.defaults.get(p.name),
    }));
    const bound = bindArgs(params, pos, kw);
    if (!bound.ok) {
      this.note(site.span, 'callError', { callee: fn.def.name, detail: bound.message }, 'error');
      return unknown(`${fn.def.name}() ${bound.message}`);
    }
    const scope = new Scope(fn.closure);
    for (const [k, v] of bound.args) scope.vars.set(k, v);
    if (fn.owner) scope.vars.set('__class__', { type: 'class', cls: fn.owner });
    this.depth++;
    let flow: Flow;
    try {
      flow = this.exec(fn.def.body(), scope);
    } finally {
      this.depth--;
    }
    const result = flow.kind === 'return' ? flow.value : NONE;
    if (isInit) return result;
    const mod = asMod(result);
    // A helper that builds a module: hovers and diagnostics point at its call.
    if (mod && fn.def.name !== 'forward')
      return { type: 'mod', mod: { kind: 'helper', name: fn.def.name, inner: mod, site } };
    return result;
  }

  /** Evaluate call arguments, expanding `*` and `**`; null when a splat is unknown. */
  private evalArgs(args: readonly Arg[], scope: Scope): { pos: Value[]; kw: [string, Value][] } | { why: string } {
    const pos: Value[] = [];
    const kw: [string, Value][] = [];
    for (const a of args) {
      const v = this.eval(a.value, scope);
      if (a.kind === 'pos') pos.push(v);
      else if (a.kind === 'kw') kw.push([a.name, v]);
      else if (a.kind === 'star') {
        const items = iterItems(v);
        if (!items) return { why: `*${this.text(a.value.span)} is not known statically` };
        this.charge(items.length);
        pushAll(pos, items);
      } else {
        if (v.type !== 'dict') return { why: `**${this.text(a.value.span)} is not known statically` };
        for (const [k, val] of v.map) {
          if (!k.startsWith('s:')) return { why: 'keyword names must be strings' };
          kw.push([k.slice(2), val]);
        }
      }
    }
    return { pos, kw };
  }

  private call(e: Extract<Expr, { t: 'call' }>, scope: Scope): Value {
    const callee = this.text(e.fn.span);
    const site: Site = { span: e.span, callee };
    if (e.fn.t === 'name' && e.fn.id === 'super' && e.args.length === 0) {
      const cls = scope.lookup('__class__');
      const self = scope.lookup('self');
      return cls?.type === 'class' && self
        ? { type: 'super', self, from: cls.cls }
        : unknown('super() outside a method');
    }
    const fn = this.eval(e.fn, scope);
    const args = this.evalArgs(e.args, scope);
    if ('why' in args) {
      if (fn.type === 'native' && (fn.name === 'nn.Sequential' || fn.name === 'nn.ModuleList')) {
        this.note(e.span, 'unresolved', { what: callee, why: args.why });
        return { type: 'mod', mod: this.opaque(args.why, e.span, callee) };
      }
      return unknown(args.why);
    }
    return this.invoke(fn, args.pos, args.kw, site);
  }

  /** Call any callable value. */
  invoke(fn: Value, pos: Value[], kw: [string, Value][], site: Site): Value {
    this.tick();
    switch (fn.type) {
      case 'func':
        return this.callFunc(fn, pos, kw, site);
      case 'bound':
        return this.callFunc(fn.fn, [fn.self, ...pos], kw, site);
      case 'class':
        return this.instantiate(fn.cls, pos, kw, site);
      case 'native':
        return this.native(fn.name, fn.self, pos, kw, site);
      case 'mod':
      case 'object': {
        const m = asMod(fn);
        if (m && this.hooks) return this.hooks.applyModule(m, pos, site.span);
        if (m) return { type: 'tensor', shape: null };
        return unknown(`${site.callee} is not callable`);
      }
      case 'unknown':
        return { type: 'unknown', why: fn.why, at: site };
      default:
        return unknown(`${site.callee} is not known statically`);
    }
  }

  private native(name: string, self: Value | undefined, pos: Value[], kw: [string, Value][], site: Site): Value {
    // Imported lazily to keep the module graph acyclic at load time.
    return nativeCall(this, name, self, pos, kw, site);
  }

  // ---- expressions ----

  /** Evaluate an expression. */
  eval(e: Expr, scope: Scope): Value {
    this.tick();
    // Expressions nest within calls that nest: bound the product, not only each factor, so
    // the JS stack never overflows (each level costs a few frames).
    if (this.nesting >= MAX_NESTING) {
      this.note(e.span, 'unresolved', {
        what: this.text(e.span).slice(0, 40),
        why: 'expressions and calls nest too deeply',
      });
      return unknown('nested too deeply');
    }
    this.nesting++;
    try {
      return this.evalExpr(e, scope);
    } finally {
      this.nesting--;
    }
  }

  private evalExpr(e: Expr, scope: Scope): Value {
    switch (e.t) {
      case 'int':
        return int(e.v);
      case 'float':
        return { type: 'float', v: e.v };
      case 'str':
        return { type: 'str', v: e.v };
      case 'bool':
        return { type: 'bool', v: e.v };
      case 'none':
        return NONE;
      case 'name':
        return this.lookup(e.id, scope);
      case 'tuple':
      case 'list': {
        const items: Value[] = [];
        for (const i of e.items) {
          if (i.t === 'starred') {
            const inner = iterItems(this.eval(i.value, scope));
            if (!inner) return unknown('unpacks a value not known statically');
            if (items.length + inner.length > MAX_ITEMS) return unknown('a list too long to follow');
            this.charge(inner.length);
            pushAll(items, inner);
          } else items.push(this.eval(i, scope));
        }
        return e.t === 'tuple' ? { type: 'tuple', items } : { type: 'list', items };
      }
      case 'dict': {
        const pairs: [Value, Value][] = e.pairs.map(([k, v]) => [this.eval(k, scope), this.eval(v, scope)]);
        for (const s of e.splats) {
          const d = this.eval(s, scope);
          if (d.type !== 'dict') return unknown('** of an unknown dict');
          for (const [k, v] of d.map) pairs.push([d.keys.get(k)!, v]);
        }
        return makeDict(pairs) ?? unknown('dict keys not known statically');
      }
      case 'attr':
        return this.attr(this.eval(e.obj, scope), e.name);
      case 'call':
        return this.call(e, scope);
      case 'bin':
        return this.binop(e.op, this.eval(e.l, scope), this.eval(e.r, scope), e.span);
      case 'unary': {
        const x = this.eval(e.x, scope);
        const n = asNumber(x);
        if (x.type === 'tensor') return x;
        if (n === undefined) return unknown('operand not known');
        if (e.op === '-') return x.type === 'float' ? { type: 'float', v: -n } : int(-n);
        if (e.op === '+') return x.type === 'float' ? x : int(n);
        if (e.op === '~') return int(~n);
        return unknown(e.op);
      }
      case 'boolop': {
        const l = this.eval(e.l, scope);
        const t = truthy(l);
        if (t === undefined) return unknown('condition not known');
        if (e.op === 'and') return t ? this.eval(e.r, scope) : l;
        return t ? l : this.eval(e.r, scope);
      }
      case 'not': {
        const t = truthy(this.eval(e.x, scope));
        return t === undefined ? unknown('condition not known') : { type: 'bool', v: !t };
      }
      case 'cmp':
        return this.compare(e.ops, e.operands, scope);
      case 'cond': {
        const t = truthy(this.eval(e.test, scope));
        if (t === undefined) return unknown('condition not known');
        return this.eval(t ? e.body : e.orelse, scope);
      }
      case 'subscript':
        return this.subscript(this.eval(e.obj, scope), e.index, scope);
      case 'comp':
        return this.comprehension(e, scope);
      case 'starred':
        return unknown('starred expression');
      case 'slice':
        return unknown('slice');
      case 'unsupported':
        return unknown(e.what);
      case 'lambda':
        return this.makeFunc(e.fn, scope);
    }
  }

  private lookup(id: string, scope: Scope): Value {
    const v = scope.lookup(id) ?? this.globals.lookup(id);
    if (v !== undefined) return v;
    if (id in IMPLICIT) return { type: 'ns', path: IMPLICIT[id] };
    if (BUILTINS.has(id)) return { type: 'native', name: `builtins.${id}` };
    if (id === '__name__') return unknown('__name__');
    const star = scope.lookup('__star_nn__') ?? this.globals.lookup('__star_nn__');
    if (star) return this.attr(star, id);
    return unknown(`${id} ${this.undefinedWhy}`);
  }

  /** Attribute access on any value. */
  attr(obj: Value, name: string): Value {
    switch (obj.type) {
      case 'ns': {
        const path = `${obj.path}.${name}`;
        return NAMESPACES.has(path) ? { type: 'ns', path } : { type: 'native', name: canonical(path) };
      }
      case 'object': {
        const own = obj.attrs.get(name);
        if (own !== undefined) return own;
        const c = this.classAttr(obj.cls, name);
        if (c?.type === 'func') return { type: 'bound', self: obj, fn: c };
        if (c !== undefined) return c;
        if (obj.mod) return { type: 'native', name: `mod.${name}`, self: obj };
        return unknown(`${obj.cls.name}.${name} is not known`);
      }
      case 'class': {
        const c = this.classAttr(obj.cls, name);
        return c ?? unknown(`${obj.cls.name}.${name} is not known`);
      }
      case 'super': {
        const cls = obj.self.type === 'object' ? obj.self.cls : undefined;
        const c = cls ? this.superAttr(obj.from, name) : undefined;
        if (c?.type === 'func') return { type: 'bound', self: obj.self, fn: c };
        return { type: 'native', name: `super.${name}`, self: obj.self };
      }
      case 'mod': {
        if (obj.mod.kind === 'layer') {
          const a = obj.mod.args.get(name);
          if (a !== undefined) return a;
        }
        if (obj.mod.kind === 'helper') {
          const inner = this.attr({ type: 'mod', mod: obj.mod.inner }, name);
          if (inner.type !== 'native' || !inner.name.startsWith('mod.')) return inner;
        }
        return { type: 'native', name: `mod.${name}`, self: obj };
      }
      case 'tensor':
        if (name === 'shape')
          return {
            type: 'tuple',
            items: [{ type: 'batch' }, ...(obj.shape ?? []).map((d) => (d === null ? unknown('size') : int(d)))],
          };
        if (name === 'ndim') return obj.shape ? int(obj.shape.length + 1) : unknown('rank');
        return { type: 'native', name: `tensor.${name}`, self: obj };
      case 'list':
      case 'dict':
      case 'str':
      case 'tuple':
        return { type: 'native', name: `${obj.type}.${name}`, self: obj };
      case 'unknown':
        return obj;
      default:
        return unknown(`.${name} of a ${obj.type}`);
    }
  }

  private superAttr(from: UserClass, name: string): Value | undefined {
    for (const b of from.bases) {
      if (b.type !== 'class') continue;
      const r = b.cls.attrs.get(name) ?? this.classAttr(b.cls, name);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  private compare(ops: readonly string[], operands: readonly Expr[], scope: Scope): Value {
    let left = this.eval(operands[0], scope);
    for (let i = 0; i < ops.length; i++) {
      const right = this.eval(operands[i + 1], scope);
      const r = compareValues(ops[i], left, right);
      if (r === undefined) return unknown('comparison not known');
      if (!r) return { type: 'bool', v: false };
      left = right;
    }
    return { type: 'bool', v: true };
  }

  private subscript(obj: Value, index: Expr, scope: Scope): Value {
    if (index.t === 'slice') {
      const part = (x?: Expr): number | undefined | null => (x ? (asInt(this.eval(x, scope)) ?? null) : undefined);
      const [lo, hi, step] = [part(index.lo), part(index.hi), part(index.step)];
      if (lo === null || hi === null || step === null) return unknown('slice bounds not known');
      const seq =
        obj.type === 'list' || obj.type === 'tuple'
          ? obj.items
          : obj.type === 'mod' && obj.mod.kind === 'sequential'
            ? obj.mod.children
            : undefined;
      if (!seq)
        return obj.type === 'str' ? { type: 'str', v: obj.v.slice(lo, hi) } : unknown('slice of a value not known');
      const sliced = pySlice(seq as readonly unknown[], lo, hi, step);
      if (obj.type === 'mod')
        return { type: 'mod', mod: { kind: 'sequential', children: sliced as Mod[], site: obj.mod.site } };
      return obj.type === 'list'
        ? { type: 'list', items: sliced as Value[] }
        : { type: 'tuple', items: sliced as Value[] };
    }
    const idx = this.eval(index, scope);
    if (obj.type === 'dict') {
      const k = dictKey(idx);
      return (k !== undefined ? obj.map.get(k) : undefined) ?? unknown('key not known');
    }
    const i = asInt(idx);
    const seq = obj.type === 'list' || obj.type === 'tuple' ? obj.items : undefined;
    if (seq && i !== undefined) return seq[i < 0 ? i + seq.length : i] ?? unknown('index out of range');
    const m = asMod(obj);
    if (m && (m.kind === 'sequential' || m.kind === 'modulelist') && i !== undefined) {
      const c = m.children[i < 0 ? i + m.children.length : i];
      return c ? { type: 'mod', mod: c } : unknown('index out of range');
    }
    if (obj.type === 'tensor' && this.hooks)
      return this.hooks.op('tensor.__getitem__', obj, [idx], [], index.span, '[]') ?? { type: 'tensor', shape: null };
    return unknown('subscript not known');
  }

  private comprehension(e: Extract<Expr, { t: 'comp' }>, scope: Scope): Value {
    const inner = new Scope(scope);
    const out: Value[] = [];
    const run = (i: number): boolean => {
      if (i === e.clauses.length) {
        out.push(this.eval(e.elt, inner));
        return true;
      }
      const c = e.clauses[i];
      if (c.kind === 'if') {
        const t = truthy(this.eval(c.test, inner));
        if (t === undefined) return false;
        return t ? run(i + 1) : true;
      }
      const items = iterItems(this.eval(c.iter, inner));
      if (!items) return false;
      for (const it of items.slice(0, this.limits.maxLoopIterations)) {
        this.assign(c.target, it, inner);
        if (!run(i + 1)) return false;
      }
      return true;
    };
    if (!run(0)) return unknown('comprehension over values not known statically');
    return e.kind === 'gen' ? { type: 'tuple', items: out } : { type: 'list', items: out };
  }

  /** Binary operators on known values; tensors keep their shape (broadcast checks in hooks). */
  binop(op: string, l: Value, r: Value, span: Span): Value {
    if ((l.type === 'tensor' || r.type === 'tensor') && this.hooks)
      return this.hooks.op(`binop${op}`, undefined, [l, r], [], span, op) ?? { type: 'tensor', shape: null };
    if (l.type === 'tensor') return l;
    if (r.type === 'tensor') return r;
    const a = asNumber(l);
    const b = asNumber(r);
    if (a !== undefined && b !== undefined) {
      const isInt = l.type !== 'float' && r.type !== 'float';
      const num = (v: number): Value => (isInt && Number.isInteger(v) ? int(v) : { type: 'float', v });
      switch (op) {
        case '+':
          return num(a + b);
        case '-':
          return num(a - b);
        case '*':
          return num(a * b);
        case '/':
          return b === 0 ? unknown('division by zero') : { type: 'float', v: a / b };
        case '//':
          return b === 0 ? unknown('division by zero') : num(Math.floor(a / b));
        case '%':
          return b === 0 ? unknown('division by zero') : num(((a % b) + b) % b);
        case '**':
          return isInt && b >= 0 ? int(a ** b) : { type: 'float', v: a ** b };
        case '<<':
          return int(a << b);
        case '>>':
          return int(a >> b);
        case '&':
          return int(a & b);
        case '|':
          return int(a | b);
        case '^':
          return int(a ^ b);
      }
    }
    if (op === '+') {
      const size =
        (l.type === 'str' && r.type === 'str' ? l.v.length + r.v.length : 0) +
        ((l.type === 'list' && r.type === 'list') || (l.type === 'tuple' && r.type === 'tuple')
          ? l.items.length + r.items.length
          : 0);
      if (size > MAX_ITEMS) return unknown('a value too long to follow');
      this.charge(size);
      if (l.type === 'str' && r.type === 'str') return { type: 'str', v: l.v + r.v };
      if (l.type === 'list' && r.type === 'list') return { type: 'list', items: [...l.items, ...r.items] };
      if (l.type === 'tuple' && r.type === 'tuple') return { type: 'tuple', items: [...l.items, ...r.items] };
    }
    if (op === '*') {
      const [seq, n] = l.type === 'list' || l.type === 'tuple' || l.type === 'str' ? [l, asInt(r)] : [r, asInt(l)];
      if (n !== undefined && (seq.type === 'list' || seq.type === 'tuple' || seq.type === 'str')) {
        const times = Math.max(0, n);
        const size = times * (seq.type === 'str' ? seq.v.length : seq.items.length);
        if (size > MAX_ITEMS) return unknown('a value too long to follow');
        this.charge(size);
        if (seq.type === 'str') return { type: 'str', v: seq.v.repeat(times) };
        const items: Value[] = [];
        for (let i = 0; i < times; i++) pushAll(items, seq.items);
        return seq.type === 'list' ? { type: 'list', items } : { type: 'tuple', items };
      }
    }
    return unknown(`${op} of values not known statically`);
  }
}

function pySlice<T>(seq: readonly T[], lo: number | undefined, hi: number | undefined, step: number | undefined): T[] {
  const n = seq.length;
  const s = step ?? 1;
  if (s === 0) return [];
  const norm = (v: number | undefined, def: number): number =>
    v === undefined ? def : v < 0 ? Math.max(v + n, s < 0 ? -1 : 0) : Math.min(v, s < 0 ? n - 1 : n);
  const out: T[] = [];
  if (s > 0) for (let i = norm(lo, 0); i < norm(hi, n); i += s) out.push(seq[i]);
  else for (let i = norm(lo, n - 1); i > norm(hi, -1); i += s) out.push(seq[i]);
  return out;
}

/** Python comparison of known values; undefined when it cannot be known. */
export function compareValues(op: string, l: Value, r: Value): boolean | undefined {
  if (op === 'is' || op === 'is not') {
    if (l.type === 'unknown' || r.type === 'unknown') return undefined;
    const same =
      (l.type === 'none' && r.type === 'none') || l === r || (l.type === 'bool' && r.type === 'bool' && l.v === r.v);
    return op === 'is' ? same : !same;
  }
  if (op === 'in' || op === 'not in') {
    const items = iterItems(r);
    if (!items) return undefined;
    const found = items.some((i) => compareValues('==', l, i) === true);
    return op === 'in' ? found : !found;
  }
  const a = asNumber(l);
  const b = asNumber(r);
  if (a !== undefined && b !== undefined) {
    switch (op) {
      case '==':
        return a === b;
      case '!=':
        return a !== b;
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      case '>=':
        return a >= b;
    }
  }
  if (l.type === 'str' && r.type === 'str') {
    if (op === '==') return l.v === r.v;
    if (op === '!=') return l.v !== r.v;
  }
  if (l.type === 'none' || r.type === 'none') {
    if (l.type === 'unknown' || r.type === 'unknown') return undefined;
    if (op === '==') return l.type === r.type;
    if (op === '!=') return l.type !== r.type;
  }
  return undefined;
}
