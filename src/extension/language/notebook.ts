/**
 * Notebooks for the shape service: a cell's TextDocument belongs to a notebook whose Python
 * code cells are analysed as one program (src/pyshape/notebook.ts); this keeps one
 * ShapeSource per notebook, with a version that moves whenever a cell is edited, added,
 * moved or deleted, and maps positions between a cell and the joined text.
 */
import * as vscode from 'vscode';
import { joinCells, placeOf, type CellPlace, type JoinedCells } from '../../pyshape/notebook';
import type { ShapeSource } from './service';

/** The scheme of notebook cell documents. */
export const CELL_SCHEME = 'vscode-notebook-cell';

/** A cell document's notebook, when it is one. */
export function notebookOf(doc: vscode.TextDocument): vscode.NotebookDocument | undefined {
  if (doc.uri.scheme !== CELL_SCHEME) return undefined;
  return vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document === doc));
}

const isPythonCode = (c: vscode.NotebookCell): boolean =>
  c.kind === vscode.NotebookCellKind.Code && c.document.languageId === 'python';

/** What the cells are now: which ones, in what order, at which versions (cheap to compute). */
function stamp(nb: vscode.NotebookDocument): string {
  return nb
    .getCells()
    .map((c) => `${c.document.uri.fragment}@${c.document.version}${isPythonCode(c) ? '' : '-'}`)
    .join('|');
}

/** A notebook's joined code cells as a ShapeSource. */
export class NotebookSource implements ShapeSource {
  readonly notebook = true;
  private seen = '';
  private count = 0;
  private joined: JoinedCells | undefined;
  private joinedAt = -1;

  constructor(readonly doc: vscode.NotebookDocument) {}

  get uri(): vscode.Uri {
    return this.doc.uri;
  }

  get isClosed(): boolean {
    return this.doc.isClosed;
  }

  /** Moves on every change of a cell's text, kind or language, and on added, moved or deleted cells. */
  get version(): number {
    const now = stamp(this.doc);
    if (now !== this.seen) {
      this.seen = now;
      this.count++;
    }
    return this.count;
  }

  /** The joined program of the current version. */
  cells(): JoinedCells {
    const v = this.version;
    if (!this.joined || this.joinedAt !== v) {
      this.joined = joinCells(this.doc.getCells().map((c) => ({ code: isPythonCode(c), text: c.document.getText() })));
      this.joinedAt = v;
    }
    return this.joined;
  }

  getText(): string {
    return this.cells().source;
  }

  /** Where a cell's text lies in the joined program (undefined for markdown and other languages). */
  place(cell: vscode.TextDocument): CellPlace | undefined {
    const c = this.doc.getCells().find((x) => x.document === cell);
    return c && placeOf(this.cells(), c.index);
  }
}

/** One NotebookSource per open notebook. */
export class NotebookSources {
  private readonly sources = new Map<string, NotebookSource>();

  /** The source of a notebook (made on first use). */
  of(nb: vscode.NotebookDocument): NotebookSource {
    const key = nb.uri.toString();
    let s = this.sources.get(key);
    if (!s || s.doc !== nb) this.sources.set(key, (s = new NotebookSource(nb)));
    return s;
  }

  /** The notebook source and the cell's place for a cell document; undefined for a plain file. */
  forCell(doc: vscode.TextDocument): { source: NotebookSource; place: CellPlace | undefined } | undefined {
    const nb = notebookOf(doc);
    if (!nb) return undefined;
    const source = this.of(nb);
    return { source, place: source.place(doc) };
  }

  forget(nb: vscode.NotebookDocument): void {
    this.sources.delete(nb.uri.toString());
  }
}
