/** Localised text for hovers and diagnostics (English templates from the analyser). */
import * as vscode from 'vscode';
import type { Analysis, ModelReport, ShapeDiagnostic } from '../../pyshape/analyse';
import type { Span } from '../../pyshape/ast';
import type { ShapeEvent } from '../../pyshape/forward';
import type { MessageArgs } from '../../pyshape/messages';
import { diagnosticText } from '../../pyshape/report';
import { formatShape } from '../../pyshape/values';

const MAX_RUNS = 6;
const MAX_ROWS = 12;

/** A diagnostic's message in the user's language. */
export function diagnosticMessage(d: ShapeDiagnostic): string {
  return diagnosticText(d, (template: string, args: MessageArgs) => vscode.l10n.t(template, args));
}

const num = (n: number | null): string => (n === null ? '?' : n.toLocaleString('en-US'));

function inputNote(m: ModelReport): string {
  switch (m.inputFrom) {
    case 'comment':
      return vscode.l10n.t('input {0} from the comment in the file', formatShape(m.input));
    case 'override':
      return vscode.l10n.t('input {0} set for this file', formatShape(m.input));
    case 'first-layer':
      return vscode.l10n.t('input {0}: the setting, with the channels of the first layer', formatShape(m.input));
    case 'setting':
      return vscode.l10n.t('input {0} from the setting nin.hover.inputShape', formatShape(m.input));
    case 'inferred':
      return vscode.l10n.t('input {0}, inferred from `{1}`', formatShape(m.input), m.inferredFrom ?? '?');
  }
}

/** The leaf layers and ops applied inside an event (its subtree), for a small table. */
function inner(a: Analysis, ev: ShapeEvent): ShapeEvent[] {
  const i = a.events.indexOf(ev);
  const out: ShapeEvent[] = [];
  for (let j = i + 1; j < a.events.length && a.events[j].depth > ev.depth && a.events[j].root === ev.root; j++) {
    const e = a.events[j];
    if (e.kind === 'layer' || e.kind === 'op' || e.kind === 'opaque') out.push(e);
  }
  return out;
}

/** How a hover names the line of a span (a notebook says which cell too). */
export type LineLabel = (span: Span) => string;

const fileLine: LineLabel = (s) => vscode.l10n.t('line {0}', s.line + 1);

/** Markdown for the events under the cursor (one call, possibly run several times). */
export function hoverMarkdown(
  a: Analysis,
  events: readonly ShapeEvent[],
  lineLabel: LineLabel = fileLine,
): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  const first = events[0];
  md.appendMarkdown(`**${first.site.callee}**`);
  if (first.layer) md.appendMarkdown(` \`${first.layer}(${first.args ?? ''})\``);
  md.appendMarkdown('\n\n');
  if (events.length > 1) md.appendMarkdown(vscode.l10n.t('Runs {0} times:', events.length) + '\n\n');
  for (const ev of events.slice(0, MAX_RUNS)) {
    md.appendMarkdown(
      `\`${formatShape(ev.input)} → ${formatShape(ev.output)}\` · ${vscode.l10n.t('{0} parameters', num(ev.params))}\n\n`,
    );
    if (ev.formula.length) md.appendCodeblock(ev.formula.join('\n'), 'text');
    const rows = inner(a, ev);
    if (rows.length) {
      const lines = rows
        .slice(0, MAX_ROWS)
        .map((r) => `${r.site.callee} (${lineLabel(r.site.span)})  ${formatShape(r.output)}  ${num(r.params)}`);
      if (rows.length > MAX_ROWS) lines.push('…');
      md.appendCodeblock(lines.join('\n'), 'text');
    }
    for (const p of ev.problems) {
      const text = diagnosticMessage({ span: ev.site.span, severity: p.severity, id: p.id, args: p.args });
      const note = p.assumed ? ` ${vscode.l10n.t('(only with the assumed input {0})', p.assumed)}` : '';
      md.appendMarkdown(`⚠ ${text}${note}\n\n`);
    }
  }
  if (events.length > MAX_RUNS) md.appendMarkdown(vscode.l10n.t('… and {0} more', events.length - MAX_RUNS) + '\n\n');
  const model = a.models[first.root];
  if (model) md.appendMarkdown(`*${model.name}: ${inputNote(model)}*`);
  if (a.partial)
    md.appendMarkdown(
      '\n\n' +
        vscode.l10n.t(
          'Only the first {0} models using this code are shown here; the whole file is being analysed.',
          a.partial.models,
        ),
    );
  return md;
}
