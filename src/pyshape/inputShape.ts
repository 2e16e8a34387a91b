/**
 * The input shape a model is analysed with: a comment like `# input shape: 1 * 224 * 224`
 * (also `1x224x224`, `(1, 224, 224)`, with or without a leading batch size), else a
 * per-file override, else the `nin.hover.inputShape` setting.
 */

/** One `input shape:` comment in a file. */
export interface InputShapeComment {
  /** 0-based line. */
  readonly line: number;
  /** Offset of the comment in the text. */
  readonly offset: number;
  readonly shape?: number[];
  readonly error?: string;
}

/** The shape the setting defaults to. */
export const DEFAULT_INPUT: readonly number[] = [1, 224, 224];

const COMMENT = /#[^\n]*?\binput[ _-]?shape\s*[:=]\s*([^\n#]*)/gi;
const SHAPE = /^[[(]?\s*\d+(?:\s*[,x×*]\s*\d+){0,3}\s*,?\s*[\])]?/i;

/**
 * Parse `C,H,W` (also `CxHxW`, `C * H * W`, `(C, H, W)`, `[N, C, H, W]` with a batch size
 * that is dropped, `C,L` for 1-d models, `F` for a vector). Throws naming the text.
 */
export function parseShapeText(text: string): number[] {
  const m = SHAPE.exec(text.trim());
  const body = m ? m[0] : text.trim();
  const parts = body
    .replace(/^[[(]|[\])]$/g, '')
    .split(/\s*[,x×*]\s*/i)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (!m || nums.length === 0 || nums.length > 4 || nums.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new Error(`input shape "${text.trim()}" must be 1 to 4 positive integers, e.g. 1,224,224 or 1x224x224`);
  }
  return nums.length === 4 ? nums.slice(1) : nums;
}

/** Every `input shape:` comment in `source`, in order. */
export function findInputShapeComments(source: string): InputShapeComment[] {
  const out: InputShapeComment[] = [];
  COMMENT.lastIndex = 0;
  let lineStart = 0;
  let line = 0;
  for (let m = COMMENT.exec(source); m && out.length < 1000; m = COMMENT.exec(source)) {
    for (let i = source.indexOf('\n', lineStart); i !== -1 && i < m.index; i = source.indexOf('\n', lineStart)) {
      line++;
      lineStart = i + 1;
    }
    try {
      out.push({ line, offset: m.index, shape: parseShapeText(m[1]) });
    } catch (e) {
      out.push({ line, offset: m.index, error: (e as Error).message });
    }
  }
  return out;
}

/** The comment that applies to a model spanning lines [start, end]: inside it, just above it, else the nearest before it, else the first. */
export function commentFor(
  comments: readonly InputShapeComment[],
  start: number,
  end: number,
  lines: readonly string[],
): InputShapeComment | undefined {
  const valid = comments.filter((c) => c.shape);
  const inside = valid.find((c) => c.line >= start && c.line <= end);
  if (inside) return inside;
  // Comment lines directly above the model (its header comment).
  let l = start - 1;
  while (l >= 0 && /^\s*(#|@)/.test(lines[l] ?? '')) l--;
  const above = valid.find((c) => c.line > l && c.line < start);
  if (above) return above;
  const before = valid.filter((c) => c.line < start).at(-1);
  return before ?? valid[0];
}
