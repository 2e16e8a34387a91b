/**
 * The abstract values the evaluator computes with: Python literals and containers, user
 * functions and classes, PyTorch modules as data (never real tensors), symbolic tensors
 * that only carry a shape, and `unknown` (with the reason) for whatever cannot be known.
 */
import type { FuncDef, Span, Stmt } from './ast';

/** One size; `null` when it cannot be known statically. */
export type Dim = number | null;
/** A tensor shape without the batch dimension, e.g. [C, H, W]. */
export type Shape = readonly Dim[];

/** A variable scope; functions see their defining scope through `parent`. */
export class Scope {
  readonly vars = new Map<string, Value>();
  constructor(readonly parent?: Scope) {}
  /** Look a name up here and in enclosing scopes. */
  lookup(name: string): Value | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
}

/** A user-defined function with its defaults evaluated where it was defined. */
export interface FuncValue {
  readonly type: 'func';
  readonly def: FuncDef;
  readonly defaults: ReadonlyMap<string, Value>;
  readonly closure: Scope;
  readonly owner?: UserClass;
}

/** A user-defined class. */
export interface UserClass {
  readonly name: string;
  readonly span: Span;
  readonly bases: readonly Value[];
  readonly attrs: Map<string, Value>;
  readonly body: readonly Stmt[];
}

/** An instance of a user class; a module when the class derives from nn.Module. */
export interface ObjectValue {
  readonly type: 'object';
  readonly cls: UserClass;
  readonly attrs: Map<string, Value>;
  /** Set for instances of nn.Module subclasses. */
  mod?: Mod;
}

/** Where a module or call came from in the source. */
export interface Site {
  readonly span: Span;
  /** The callee as written, e.g. `nn.Conv2d`, `nin_block`. */
  readonly callee: string;
}

/** A PyTorch module built by the code (as data). */
export type Mod =
  | { readonly kind: 'layer'; readonly layer: string; readonly args: ReadonlyMap<string, Value>; readonly site: Site }
  | { readonly kind: 'sequential'; readonly children: Mod[]; readonly site: Site }
  | { readonly kind: 'modulelist'; readonly children: Mod[]; readonly site: Site }
  | { readonly kind: 'helper'; readonly name: string; readonly inner: Mod; readonly site: Site }
  | { readonly kind: 'custom'; readonly obj: ObjectValue; readonly site: Site }
  | { readonly kind: 'opaque'; readonly name: string; readonly why: string; readonly site: Site };

/** Every value the evaluator knows. */
export type Value =
  | { readonly type: 'int'; readonly v: number }
  | { readonly type: 'float'; readonly v: number }
  | { readonly type: 'bool'; readonly v: boolean }
  | { readonly type: 'none' }
  | { readonly type: 'str'; readonly v: string }
  | { readonly type: 'tuple'; readonly items: readonly Value[] }
  | { readonly type: 'list'; readonly items: Value[] }
  | { readonly type: 'dict'; readonly map: Map<string, Value>; readonly keys: Map<string, Value> }
  | FuncValue
  | { readonly type: 'class'; readonly cls: UserClass }
  | ObjectValue
  | { readonly type: 'bound'; readonly self: Value; readonly fn: FuncValue }
  | { readonly type: 'ns'; readonly path: string }
  | { readonly type: 'native'; readonly name: string; readonly self?: Value }
  | { readonly type: 'mod'; readonly mod: Mod }
  | { readonly type: 'tensor'; readonly shape: Shape | null }
  | { readonly type: 'batch' }
  | { readonly type: 'super'; readonly self: Value; readonly from: UserClass }
  | { readonly type: 'unknown'; readonly why: string; readonly at?: Site };

export const NONE: Value = { type: 'none' };

/** The longest list, tuple or string the evaluator builds; longer ones become unknown. */
export const MAX_ITEMS = 100_000;

/** Append items one by one (spreading a huge array into push() overflows the stack). */
export function pushAll<T>(target: T[], items: readonly T[]): void {
  for (const x of items) target.push(x);
}
/** An int value. */
export const int = (v: number): Value => ({ type: 'int', v });
/** An unknown value with the reason. */
export const unknown = (why: string): Value => ({ type: 'unknown', why });

/** The int a value holds (bools count, as in Python), else undefined. */
export function asInt(v: Value): number | undefined {
  if (v.type === 'int') return v.v;
  if (v.type === 'bool') return v.v ? 1 : 0;
  return undefined;
}

/** A number (int, float or bool), else undefined. */
export function asNumber(v: Value): number | undefined {
  if (v.type === 'int' || v.type === 'float') return v.v;
  if (v.type === 'bool') return v.v ? 1 : 0;
  return undefined;
}

/** Python truthiness, or undefined when it cannot be known. */
export function truthy(v: Value): boolean | undefined {
  switch (v.type) {
    case 'int':
    case 'float':
      return v.v !== 0;
    case 'bool':
      return v.v;
    case 'none':
      return false;
    case 'str':
      return v.v.length > 0;
    case 'tuple':
    case 'list':
      return v.items.length > 0;
    case 'dict':
      return v.map.size > 0;
    case 'unknown':
    case 'tensor':
    case 'batch':
      return undefined;
    default:
      return true;
  }
}

/** Items of an iterable whose contents are known, else undefined. */
export function iterItems(v: Value): readonly Value[] | undefined {
  switch (v.type) {
    case 'tuple':
    case 'list':
      return v.items;
    case 'dict':
      return [...v.keys.values()];
    case 'str':
      return [...v.v].map((c) => ({ type: 'str', v: c }));
    case 'mod':
      if (v.mod.kind === 'sequential' || v.mod.kind === 'modulelist')
        return v.mod.children.map((m) => ({ type: 'mod', mod: m }));
      return undefined;
    default:
      return undefined;
  }
}

/** A dict key for str/int/bool/None keys, else undefined. */
export function dictKey(v: Value): string | undefined {
  if (v.type === 'str') return `s:${v.v}`;
  const n = asInt(v);
  if (n !== undefined) return `i:${n}`;
  if (v.type === 'none') return 'n:';
  return undefined;
}

/** A new dict from key/value pairs. */
export function makeDict(entries: readonly (readonly [Value, Value])[]): Value | undefined {
  const map = new Map<string, Value>();
  const keys = new Map<string, Value>();
  for (const [k, v] of entries) {
    const key = dictKey(k);
    if (key === undefined) return undefined;
    map.set(key, v);
    keys.set(key, k);
  }
  return { type: 'dict', map, keys };
}

/** The module a value holds (layer, container, or an nn.Module subclass instance). */
export function asMod(v: Value): Mod | undefined {
  if (v.type === 'mod') return v.mod;
  if (v.type === 'object') return v.mod;
  return undefined;
}

/** Short text for a value, for messages and hovers. */
export function show(v: Value, depth = 0): string {
  switch (v.type) {
    case 'int':
    case 'float':
      return String(v.v);
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'str':
      return JSON.stringify(v.v);
    case 'tuple':
      if (depth > 2) return '(...)';
      return v.items.length === 1
        ? `(${show(v.items[0], depth + 1)},)`
        : `(${v.items.map((i) => show(i, depth + 1)).join(', ')})`;
    case 'list':
      if (depth > 2) return '[...]';
      return `[${v.items
        .slice(0, 8)
        .map((i) => show(i, depth + 1))
        .join(', ')}${v.items.length > 8 ? ', ...' : ''}]`;
    case 'mod':
      return v.mod.site.callee;
    case 'unknown':
      return '?';
    default:
      return v.type;
  }
}

/** `96x54x54` text for a shape, `?` for unknown sizes. */
export function formatShape(s: Shape | null): string {
  if (!s) return '?';
  return s.length === 0 ? 'scalar' : s.map((d) => (d === null ? '?' : String(d))).join('x');
}

/** Product of sizes, or null when any is unknown. */
export function numel(s: Shape): number | null {
  let p = 1;
  for (const d of s) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}
