/**
 * Jupyter notebooks as one program: the Python code cells joined in document order (the way
 * Run All executes them), IPython syntax blanked out so it never reaches the parser, and a
 * map from offsets of the joined text back to each cell's own text and lines.
 */

/** One cell as the analyser needs it. */
export interface CellText {
  /** True for a code cell in Python (markdown and other languages are left out). */
  readonly code: boolean;
  readonly text: string;
}

/** Where one code cell lies in the joined text. */
export interface CellPlace {
  /** The cell's index in the notebook (every cell counted, markdown included). */
  readonly index: number;
  /** Offset of the cell's first character in the joined text. */
  readonly start: number;
  /** Offset just after its last character. */
  readonly end: number;
  /** 0-based line of the joined text where the cell starts. */
  readonly line: number;
  /** How many lines the cell has. */
  readonly lines: number;
}

/** The joined program and where each code cell went. */
export interface JoinedCells {
  readonly source: string;
  readonly cells: readonly CellPlace[];
}

/** A position in one cell. */
export interface CellPosition {
  /** The cell's index in the notebook. */
  readonly cell: number;
  /** Offset in the cell's text. */
  readonly offset: number;
  /** 0-based line in the cell. */
  readonly line: number;
  /** 0-based column. */
  readonly col: number;
}

/**
 * Cell magics whose body is Python run in the kernel (`%%time` and friends); any other
 * (`%%bash`, `%%html`, `%%writefile`, ...) makes the cell not Python at all.
 */
const PYTHON_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun', 'debug', 'memit', 'mprun', 'pypy']);

/**
 * The cell's text with IPython-only syntax turned into Python of the same length, so offsets
 * and lines stay the cell's own: `%magic` and `!shell` lines become comments, `x = !ls`
 * becomes `x = ...`, `obj?` help lines become comments; a cell under a non-Python cell magic
 * becomes all comments. Top-level `await` is left alone: tree-sitter parses it.
 */
export function blankIPython(text: string): string {
  const lines = text.split('\n');
  const magic = /^%%(\w+)/.exec(lines[0] ?? '');
  if (magic && !PYTHON_CELL_MAGICS.has(magic[1])) return lines.map(commentOut).join('\n');
  return lines
    .map((l, i) => {
      if (i === 0 && magic) return commentOut(l);
      const lead = /^\s*/.exec(l)![0].length;
      const c = l[lead];
      if (c === '%' || c === '!') return commentOut(l);
      // `files = !ls`, `out = %timeit -o f()`: the value is the shell's or the magic's.
      const assigned = /^(\s*[A-Za-z_][\w.,\s[\]]*=\s*)([!%].*)$/.exec(l);
      if (assigned) {
        const rest = assigned[2];
        return assigned[1] + (rest.length >= 3 ? '...' + ' '.repeat(rest.length - 3) : '0'.padEnd(rest.length));
      }
      // `obj?`, `obj??`, `?obj`: IPython's help.
      if (/^\s*(\?\??[\w.]+|[\w.]+\?\??)\s*$/.test(l)) return commentOut(l);
      return l;
    })
    .join('\n');
}

/** The line as a comment of the same length (its indentation kept). */
function commentOut(line: string): string {
  const lead = /^\s*/.exec(line)![0].length;
  return lead < line.length ? line.slice(0, lead) + '#' + line.slice(lead + 1) : line;
}

/** Join the code cells (separated by one newline) and record where each went. */
export function joinCells(cells: readonly CellText[]): JoinedCells {
  const parts: string[] = [];
  const places: CellPlace[] = [];
  let offset = 0;
  let line = 0;
  cells.forEach((c, index) => {
    if (!c.code) return;
    const text = blankIPython(c.text);
    const lines = countLines(text);
    places.push({ index, start: offset, end: offset + text.length, line, lines });
    parts.push(text);
    offset += text.length + 1;
    line += lines;
  });
  return { source: parts.join('\n'), cells: places };
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The code cell holding an offset of the joined text (the separator counts as its cell's end). */
export function placeAt(j: JoinedCells, offset: number): CellPlace | undefined {
  let lo = 0;
  let hi = j.cells.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = j.cells[mid];
    if (offset < c.start) hi = mid - 1;
    else if (offset > c.end) lo = mid + 1;
    else return c;
  }
  return undefined;
}

/** The place of the cell with this notebook index, when it is a code cell. */
export function placeOf(j: JoinedCells, index: number): CellPlace | undefined {
  return j.cells.find((c) => c.index === index);
}

/** Map an offset of the joined text back into its cell; `line` is the joined text's 0-based line. */
export function toCell(j: JoinedCells, offset: number, line: number, col: number): CellPosition | undefined {
  const c = placeAt(j, offset);
  return c && { cell: c.index, offset: offset - c.start, line: line - c.line, col };
}

/** Read an .ipynb file's cells: code cells count as Python when the notebook's language is Python. */
export function parseIpynb(json: string, file = 'notebook'): CellText[] {
  let nb: unknown;
  try {
    nb = JSON.parse(json);
  } catch (e) {
    throw new Error(`${file} is not a notebook: ${(e as Error).message}`);
  }
  const o = nb as {
    cells?: unknown;
    metadata?: { kernelspec?: { language?: unknown }; language_info?: { name?: unknown } };
  };
  if (!o || typeof o !== 'object' || !Array.isArray(o.cells))
    throw new Error(`${file} is not a notebook: it has no "cells" list`);
  const lang = o.metadata?.language_info?.name ?? o.metadata?.kernelspec?.language ?? 'python';
  const python = typeof lang !== 'string' || lang.toLowerCase().startsWith('python');
  return o.cells.map((c: unknown, i: number) => {
    const cell = c as { cell_type?: unknown; source?: unknown };
    if (!cell || typeof cell !== 'object') throw new Error(`${file}: cell ${i} is not an object`);
    const src = cell.source;
    const text = Array.isArray(src)
      ? src.map((s) => (typeof s === 'string' ? s : '')).join('')
      : typeof src === 'string'
        ? src
        : '';
    return { code: python && cell.cell_type === 'code', text };
  });
}

/** A span's start as the notebook shows it: cell index and 1-based line in that cell. */
export function cellLine(
  j: JoinedCells,
  span: { readonly start: number; readonly line: number },
): {
  cell: number;
  line: number;
} {
  const c = placeAt(j, span.start);
  // Every span of the joined text lies in some cell; the fallback is for a span at offset 0 of nothing.
  return c ? { cell: c.index, line: span.line - c.line + 1 } : { cell: 0, line: span.line + 1 };
}
