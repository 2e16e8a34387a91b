/** Binding call arguments to parameters exactly as Python does (and its TypeError texts). */
import { makeDict, type Value } from './values';

/** One parameter of a signature, with its default already evaluated. */
export interface SigParam {
  readonly name: string;
  readonly kind: 'normal' | 'posonly' | 'kwonly' | 'varargs' | 'kwargs';
  readonly default?: Value;
}

/** The bound arguments, or Python's complaint. */
export type BindResult =
  { readonly ok: true; readonly args: Map<string, Value> } | { readonly ok: false; readonly message: string };

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Bind positional and keyword arguments to `params`. */
export function bindArgs(
  params: readonly SigParam[],
  pos: readonly Value[],
  kw: readonly (readonly [string, Value])[],
): BindResult {
  const args = new Map<string, Value>();
  const positional = params.filter((p) => p.kind === 'normal' || p.kind === 'posonly');
  const varargs = params.find((p) => p.kind === 'varargs');
  const kwargs = params.find((p) => p.kind === 'kwargs');
  positional.slice(0, pos.length).forEach((p, i) => args.set(p.name, pos[i]));
  if (pos.length > positional.length) {
    if (!varargs)
      return { ok: false, message: `takes ${positional.length} positional arguments but ${pos.length} were given` };
    args.set(varargs.name, { type: 'tuple', items: pos.slice(positional.length) });
  } else if (varargs) args.set(varargs.name, { type: 'tuple', items: [] });
  const extra: [Value, Value][] = [];
  for (const [name, value] of kw) {
    const p = params.find((q) => q.name === name && (q.kind === 'normal' || q.kind === 'kwonly'));
    if (!p) {
      if (!kwargs) return { ok: false, message: `got an unexpected keyword argument '${name}'` };
      extra.push([{ type: 'str', v: name }, value]);
      continue;
    }
    if (args.has(name)) return { ok: false, message: `got multiple values for argument '${name}'` };
    args.set(name, value);
  }
  if (kwargs) args.set(kwargs.name, makeDict(extra) ?? { type: 'unknown', why: 'keyword arguments' });
  const missing = params.filter(
    (p) => p.kind !== 'varargs' && p.kind !== 'kwargs' && !args.has(p.name) && p.default === undefined,
  );
  if (missing.length) {
    const kind = missing.every((p) => p.kind === 'kwonly') ? 'keyword-only' : 'positional';
    const names = missing.map((p) => `'${p.name}'`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    return { ok: false, message: `missing ${plural(missing.length, `required ${kind} argument`)}: ${list}` };
  }
  for (const p of params) if (!args.has(p.name) && p.default !== undefined) args.set(p.name, p.default);
  return { ok: true, args };
}
