/**
 * Views of an analysis for its consumers: the CLI's annotations, the editor's hover
 * entries (all events at a position) and inlay hints (one label per line).
 */
import type { Analysis, ShapeDiagnostic } from './analyse';
import type { Span } from './ast';
import type { ShapeEvent } from './forward';
import { formatMessage, MESSAGES, type MessageArgs } from './messages';
import { formatShape, pushAll, type Shape } from './values';

/** One annotation of `nin annotate --json`. */
export interface Annotation {
  /** 1-based line where the call starts. */
  readonly line: number;
  readonly call: string;
  readonly input: Shape | null;
  readonly output: Shape | null;
  readonly params: number | null;
}

/**
 * The events `nin annotate` lists, in order: the layers and calls written in each model's own
 * expression (depth 0), except that an `nn.Sequential(...)` built inline and applied from a
 * forward() (`self.features = nn.Sequential(...)`, then `self.features(x)`) is listed as the
 * layers written inside it, one each, the way a top-level nn.Sequential is.
 */
export function annotatedEvents(a: Analysis): ShapeEvent[] {
  const out: ShapeEvent[] = [];
  const ev = a.events;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i];
    if (e.depth !== 0) continue;
    const children: ShapeEvent[] = [];
    if (e.kind === 'sequential' && e.use && /(^|\.)Sequential$/.test(e.site.callee))
      for (let j = i + 1; j < ev.length && ev[j].depth > 0 && ev[j].root === e.root; j++)
        if (ev[j].depth === 1) children.push(ev[j]);
    if (children.length) pushAll(out, children);
    else out.push(e);
  }
  return out;
}

/** One annotation per event of annotatedEvents(). */
export function annotations(a: Analysis): Annotation[] {
  return annotatedEvents(a).map((e) => ({
    line: e.site.span.line + 1,
    call: e.site.callee,
    input: e.input,
    output: e.output,
    params: e.params,
  }));
}

/** Format a diagnostic with `t` (identity for English; vscode.l10n.t in the extension). */
export function diagnosticText(
  d: ShapeDiagnostic,
  t: (template: string, args: MessageArgs) => string = (tpl, args) => formatMessageTemplate(tpl, args),
): string {
  const message = t(MESSAGES[d.id], d.args);
  return d.via ? t(MESSAGES.inner, { message, callee: d.via.callee, line: d.via.line }) : message;
}

function formatMessageTemplate(template: string, args: MessageArgs): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in args ? String(args[k]) : m));
}

/** English text of a diagnostic. */
export function diagnosticEnglish(d: ShapeDiagnostic): string {
  const message = formatMessage(d.id, d.args);
  return d.via ? formatMessage('inner', { message, callee: d.via.callee, line: d.via.line }) : message;
}

const contains = (s: Span, offset: number): boolean => offset >= s.start && offset < s.end;
const size = (s: Span): number => s.end - s.start;

/** Events of the innermost call containing `offset` (several when a helper ran more than once). */
export function eventsAt(a: Analysis, offset: number): ShapeEvent[] {
  let best: Span | undefined;
  for (const e of a.events) {
    for (const s of [e.site.span, e.use]) {
      if (s && contains(s, offset) && (!best || size(s) < size(best))) best = s;
    }
  }
  if (!best) return [];
  const b = best;
  return a.events.filter(
    (e) =>
      (e.site.span.start === b.start && e.site.span.end === b.end) ||
      (e.use && e.use.start === b.start && e.use.end === b.end),
  );
}

/** An inlay hint: after the end of a 0-based line. */
export interface LineHint {
  readonly line: number;
  readonly label: string;
  readonly outputs: readonly (Shape | null)[];
}

/** One `-> 96x54x54` hint per line, from the outermost, last call starting on it. */
export function lineHints(a: Analysis, maxShapes = 3): LineHint[] {
  // Keyed by span, so a line with thousands of calls stays linear.
  const byLine = new Map<number, Map<string, { span: Span; outputs: (Shape | null)[] }>>();
  for (const e of a.events) {
    const s = e.use ?? e.site.span;
    let spans = byLine.get(s.line);
    if (!spans) byLine.set(s.line, (spans = new Map()));
    const key = `${s.start}:${s.end}`;
    let entry = spans.get(key);
    if (!entry) spans.set(key, (entry = { span: s, outputs: [] }));
    entry.outputs.push(e.output);
  }
  const hints: LineHint[] = [];
  for (const [line, spans] of byLine) {
    // Outermost: not inside a larger span. Sorted by start (larger first on ties), a span is
    // outermost when it ends after every span before it; the hint is the last of those.
    const sorted = [...spans.values()].sort((p, q) => p.span.start - q.span.start || q.span.end - p.span.end);
    let maxEnd = -1;
    let last = sorted[0];
    for (const x of sorted) {
      if (x.span.end > maxEnd) last = x;
      maxEnd = Math.max(maxEnd, x.span.end);
    }
    const distinct = [...new Map(last.outputs.map((o) => [formatShape(o), o])).values()];
    const shown = distinct.slice(0, maxShapes).map(formatShape).join(' | ');
    hints.push({ line, label: `-> ${shown}${distinct.length > maxShapes ? ' | …' : ''}`, outputs: distinct });
  }
  return hints.sort((p, q) => p.line - q.line);
}
