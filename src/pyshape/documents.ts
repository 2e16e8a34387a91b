/**
 * Syntax trees of open documents, kept between versions so that an edit reparses
 * incrementally: tree-sitter reuses every subtree the edit did not touch, which turns a
 * 2,000-line parse (tens of ms) into about a millisecond. Any doubt about whether the kept
 * tree matches the text (a missed version, an edit out of range) falls back to a full parse.
 */
import type { Edit } from 'web-tree-sitter';
import type { PythonParser, SyntaxTree } from './parser';

/** A 0-based line and UTF-16 column, as editors count them. */
export interface TextPosition {
  readonly line: number;
  readonly character: number;
}

/** One replaced range, in the shape of VS Code's TextDocumentContentChangeEvent. */
export interface TextChange {
  /** The replaced range in the text before this change. */
  readonly range: { readonly start: TextPosition; readonly end: TextPosition };
  /** Offset (UTF-16) of range.start. */
  readonly rangeOffset: number;
  /** Length (UTF-16) of the replaced text. */
  readonly rangeLength: number;
  readonly text: string;
}

interface Entry {
  version: number;
  tree: SyntaxTree;
  /** Edits applied to `tree` since it was parsed: it must be reparsed before use. */
  edited: boolean;
  /** The text `tree` was parsed from (kept for treeOfText). */
  text?: string;
}

/** Parsed trees per document (by key, e.g. its URI), the least recently used dropped first. */
export class DocumentTrees {
  private readonly entries = new Map<string, Entry>();
  /** Parses done, for tests and logs. */
  readonly stats = { full: 0, incremental: 0 };

  constructor(
    private readonly parser: PythonParser,
    private readonly maxDocuments = 16,
  ) {}

  /**
   * Record one change event that took the document to `version`. Changes in one event refer
   * to the text before it and do not overlap; applied from the last to the first, each one's
   * offsets stay valid. A version that does not follow the kept one drops the tree.
   */
  edit(doc: string, version: number, changes: readonly TextChange[]): void {
    const e = this.entries.get(doc);
    // No change (editors report saves and dirty-state changes too): the tree stays as it is.
    if (!e || (changes.length === 0 && e.version === version)) return;
    if (e.version !== version - 1) {
      this.forget(doc);
      return;
    }
    const sorted = [...changes].sort((a, b) => b.rangeOffset - a.rangeOffset);
    for (const c of sorted) {
      const { start, end } = c.range;
      const newEnd = advance(start, c.text);
      // A plain object: tree.edit reads only these fields (the Edit class is not loaded here).
      e.tree.edit({
        startIndex: c.rangeOffset,
        oldEndIndex: c.rangeOffset + c.rangeLength,
        newEndIndex: c.rangeOffset + c.text.length,
        startPosition: { row: start.line, column: start.character },
        oldEndPosition: { row: end.line, column: end.character },
        newEndPosition: { row: newEnd.line, column: newEnd.character },
      } as Edit);
    }
    e.version = version;
    e.edited = true;
  }

  /**
   * The tree of `text` at `version`: kept, reparsed incrementally after edits, or parsed
   * afresh. Owned by this cache: callers must not delete it, nor keep it past the next call.
   */
  tree(doc: string, version: number, text: string): SyntaxTree {
    const e = this.entries.get(doc);
    if (e && e.version === version) {
      this.entries.delete(doc);
      this.entries.set(doc, e);
      if (e.edited) {
        const next = this.parser.parse(text, e.tree);
        e.tree.delete();
        e.tree = next;
        e.edited = false;
        e.text = text;
        this.stats.incremental++;
      }
      if (e.tree.rootNode.endIndex === text.length) return e.tree;
      // The kept tree does not span the text: the edits were not what we were told.
      this.forget(doc);
    } else if (e) this.forget(doc);
    const tree = this.parser.parse(text);
    this.stats.full++;
    this.entries.set(doc, { version, tree, edited: false, text });
    if (this.entries.size > this.maxDocuments) this.forget(this.entries.keys().next().value!);
    return tree;
  }

  /**
   * Like tree(), for a text whose edits nobody reports (a notebook's joined cells): the
   * change from the kept text is found by comparing the two (one replaced range, from the
   * common prefix and suffix), so the parse is still incremental.
   */
  treeOfText(doc: string, version: number, text: string): SyntaxTree {
    const e = this.entries.get(doc);
    if (e && e.version !== version && !e.edited && e.text !== undefined) {
      const change = textChange(e.text, text);
      if (!change) {
        e.version = version;
        return this.tree(doc, version, text);
      }
      e.version = version - 1;
      this.edit(doc, version, [change]);
    }
    return this.tree(doc, version, text);
  }

  /** True while `tree` is this document's kept tree for `version`, unedited (safe to read). */
  holds(doc: string, version: number, tree: SyntaxTree): boolean {
    const e = this.entries.get(doc);
    return !!e && e.version === version && e.tree === tree && !e.edited;
  }

  /** Drop one document's tree (closed), or all. */
  forget(doc?: string): void {
    for (const [k, e] of this.entries)
      if (doc === undefined || k === doc) {
        e.tree.delete();
        this.entries.delete(k);
      }
  }
}

/** The one range that turns `before` into `after` (their common prefix and suffix kept); undefined when equal. */
export function textChange(before: string, after: string): TextChange | undefined {
  if (before === after) return undefined;
  const max = Math.min(before.length, after.length);
  let p = 0;
  while (p < max && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  let q = 0;
  while (q < max - p && before.charCodeAt(before.length - 1 - q) === after.charCodeAt(after.length - 1 - q)) q++;
  const at = (offset: number): TextPosition => {
    let line = 0;
    let last = -1;
    for (let i = before.indexOf('\n'); i >= 0 && i < offset; i = before.indexOf('\n', i + 1)) {
      line++;
      last = i;
    }
    return { line, character: offset - last - 1 };
  };
  return {
    range: { start: at(p), end: at(before.length - q) },
    rangeOffset: p,
    rangeLength: before.length - q - p,
    text: after.slice(p, after.length - q),
  };
}

/** Where `text` ends when inserted at `from`. */
function advance(from: TextPosition, text: string): TextPosition {
  let line = from.line;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return last < 0 ? { line, character: from.character + text.length } : { line, character: text.length - last - 1 };
}
