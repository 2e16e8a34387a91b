/**
 * Shape intelligence for PyTorch model code: hovers (input -> output, parameters, the
 * formula with its numbers), `-> 96x54x54` inlay hints and diagnostics, all from one cached
 * analysis per document version. In a notebook the Python code cells are one program: each
 * cell shows what falls on its own lines. Registered from main.ts through registerLanguageFeatures.
 */
import * as vscode from 'vscode';
import type { ShapeDiagnostic } from '../../pyshape/analyse';
import type { Span } from '../../pyshape/ast';
import { cellLine, type CellPlace } from '../../pyshape/notebook';
import { parseShapeText } from '../../pyshape/inputShape';
import { eventsAt, lineHints } from '../../pyshape/report';
import { COMMANDS, SETTINGS } from '../runFeed';
import { registerCodeLens, type ModelLookup } from './codeLens';
import { diagnosticMessage, hoverMarkdown, type LineLabel } from './format';
import { CELL_SCHEME, notebookOf, NotebookSources, type NotebookSource } from './notebook';
import { ShapeService, type ShapeSource } from './service';

const SELECTOR: vscode.DocumentSelector = [{ language: 'python' }];
const DEBOUNCE_MS = 300;

const SEVERITY = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
} as const;

/** What the language features give the rest of the extension. */
export interface LanguageFeatures {
  readonly service: ShapeService;
  /** The models of a document, for the model commands (train, show in panel). */
  readonly models: ModelLookup;
}

/** Register the hover, inlay-hint and code lens providers, diagnostics and the input-shape command. */
export function registerLanguageFeatures(
  context: vscode.ExtensionContext,
  log?: vscode.LogOutputChannel,
): LanguageFeatures {
  const service = new ShapeService(context, log);
  const diagnostics = vscode.languages.createDiagnosticCollection('nin-shapes');
  const hintsChanged = new vscode.EventEmitter<void>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const notebooks = new NotebookSources();
  /** What to analyse for a document, and where its text starts in that: a cell lies inside its notebook. */
  const sourceOf = (
    doc: vscode.TextDocument,
  ): { source: ShapeSource; place?: CellPlace; nb?: NotebookSource } | undefined => {
    if (doc.uri.scheme !== CELL_SCHEME) return { source: doc };
    const cell = notebooks.forCell(doc);
    return cell?.place ? { source: cell.source, place: cell.place, nb: cell.source } : undefined;
  };
  const refreshNotebook = async (nb: vscode.NotebookDocument): Promise<void> => {
    if (nb.isClosed) return;
    const source = notebooks.of(nb);
    try {
      const done = await service.analyse(source);
      if (!done || nb.isClosed) return;
      const joined = source.cells();
      const byCell = new Map<number, vscode.Diagnostic[]>();
      for (const d of done.analysis.diagnostics) {
        const { cell } = cellLine(joined, d.span);
        const place = joined.cells.find((c) => c.index === cell);
        const cellDoc = nb.cellAt(cell)?.document;
        if (!place || !cellDoc) continue;
        byCell.set(cell, [...(byCell.get(cell) ?? []), toDiagnostic(cellDoc, d, place)]);
      }
      for (const c of nb.getCells()) diagnostics.set(c.document.uri, byCell.get(c.index) ?? []);
      // Hints of every cell may have changed, not only the edited one's.
      hintsChanged.fire();
      log?.trace(`shapes: ${nb.uri.fsPath} (notebook) in ${done.ms.toFixed(1)} ms, ${done.analysis.steps} steps`);
    } catch (e) {
      log?.error(`shape analysis failed for ${nb.uri.fsPath}: ${(e as Error).message}`);
      const first = nb.getCells().find((c) => c.kind === vscode.NotebookCellKind.Code)?.document;
      if (first && !nb.isClosed) diagnostics.set(first.uri, [notAnalysed(first, e as Error)]);
    }
  };
  const nbTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const scheduleNotebook = (nb: vscode.NotebookDocument): void => {
    const key = nb.uri.toString();
    clearTimeout(nbTimers.get(key));
    nbTimers.set(
      key,
      setTimeout(() => {
        nbTimers.delete(key);
        void refreshNotebook(nb);
      }, DEBOUNCE_MS),
    );
  };

  const refresh = async (doc: vscode.TextDocument): Promise<void> => {
    if (doc.languageId !== 'python' || doc.isClosed) return;
    if (doc.uri.scheme === CELL_SCHEME) {
      const cell = notebooks.forCell(doc);
      if (cell) void refreshNotebook(cell.source.doc);
      return;
    }
    try {
      const done = await service.analyse(doc);
      if (!done || doc.isClosed) return; // superseded by an edit: its own refresh follows
      const { analysis, ms } = done;
      diagnostics.set(
        doc.uri,
        analysis.diagnostics.map((d) => toDiagnostic(doc, d)),
      );
      hintsChanged.fire();
      log?.trace(`shapes: ${doc.uri.fsPath} v${doc.version} in ${ms.toFixed(1)} ms, ${analysis.steps} steps`);
    } catch (e) {
      log?.error(`shape analysis failed for ${doc.uri.fsPath}: ${(e as Error).message}`);
      if (!doc.isClosed) diagnostics.set(doc.uri, [notAnalysed(doc, e as Error)]);
    }
  };
  const schedule = (doc: vscode.TextDocument): void => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        void refresh(doc);
      }, DEBOUNCE_MS),
    );
  };

  context.subscriptions.push(
    service,
    diagnostics,
    hintsChanged,
    { dispose: () => [...timers.values(), ...nbTimers.values()].forEach((t) => clearTimeout(t)) },
    vscode.languages.registerHoverProvider(SELECTOR, {
      async provideHover(doc, position, token) {
        const src = sourceOf(doc);
        if (!src) return undefined;
        const base = src.place?.start ?? 0;
        const offset = base + doc.offsetAt(position);
        const { analysis } = await service.analyseRange(src.source, offset, offset + 1, token);
        const events = eventsAt(analysis, offset);
        if (!events.length) return undefined;
        const span =
          events[0].use && offset >= events[0].use.start && offset < events[0].use.end
            ? events[0].use
            : events[0].site.span;
        const nb = src.nb;
        const label: LineLabel | undefined = nb
          ? (s: Span) => {
              const w = cellLine(nb.cells(), s);
              return vscode.l10n.t('cell {0}, line {1}', w.cell, w.line);
            }
          : undefined;
        return new vscode.Hover(
          hoverMarkdown(analysis, events, label),
          new vscode.Range(doc.positionAt(span.start - base), doc.positionAt(span.end - base)),
        );
      },
    }),
    vscode.languages.registerInlayHintsProvider(SELECTOR, {
      onDidChangeInlayHints: hintsChanged.event,
      async provideInlayHints(doc, range, token) {
        if (!vscode.workspace.getConfiguration('nin', doc.uri).get<boolean>(SETTINGS.hoverInlayHints, true)) return [];
        const src = sourceOf(doc);
        if (!src) return [];
        const [base, firstLine] = [src.place?.start ?? 0, src.place?.line ?? 0];
        const { analysis } = await service.analyseRange(
          src.source,
          base + doc.offsetAt(range.start),
          base + doc.offsetAt(range.end),
          token,
        );
        return lineHints(analysis)
          .map((h) => ({ ...h, line: h.line - firstLine }))
          .filter((h) => h.line >= range.start.line && h.line <= range.end.line && h.line < doc.lineCount)
          .map((h) => {
            const hint = new vscode.InlayHint(doc.lineAt(h.line).range.end, h.label);
            hint.paddingLeft = true;
            return hint;
          });
      },
    }),
    vscode.workspace.onDidOpenTextDocument((doc) => void refresh(doc)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.scheme === CELL_SCHEME) {
        const nb = notebooks.forCell(e.document)?.source.doc;
        if (nb) scheduleNotebook(nb);
        return;
      }
      if (e.document.languageId !== 'python') return;
      service.edited(e.document, e.contentChanges);
      schedule(e.document);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      diagnostics.delete(doc.uri);
      if (doc.uri.scheme !== CELL_SCHEME) service.forget(doc.uri);
    }),
    // Cells added, moved, deleted or changed kind or language: every later cell may change.
    vscode.workspace.onDidChangeNotebookDocument((e) => scheduleNotebook(e.notebook)),
    vscode.workspace.onDidOpenNotebookDocument((nb) => void refreshNotebook(nb)),
    vscode.workspace.onDidCloseNotebookDocument((nb) => {
      for (const c of nb.getCells()) diagnostics.delete(c.document.uri);
      notebooks.forget(nb);
      service.forget(nb.uri);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (
        e.affectsConfiguration(`nin.${SETTINGS.hoverInputShape}`) ||
        e.affectsConfiguration(`nin.${SETTINGS.hoverInlayHints}`)
      )
        service.settingsChanged();
    }),
    service.onDidChange(() => {
      vscode.workspace.textDocuments.forEach((d) => d.uri.scheme !== CELL_SCHEME && void refresh(d));
      vscode.workspace.notebookDocuments.forEach((nb) => void refreshNotebook(nb));
    }),
    vscode.commands.registerCommand(COMMANDS.setInputShape, () => setInputShape(service)),
  );
  const models = registerCodeLens(context, SELECTOR, service, sourceOf, hintsChanged.event);
  vscode.workspace.textDocuments.forEach((d) => d.uri.scheme !== CELL_SCHEME && void refresh(d));
  vscode.workspace.notebookDocuments.forEach((nb) => void refreshNotebook(nb));
  return { service, models };
}

/** A diagnostic on `doc`; in a notebook, `place` says where the cell lies in the joined text. */
function toDiagnostic(doc: vscode.TextDocument, d: ShapeDiagnostic, place?: CellPlace): vscode.Diagnostic {
  // The whole call's first line: multi-line calls would otherwise underline many lines.
  const base = place?.start ?? 0;
  const start = doc.positionAt(d.span.start - base);
  const end = d.span.endLine === d.span.line ? doc.positionAt(d.span.end - base) : doc.lineAt(start.line).range.end;
  const diag = new vscode.Diagnostic(new vscode.Range(start, end), diagnosticMessage(d), SEVERITY[d.severity]);
  diag.source = 'NiN shapes';
  diag.code = d.id;
  if (d.via && !place) {
    const line = Math.min(d.via.line - 1, doc.lineCount - 1);
    diag.relatedInformation = [
      new vscode.DiagnosticRelatedInformation(
        new vscode.Location(doc.uri, doc.lineAt(line).range),
        vscode.l10n.t('inside {0}, line {1}', d.via.callee, d.via.line),
      ),
    ];
  }
  return diag;
}

/** Why a document has no shapes (refused input, a runaway analysis), on its first line. */
function notAnalysed(doc: vscode.TextDocument, e: Error): vscode.Diagnostic {
  const line = doc.lineAt(0).range;
  const diag = new vscode.Diagnostic(
    line,
    vscode.l10n.t('Shapes not analysed: {0}', e.message),
    vscode.DiagnosticSeverity.Information,
  );
  diag.source = 'NiN shapes';
  diag.code = 'not-analysed';
  return diag;
}

async function setInputShape(service: ShapeService): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a Python file to set its input shape.'));
    return;
  }
  // A notebook's cells share its input shape.
  const uri = notebookOf(editor.document)?.uri ?? editor.document.uri;
  const current = service.overrides()[uri.toString()] ?? '';
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Input shape for {0}', vscode.workspace.asRelativePath(uri)),
    prompt: vscode.l10n.t(
      'C,H,W (e.g. 1,224,224); empty to use the setting. A "# input shape:" comment in the file still wins.',
    ),
    value: current,
    validateInput: (v) => {
      if (v.trim() === '') return undefined;
      try {
        parseShapeText(v);
        return undefined;
      } catch {
        return vscode.l10n.t('Use 1 to 4 positive integers, e.g. 1,224,224');
      }
    },
  });
  if (text === undefined) return;
  await service.setOverride(uri, text.trim() === '' ? undefined : parseShapeText(text).join(','));
}
