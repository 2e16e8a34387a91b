/**
 * The one validation mechanism for everything that crosses a boundary (a worker, a thread, a
 * webview, a JSON-lines log). A message's checks are a `Checks<T>`: one narrowing check per
 * field of T, so a field added to an interface without a check, or checked as another type,
 * does not compile. Objects are exact: an own key the checks do not name (JSON.parse's own
 * `__proto__` included) is rejected, and a union's `type` must be an own key of its table, so
 * `constructor`, `toString` or `__proto__` are unknown types, not Object.prototype's members.
 */

/** A runtime check that narrows: it returns true only when `v` is a T. */
export type Check<T> = (v: unknown) => v is T;

/**
 * One check per field of T; an optional field's check sees `undefined` when it is absent. A T
 * without fields (a bare `{ type: 'stop' }` once the type is taken out) takes no checks at all.
 */
export type Checks<T> = [keyof T] extends [never] ? { readonly [key: string]: never } : { readonly [K in keyof T]-?: Check<T[K]> };

/** For a union U discriminated on `type`: per type name, the checks of that variant's other fields. */
export type UnionChecks<U extends { readonly type: string }> = {
  readonly [K in U['type']]: Checks<Omit<Extract<U, { readonly type: K }>, 'type'>>;
};

/** The outcome of validating an unknown value. */
export type Validated<T> = { ok: true; value: T } | { ok: false; error: string };

type Rec = Record<string, unknown>;
type AnyChecks = Readonly<Record<string, (v: unknown) => boolean>>;

/** A plain object (not null, not an array). */
export const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A finite number. */
export const isNum: Check<number> = (v): v is number => typeof v === 'number' && Number.isFinite(v);
/** A string. */
export const isStr: Check<string> = (v): v is string => typeof v === 'string';
/** A boolean. */
export const isBool: Check<boolean> = (v): v is boolean => typeof v === 'boolean';
/** A safe integer >= min. */
export const int =
  (min = 0): Check<number> =>
  (v): v is number =>
    Number.isSafeInteger(v) && (v as number) >= min;
/** `check`, and then `test` on the narrowed value (a range, a pattern, a length). */
export const where =
  <T>(check: Check<T>, test: (v: T) => boolean): Check<T> =>
  (v): v is T =>
    check(v) && test(v);
/** One of these strings. */
export const oneOf =
  <T extends string>(list: readonly T[]): Check<T> =>
  (v): v is T =>
    typeof v === 'string' && (list as readonly string[]).includes(v);
/** Absent (undefined), or passing `check`. */
export const optional =
  <T>(check: Check<T>): Check<T | undefined> =>
  (v): v is T | undefined =>
    v === undefined || check(v);
/** An array of min..max elements, each passing `check`. */
export const arrayOf =
  <T>(check: Check<T>, min = 0, max = Infinity): Check<readonly T[]> =>
  (v): v is readonly T[] =>
    Array.isArray(v) && v.length >= min && v.length <= max && v.every((x) => check(x));
/** An object used as a map: every own value passes `check`. */
export const recordOf =
  <T>(check: Check<T>): Check<Readonly<Record<string, T>>> =>
  (v): v is Readonly<Record<string, T>> =>
    isRec(v) && Object.values(v).every((x) => check(x));
/** An instance of `ctor` (the typed arrays a thread transfers). */
export const instanceOf =
  <T>(ctor: abstract new (...args: never[]) => T): Check<T> =>
  (v): v is T =>
    v instanceof ctor;

/** A short JSON preview of a bad value for an error message (never throws: BigInt, cycles). */
function preview(v: unknown): string {
  try {
    return String(JSON.stringify(v)).slice(0, 80);
  } catch {
    return typeof v;
  }
}

function fields<T>(v: unknown, what: string, checks: AnyChecks, discriminant?: string): Validated<T> {
  if (!isRec(v)) return { ok: false, error: `${what}: not an object` };
  for (const key of Object.keys(v)) {
    if (key !== discriminant && !Object.hasOwn(checks, key))
      return { ok: false, error: `${what}: unexpected field "${key.slice(0, 40)}"` };
  }
  for (const [key, check] of Object.entries(checks)) {
    const value = Object.hasOwn(v, key) ? v[key] : undefined;
    if (!check(value)) return { ok: false, error: `${what}: bad or missing field "${key}" (${preview(value)})` };
  }
  return { ok: true, value: v as T };
}

/** A validator for an object with exactly T's fields; `what` names it in errors. */
export function object<T>(what: string, checks: Checks<T>): (v: unknown) => Validated<T> {
  return (v) => fields<T>(v, what, checks as AnyChecks);
}

/** A nested object with exactly T's fields, as a field check. */
export function shape<T>(what: string, checks: Checks<T>): Check<T> {
  const validate = object(what, checks);
  return (v): v is T => validate(v).ok;
}

/**
 * For a type owned outside the protocol (the diagram, the network spec) that a message carries:
 * checks the fields named, lets others through. Use only where the sender is this extension's own code.
 */
export function partly<T>(checks: { readonly [K in keyof T]?: Check<T[K]> }): Check<T> {
  return (v): v is T =>
    isRec(v) &&
    Object.entries(checks).every(([k, c]) => (c as (x: unknown) => boolean)(Object.hasOwn(v, k) ? v[k] : undefined));
}

/** A validator for the union U: `type` picks the variant in `table`, whose fields are then checked exactly. */
export function union<U extends { readonly type: string }>(
  what: string,
  table: UnionChecks<U>,
): (v: unknown) => Validated<U> {
  return (v) => {
    const type = isRec(v) && Object.hasOwn(v, 'type') ? v.type : undefined;
    if (typeof type !== 'string' || !Object.hasOwn(table, type)) {
      return { ok: false, error: `unknown ${what} type ${preview(isRec(v) ? type : v)}` };
    }
    return fields<U>(v, `"${type.slice(0, 40)}" ${what}`, table[type as U['type']] as AnyChecks, 'type');
  };
}

/** A validator's answer as a field check. */
export const valid =
  <T>(validate: (v: unknown) => Validated<T>): Check<T> =>
  (v): v is T =>
    validate(v).ok;

/** The value, or an Error saying `context: what is wrong` (for callers that throw). */
export function orThrow<T>(r: Validated<T>, context: string): T {
  if (r.ok) return r.value;
  throw new Error(`${context}: ${r.error}`);
}
