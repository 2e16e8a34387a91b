/**
 * Calls the evaluator answers itself: Python builtins, list/dict methods, torch.nn
 * constructors (layers and containers, as data), module methods, and, while shapes are
 * propagated, tensor operations (delegated to the forward hooks).
 */
import type { Span } from './ast';
import { bindArgs } from './bind';
import type { Interp } from './interp';
import { isLayer, layerSignature } from './layers';
import {
  asInt,
  asMod,
  asNumber,
  iterItems,
  makeDict,
  MAX_ITEMS,
  NONE,
  pushAll,
  truthy,
  unknown,
  int,
  type Mod,
  type Site,
  type Value,
} from './values';

type Kw = [string, Value][];

/** Dispatch a call to a native by canonical name. */
export function nativeCall(ip: Interp, name: string, self: Value | undefined, pos: Value[], kw: Kw, site: Site): Value {
  const dot = name.indexOf('.');
  const group = dot < 0 ? name : name.slice(0, dot);
  const member = dot < 0 ? '' : name.slice(dot + 1);
  switch (group) {
    case 'builtins':
      return builtin(ip, member, pos, kw, site);
    case 'nn':
      return nnCall(ip, member, pos, kw, site);
    case 'OrderedDict':
    case 'builtins.dict':
      return dictOf(pos, kw);
    case 'list':
      return listMethod(ip, member, self, pos);
    case 'dict':
      return dictMethod(member, self, pos);
    case 'mod':
      return modMethod(ip, member, self, pos, site);
    case 'super':
      return superCall(ip, member, self, pos, site);
    case 'math':
      return mathCall(member, pos);
    default: {
      if (group === 'tensor' || group === 'F' || group === 'torch') {
        if (ip.hooks) {
          const r = ip.hooks.op(name, self, pos, kw, site.span, site.callee);
          if (r) return r;
        }
        if (self?.type === 'tensor' || pos.some((p) => p.type === 'tensor')) return { type: 'tensor', shape: null };
        if (name === 'torch.Size') return pos[0] ?? { type: 'tuple', items: [] };
      }
      return unknown(`${site.callee} is not modelled`);
    }
  }
}

function builtin(ip: Interp, f: string, pos: Value[], kw: Kw, site: Site): Value {
  const [a, b] = pos;
  const nums = pos.map(asNumber);
  switch (f) {
    case 'range': {
      const ints = pos.map(asInt);
      if (ints.some((i) => i === undefined) || ints.length === 0) return unknown('range() bounds not known statically');
      const [start, stop, step] = ints.length === 1 ? [0, ints[0]!, 1] : [ints[0]!, ints[1]!, ints[2] ?? 1];
      if (step === 0) return unknown('range() step is 0');
      const n = Math.max(0, Math.ceil((stop - start) / step));
      if (n > ip.limits.maxLoopIterations) return unknown(`range() of ${n} items is too long to unroll`);
      ip.charge(n);
      return { type: 'list', items: Array.from({ length: n }, (_, i) => int(start + i * step)) };
    }
    case 'len': {
      const items = a && iterItems(a);
      return items ? int(items.length) : unknown('len() of a value not known');
    }
    case 'int':
      return nums[0] !== undefined
        ? int(Math.trunc(nums[0]))
        : a?.type === 'str' && /^\s*-?\d+\s*$/.test(a.v)
          ? int(Number(a.v))
          : unknown('int() of a value not known');
    case 'float':
      return nums[0] !== undefined ? { type: 'float', v: nums[0] } : unknown('float()');
    case 'bool': {
      const t = a ? truthy(a) : false;
      return t === undefined ? unknown('bool()') : { type: 'bool', v: t };
    }
    case 'abs':
      return nums[0] !== undefined
        ? a.type === 'float'
          ? { type: 'float', v: Math.abs(nums[0]) }
          : int(Math.abs(nums[0]))
        : unknown('abs()');
    case 'round':
      return nums[0] !== undefined && pos.length === 1 ? int(Math.round(nums[0])) : unknown('round()');
    case 'min':
    case 'max':
    case 'sum': {
      const items = pos.length === 1 ? iterItems(a) : pos;
      const ns = items?.map(asNumber);
      if (!ns || ns.some((n) => n === undefined) || (f !== 'sum' && ns.length === 0))
        return unknown(`${f}() of values not known`);
      const vals = ns as number[];
      const isFloat = items!.some((i) => i.type === 'float');
      const r =
        f === 'sum'
          ? vals.reduce((x, y) => x + y, asNumber(b ?? int(0)) ?? 0)
          : f === 'min'
            ? Math.min(...vals)
            : Math.max(...vals);
      return isFloat ? { type: 'float', v: r } : int(r);
    }
    case 'list':
    case 'tuple':
    case 'sorted':
    case 'reversed': {
      const items = a ? iterItems(a) : [];
      if (!items) return unknown(`${f}() of a value not known`);
      let out = [...items];
      if (f === 'reversed') out.reverse();
      if (f === 'sorted') {
        const ns = out.map(asNumber);
        if (ns.some((n) => n === undefined)) return unknown('sorted()');
        out = out
          .map((v, i) => [v, ns[i]!] as const)
          .sort((x, y) => x[1] - y[1])
          .map((x) => x[0]);
      }
      return f === 'tuple' ? { type: 'tuple', items: out } : { type: 'list', items: out };
    }
    case 'dict':
      return dictOf(pos, kw);
    case 'enumerate': {
      const items = a && iterItems(a);
      const start = asInt(b ?? int(0)) ?? 0;
      if (items) ip.charge(items.length);
      return items
        ? { type: 'list', items: items.map((v, i) => ({ type: 'tuple', items: [int(i + start), v] })) }
        : unknown('enumerate() of a value not known');
    }
    case 'zip': {
      const lists = pos.map(iterItems);
      if (lists.some((l) => !l)) return unknown('zip() of values not known');
      const n = lists.length ? Math.min(...lists.map((l) => l!.length)) : 0;
      ip.charge(n);
      return {
        type: 'list',
        items: Array.from({ length: n }, (_, i) => ({ type: 'tuple', items: lists.map((l) => l![i]) })),
      };
    }
    case 'any':
    case 'all': {
      const items = a && iterItems(a);
      const ts = items?.map(truthy);
      if (!ts || ts.some((t) => t === undefined)) return unknown(`${f}()`);
      return { type: 'bool', v: f === 'any' ? ts.some(Boolean) : ts.every(Boolean) };
    }
    case 'divmod':
      return nums[0] !== undefined && nums[1]
        ? { type: 'tuple', items: [int(Math.floor(nums[0] / nums[1])), int(((nums[0] % nums[1]) + nums[1]) % nums[1])] }
        : unknown('divmod()');
    case 'pow':
      return nums[0] !== undefined && nums[1] !== undefined ? ip.binop('**', a, b, site.span) : unknown('pow()');
    case 'map':
      return mapCall(ip, pos, site);
    case 'getattr': {
      if (b?.type !== 'str') return unknown('getattr() with a name not known');
      const v = ip.attr(a, b.v);
      return v.type === 'unknown' && pos[2] ? pos[2] : v;
    }
    case 'print':
    case 'setattr':
      return NONE;
    default:
      return unknown(`${f}() is not modelled`);
  }
}

function mapCall(ip: Interp, pos: Value[], site: Site): Value {
  const [fn, ...its] = pos;
  const lists = its.map(iterItems);
  if (!fn || lists.some((l) => !l)) return unknown('map() of values not known');
  const n = lists.length ? Math.min(...lists.map((l) => l!.length)) : 0;
  ip.charge(n);
  return {
    type: 'list',
    items: Array.from({ length: n }, (_, i) =>
      ip.invoke(
        fn,
        lists.map((l) => l![i]),
        [],
        site,
      ),
    ),
  };
}

function dictOf(pos: Value[], kw: Kw): Value {
  const entries: [Value, Value][] = [];
  if (pos[0]) {
    if (pos[0].type === 'dict') for (const [k, v] of pos[0].map) entries.push([pos[0].keys.get(k)!, v]);
    else {
      const items = iterItems(pos[0]);
      if (!items) return unknown('dict of values not known');
      for (const it of items) {
        const pair = iterItems(it);
        if (!pair || pair.length !== 2) return unknown('dict items must be pairs');
        entries.push([pair[0], pair[1]]);
      }
    }
  }
  for (const [k, v] of kw) entries.push([{ type: 'str', v: k }, v]);
  return makeDict(entries) ?? unknown('dict keys not known');
}

function listMethod(ip: Interp, m: string, self: Value | undefined, pos: Value[]): Value {
  if (self?.type === 'tuple') {
    if (m === 'index' || m === 'count') return unknown(`tuple.${m}`);
    return unknown(`tuple.${m}`);
  }
  if (self?.type !== 'list') return unknown(`list.${m}`);
  switch (m) {
    case 'append':
      self.items.push(pos[0] ?? NONE);
      return NONE;
    case 'extend': {
      const items = pos[0] && iterItems(pos[0]);
      if (items && self.items.length + items.length <= MAX_ITEMS) {
        ip.charge(items.length);
        pushAll(self.items, items);
      } else self.items.push(unknown(items ? 'a list too long to follow' : 'extended with values not known'));
      return NONE;
    }
    case 'insert': {
      const i = asInt(pos[0] ?? NONE);
      if (i !== undefined && pos[1]) self.items.splice(i < 0 ? i + self.items.length : i, 0, pos[1]);
      return NONE;
    }
    case 'pop': {
      const i = pos[0] ? asInt(pos[0]) : -1;
      if (i === undefined || self.items.length === 0) return unknown('pop()');
      return self.items.splice(i < 0 ? i + self.items.length : i, 1)[0] ?? unknown('pop()');
    }
    case 'copy':
      return { type: 'list', items: [...self.items] };
    case 'reverse':
      self.items.reverse();
      return NONE;
    case 'clear':
      self.items.length = 0;
      return NONE;
    default:
      return unknown(`list.${m}`);
  }
}

function dictMethod(m: string, self: Value | undefined, pos: Value[]): Value {
  if (self?.type !== 'dict') return unknown(`dict.${m}`);
  switch (m) {
    case 'items':
      return { type: 'list', items: [...self.map].map(([k, v]) => ({ type: 'tuple', items: [self.keys.get(k)!, v] })) };
    case 'keys':
      return { type: 'list', items: [...self.keys.values()] };
    case 'values':
      return { type: 'list', items: [...self.map.values()] };
    case 'get': {
      const k =
        pos[0] &&
        (pos[0].type === 'str' ? `s:${pos[0].v}` : asInt(pos[0]) !== undefined ? `i:${asInt(pos[0])}` : undefined);
      return (k !== undefined ? self.map.get(k) : undefined) ?? pos[1] ?? NONE;
    }
    case 'update':
      if (pos[0]?.type === 'dict')
        for (const [k, v] of pos[0].map) {
          self.map.set(k, v);
          self.keys.set(k, pos[0].keys.get(k)!);
        }
      return NONE;
    default:
      return unknown(`dict.${m}`);
  }
}

function mathCall(m: string, pos: Value[]): Value {
  const ns = pos.map(asNumber);
  if (ns.some((n) => n === undefined)) return unknown(`math.${m}`);
  const x = ns[0]!;
  switch (m) {
    case 'floor':
      return int(Math.floor(x));
    case 'ceil':
      return int(Math.ceil(x));
    case 'sqrt':
      return { type: 'float', v: Math.sqrt(x) };
    case 'prod':
      return unknown('math.prod');
    case 'log2':
      return { type: 'float', v: Math.log2(x) };
    default:
      return unknown(`math.${m}`);
  }
}

/** torch.nn constructors: modelled layers, containers, and an opaque module for the rest. */
function nnCall(ip: Interp, cls: string, pos: Value[], kw: Kw, site: Site): Value {
  if (cls === 'Sequential' || cls === 'ModuleList') {
    const children: Mod[] = [];
    fill(
      ip,
      children,
      cls === 'ModuleList'
        ? (iterItems(pos[0] ?? { type: 'list', items: [] }) ?? [unknown('ModuleList of values not known')])
        : pos,
      site.span,
    );
    return { type: 'mod', mod: { kind: cls === 'Sequential' ? 'sequential' : 'modulelist', children, site } };
  }
  if (isLayer(cls)) {
    const b = bindArgs(layerSignature(cls), pos, kw);
    if (!b.ok) {
      ip.note(site.span, 'callError', { callee: site.callee, detail: b.message }, 'error');
      return { type: 'mod', mod: { kind: 'opaque', name: cls, why: b.message, site } };
    }
    return { type: 'mod', mod: { kind: 'layer', layer: cls, args: b.args, site } };
  }
  if (cls.startsWith('init.') || cls === 'Parameter') return unknown(`nn.${cls}`);
  if (/^[A-Z]/.test(cls))
    return { type: 'mod', mod: { kind: 'opaque', name: `nn.${cls}`, why: `nn.${cls} is not modelled`, site } };
  return unknown(`nn.${cls} is not modelled`);
}

function fill(ip: Interp, children: Mod[], values: readonly Value[], span: Span): void {
  for (const v of values) {
    const m = asMod(v);
    if (m) {
      children.push(m);
      continue;
    }
    if (v.type === 'dict') {
      for (const x of v.map.values()) fill(ip, children, [x], span);
      continue;
    }
    children.push(
      ip.opaque(
        v.type === 'unknown' ? v.why : `a ${v.type} is not a module`,
        (v.type === 'unknown' && v.at?.span) || span,
      ),
    );
  }
}

/** Methods of modules: container building, and chaining calls that return the module. */
function modMethod(ip: Interp, m: string, self: Value | undefined, pos: Value[], site: Site): Value {
  const mod = self && asMod(self);
  if (!mod || !self) return unknown(`.${m}()`);
  const container = mod.kind === 'helper' ? mod.inner : mod;
  const children = container.kind === 'sequential' || container.kind === 'modulelist' ? container.children : undefined;
  switch (m) {
    case 'append':
      if (children && pos[0]) fill(ip, children, [pos[0]], site.span);
      return self;
    case 'extend':
      if (children && pos[0])
        fill(ip, children, iterItems(pos[0]) ?? [unknown('extended with values not known')], site.span);
      return self;
    case 'insert': {
      const i = asInt(pos[0] ?? NONE);
      const c = pos[1] && asMod(pos[1]);
      if (children && i !== undefined && c) children.splice(i < 0 ? i + children.length : i, 0, c);
      return NONE;
    }
    case 'add_module':
    case 'register_module': {
      const c = pos[1];
      if (self.type === 'object' && pos[0]?.type === 'str' && c) self.attrs.set(pos[0].v, c);
      if (children && c) fill(ip, children, [c], site.span);
      return NONE;
    }
    case 'children':
    case 'modules':
      if (children) return { type: 'list', items: children.map((c) => ({ type: 'mod', mod: c })) };
      if (self.type === 'object') return { type: 'list', items: [...self.attrs.values()].filter((v) => asMod(v)) };
      return unknown('children()');
    case 'to':
    case 'cuda':
    case 'cpu':
    case 'eval':
    case 'train':
    case 'float':
    case 'double':
    case 'half':
    case 'requires_grad_':
      return self;
    case 'apply':
    case 'register_buffer':
    case 'register_parameter':
    case 'zero_grad':
      return NONE;
    case '__init__':
      return NONE;
    default:
      return unknown(`.${m}() is not modelled`);
  }
}

/** `super().__init__(...)` for torch bases: Sequential/ModuleList subclasses take their children here. */
function superCall(ip: Interp, m: string, self: Value | undefined, pos: Value[], site: Site): Value {
  if (m !== '__init__' || self?.type !== 'object') return NONE;
  const mod = self.mod;
  if (mod && (mod.kind === 'sequential' || mod.kind === 'modulelist')) {
    fill(ip, mod.children, mod.kind === 'modulelist' ? (pos[0] ? (iterItems(pos[0]) ?? []) : []) : pos, site.span);
  }
  return NONE;
}
