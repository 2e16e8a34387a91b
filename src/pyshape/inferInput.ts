/**
 * The input a model admits when nothing in the file states it: the channels come from the
 * first layer (analyse.ts); the height and width from the first `Linear` (or `view`) whose
 * feature count a flatten fixes. The flattened count grows with the input's size, so a
 * binary search over square sizes finds the one that fits, if any.
 */
import { Propagator, type ShapeEvent } from './forward';
import type { Interp } from './interp';
import type { Mod, Shape } from './values';

/** Where an inferred input came from. */
export interface InferredInput {
  readonly input: Shape;
  /** The layer that fixes it, as written in forward() (`fc1`), else its constructor. */
  readonly from: string;
}

const LARGEST = 4096;

/** How the features reaching the first fixed-size layer compare with what it expects. */
type Fit =
  | { readonly kind: 'fits' }
  | { readonly kind: 'features'; readonly at: ShapeEvent; readonly diff: number }
  | { readonly kind: 'collapse' };

/**
 * The square input [C, S, S] with which the model's first feature mismatch disappears, when
 * `assumed` (C x H x W, the setting's size) has one; undefined when none does.
 */
export function inferInput(ip: Interp, index: number, mod: Mod, assumed: Shape): InferredInput | undefined {
  if (assumed.length !== 3 || assumed[0] === null) return undefined;
  const c = assumed[0];
  const fit = (size: number): Fit => {
    const notes = ip.notes.length;
    const p = new Propagator(ip, index);
    p.run(mod, [c, size, size]);
    ip.notes.length = notes;
    return fitOf(p.events);
  };
  const first = fit(assumed[1] ?? 224);
  if (first.kind !== 'features') return undefined;
  const site = first.at.site.span.start;
  // Smallest size whose features are at least those expected (sizes too small collapse first).
  const atLeast = (size: number): boolean => {
    const f = fit(size);
    return f.kind === 'fits' || (f.kind === 'features' && (f.at.site.span.start !== site || f.diff > 0));
  };
  let lo = 1;
  let hi = LARGEST;
  if (!atLeast(hi)) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (atLeast(mid)) hi = mid;
    else lo = mid + 1;
  }
  const found = fit(lo);
  if (found.kind !== 'fits' && !(found.kind === 'features' && found.at.site.span.start !== site)) return undefined;
  return { input: [c, lo, lo], from: nameOf(ip, first.at) };
}

function fitOf(events: readonly ShapeEvent[]): Fit {
  for (const e of events)
    for (const p of e.problems) {
      if (p.severity === 'info') continue;
      if (p.id === 'linearIn')
        return { kind: 'features', at: e, diff: Number(p.args.actual) - Number(p.args.expected) };
      if (p.id === 'view') {
        const want = viewFeatures(String(p.args.target));
        if (want === undefined) return { kind: 'collapse' };
        return { kind: 'features', at: e, diff: Number(p.args.numel) - want };
      }
      return { kind: 'collapse' };
    }
  return { kind: 'fits' };
}

/** The per-sample size a `view`/`reshape` target asks for: `(N, 320)` -> 320. */
function viewFeatures(target: string): number | undefined {
  const dims = target
    .replace(/^\(|\)$/g, '')
    .split(',')
    .slice(1)
    .map((d) => Number(d.trim()));
  if (!dims.length || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) return undefined;
  return dims.reduce((a, b) => a * b, 1);
}

/** `fc1` for `self.fc1(x)`; `x.view` for an op; else the constructor and its line. */
function nameOf(ip: Interp, e: ShapeEvent): string {
  const call = e.use ? ip.text(e.use) : e.kind === 'op' ? e.site.callee : '';
  const callee = call
    .split('(')[0]
    .trim()
    .replace(/^self\./, '');
  return callee || `${e.site.callee} (line ${e.site.span.line + 1})`;
}
