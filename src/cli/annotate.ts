/**
 * `nin annotate FILE`: the shape analyser on a Python file or a Jupyter notebook (its code
 * cells as one program), as a table or one JSON object. Notebook results carry `cell`
 * (0-based, every cell counted) and `line` (1-based within the cell).
 */
import { readFileSync } from 'node:fs';
import { analysePython, type Analysis } from '../pyshape/analyse';
import type { Span } from '../pyshape/ast';
import { parseShapeText } from '../pyshape/inputShape';
import { cellLine, joinCells, parseIpynb, type JoinedCells } from '../pyshape/notebook';
import { loadPythonParser } from '../pyshape/parser';
import { annotatedEvents, annotations, diagnosticEnglish } from '../pyshape/report';
import { formatShape } from '../pyshape/values';
import { parseFlags, printJson, UsageError } from './args';

/** Usage text for `annotate`. */
export const ANNOTATE_USAGE =
  'nin annotate FILE [--input C,H,W] [--json]   (shapes of the PyTorch models in a Python file or .ipynb notebook)';

/** Run `annotate`; exit code 1 when a diagnostic is an error. */
export async function annotateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    input: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new UsageError('annotate takes exactly one FILE');
  const file = positionals[0];
  let input: number[] | undefined;
  try {
    input = values.input === undefined ? undefined : parseShapeText(values.input);
  } catch (e) {
    throw new UsageError(`--input: ${(e as Error).message}`);
  }
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const nb = /\.ipynb$/i.test(file) ? joinCells(parseIpynb(source, file)) : undefined;
  const parser = await loadPythonParser();
  const a = analysePython(parser, nb ? nb.source : source, {
    ...(input ? { input, inputSource: 'override' as const } : {}),
    notebook: !!nb,
  });
  const where = nb ? (s: Span) => cellLine(nb, s) : (s: Span) => ({ line: s.line + 1 });
  if (values.json) printJson(toJson(a, input, where));
  else process.stdout.write(text(a, file, where, nb));
  return a.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

/** Where a span starts, as printed: `line` in a file, `cell` and `line` in a notebook. */
type Where = (s: Span) => { cell?: number; line: number };

function toJson(a: Analysis, input: number[] | undefined, where: Where): unknown {
  // The events annotations() lists, in its order: each one's place in the file or notebook.
  const top = annotatedEvents(a);
  return {
    input: a.models[0]?.input ?? input ?? null,
    annotations: annotations(a).map((x, i) => ({ ...x, ...where(top[i].site.span) })),
    diagnostics: a.diagnostics.map((d) => ({
      ...where(d.span),
      severity: d.severity,
      message: diagnosticEnglish(d),
    })),
    models: a.models.map((m) => ({
      name: m.name,
      ...where(m.span),
      input: m.input,
      inputFrom: m.inputFrom,
      ...(m.inferredFrom ? { inferredFrom: m.inferredFrom } : {}),
      output: m.output,
      params: m.params,
    })),
  };
}

const num = (n: number | null): string => (n === null ? '?' : n.toLocaleString('en-US'));

const at = (w: { cell?: number; line: number }): string =>
  w.cell === undefined ? `line ${w.line}` : `cell ${w.cell} line ${w.line}`;

function text(a: Analysis, file: string, where: Where, nb: JoinedCells | undefined): string {
  const out: string[] = [];
  if (a.models.length === 0) out.push(`${file}: no PyTorch model found`);
  for (const m of a.models) {
    out.push(
      `${m.name} (${at(where(m.span))}): input ${formatShape(m.input)} (${m.inferredFrom ? `inferred from ${m.inferredFrom}` : m.inputFrom}) -> ${formatShape(m.output)}, ${num(m.params)} params`,
    );
    const rows = annotatedEvents(a)
      .filter((e) => e.root === m.index)
      .map((e) => {
        const w = where(e.site.span);
        return [
          w.cell === undefined ? `${w.line}` : `${w.cell}:${w.line}`,
          e.site.callee,
          `${formatShape(e.input)} -> ${formatShape(e.output)}`,
          num(e.params),
        ];
      });
    const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
    for (const r of rows)
      out.push(
        `  ${r[0].padStart(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padEnd(widths[2])}  ${r[3].padStart(widths[3])}`,
      );
  }
  for (const d of a.diagnostics) {
    const w = where(d.span);
    const place = nb ? `cell ${w.cell}:${w.line}` : `${w.line}`;
    out.push(`${file}:${place}: ${d.severity}: ${diagnosticEnglish(d)}`);
  }
  return out.join('\n') + '\n';
}
