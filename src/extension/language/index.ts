/**
 * Shape intelligence for PyTorch model code: hovers (input -> output, parameters, the
 * formula with its numbers), `-> 96x54x54` inlay hints and diagnostics, all from one cached
 * analysis per document version. Registered from main.ts through registerLanguageFeatures.
 */
import * as vscode from 'vscode';
import { parseShapeText } from '../../pyshape/inputShape';
import { eventsAt, lineHints } from '../../pyshape/report';
import { COMMANDS, SETTINGS } from '../runFeed';
import { diagnosticMessage, hoverMarkdown } from './format';
import { ShapeService } from './service';

const SELECTOR: vscode.DocumentSelector = [{ language: 'python' }];
const DEBOUNCE_MS = 300;

const SEVERITY = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
} as const;

/** Register the hover and inlay-hint providers, diagnostics and the input-shape command. */
export function registerLanguageFeatures(
  context: vscode.ExtensionContext,
  log?: vscode.LogOutputChannel,
): ShapeService {
  const service = new ShapeService(context, log);
  const diagnostics = vscode.languages.createDiagnosticCollection('nin-shapes');
  const hintsChanged = new vscode.EventEmitter<void>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const refresh = async (doc: vscode.TextDocument): Promise<void> => {
    if (doc.languageId !== 'python' || doc.isClosed) return;
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
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
    vscode.languages.registerHoverProvider(SELECTOR, {
      async provideHover(doc, position) {
        const offset = doc.offsetAt(position);
        const { analysis } = await service.analyseRange(doc, offset, offset + 1);
        const events = eventsAt(analysis, offset);
        if (!events.length) return undefined;
        const span =
          events[0].use && doc.offsetAt(position) >= events[0].use.start && doc.offsetAt(position) < events[0].use.end
            ? events[0].use
            : events[0].site.span;
        return new vscode.Hover(
          hoverMarkdown(analysis, events),
          new vscode.Range(doc.positionAt(span.start), doc.positionAt(span.end)),
        );
      },
    }),
    vscode.languages.registerInlayHintsProvider(SELECTOR, {
      onDidChangeInlayHints: hintsChanged.event,
      async provideInlayHints(doc, range) {
        if (!vscode.workspace.getConfiguration('nin', doc.uri).get<boolean>(SETTINGS.hoverInlayHints, true)) return [];
        const { analysis } = await service.analyseRange(doc, doc.offsetAt(range.start), doc.offsetAt(range.end));
        return lineHints(analysis)
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
      if (e.document.languageId !== 'python') return;
      service.edited(e.document, e.contentChanges);
      schedule(e.document);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      diagnostics.delete(doc.uri);
      service.forget(doc.uri);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (
        e.affectsConfiguration(`nin.${SETTINGS.hoverInputShape}`) ||
        e.affectsConfiguration(`nin.${SETTINGS.hoverInlayHints}`)
      )
        service.settingsChanged();
    }),
    service.onDidChange(() => vscode.workspace.textDocuments.forEach((d) => void refresh(d))),
    vscode.commands.registerCommand(COMMANDS.setInputShape, () => setInputShape(service)),
  );
  vscode.workspace.textDocuments.forEach((d) => void refresh(d));
  return service;
}

function toDiagnostic(
  doc: vscode.TextDocument,
  d: import('../../pyshape/analyse').ShapeDiagnostic,
): vscode.Diagnostic {
  // The whole call's first line: multi-line calls would otherwise underline many lines.
  const start = doc.positionAt(d.span.start);
  const end = d.span.endLine === d.span.line ? doc.positionAt(d.span.end) : doc.lineAt(start.line).range.end;
  const diag = new vscode.Diagnostic(new vscode.Range(start, end), diagnosticMessage(d), SEVERITY[d.severity]);
  diag.source = 'NiN shapes';
  diag.code = d.id;
  if (d.via) {
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

async function setInputShape(service: ShapeService): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a Python file to set its input shape.'));
    return;
  }
  const uri = editor.document.uri;
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
