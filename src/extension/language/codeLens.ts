/**
 * The code lens on each model the analyser finds (a Sequential assigned to a name, a function
 * returning one, an nn.Module class): `Train on Fashion-MNIST · 159,320 params · 1×28×28` and
 * `Show in panel`, or why it cannot be trained without running the reader's code. It reads the
 * same cached whole-file analysis as the diagnostics (service.ts), in files and notebook cells,
 * and refreshes when that analysis does. Registered from index.ts.
 */
import * as vscode from 'vscode';
import type { CellPlace } from '../../pyshape/notebook';
import { COMMANDS, SETTINGS } from '../runFeed';
import { lensModels, type LensModel } from '../../pyshape/trainability';
import type { NotebookSource } from './notebook';
import type { ShapeService, ShapeSource } from './service';

/** What to analyse for a document, and where a cell's text lies in its notebook's program. */
export type SourceOf = (
  doc: vscode.TextDocument,
) => { source: ShapeSource; place?: CellPlace; nb?: NotebookSource } | undefined;

/** The models of one document's current version. */
export interface DocumentModels {
  /** The file the models are read from (a notebook's .ipynb for its cells). */
  readonly file: string;
  /** Every model of the file (or notebook) with its trainability. */
  readonly models: readonly LensModel[];
  /** Where the document's text starts in what was analysed (a cell in its notebook), and ends. */
  readonly range: { readonly start: number; readonly end: number };
}

/** Finds the models of a document for the lens and the commands (src/extension/commandsTrainModel.ts). */
export interface ModelLookup {
  /** The models of `doc` (a Python file, or a cell of a notebook): undefined for other documents. */
  models(doc: vscode.TextDocument): Promise<DocumentModels | undefined>;
}

/** Lens titles stay on one line: a longer reason is cut (the command shows it whole). */
const MAX_REASON = 90;

/** `1×28×28` */
export const shapeText = (s: readonly (number | null)[]): string => s.map((d) => d ?? '?').join('×');

/** The reason without the model's name in front (the lens stands on the model's line). */
export function shortReason(name: string, why: string): string {
  const bare = why.startsWith(`${name}: `) ? why.slice(name.length + 2) : why;
  return bare.length > MAX_REASON ? `${bare.slice(0, MAX_REASON - 1)}…` : bare;
}

function lensesFor(doc: vscode.TextDocument, found: DocumentModels): vscode.CodeLens[] {
  const uri = doc.uri;
  const { start, end } = found.range;
  const out: vscode.CodeLens[] = [];
  for (const m of found.models) {
    const at = m.report.span.start;
    if (at < start || at >= end) continue; // another cell's model
    const line = doc.positionAt(at - start).line;
    const range = new vscode.Range(line, 0, line, 0);
    const args = [uri, m.report.name];
    if (!m.train.ok && m.code) {
      out.push(
        new vscode.CodeLens(range, {
          title: vscode.l10n.t(
            '$(play) Train on PyTorch (runs its code) · {0} params · {1}',
            m.code.params.toLocaleString('en-US'),
            shapeText(m.code.input),
          ),
          tooltip: vscode.l10n.t(
            '{0} is built by running its code (in a trusted workspace only), so it trains on the PyTorch engine: {1}',
            m.report.name,
            m.train.why,
          ),
          command: COMMANDS.trainModel,
          arguments: args,
        }),
      );
      continue;
    }
    if (!m.train.ok) {
      out.push(
        new vscode.CodeLens(range, {
          title: vscode.l10n.t('$(circle-slash) Not trainable here: {0}', shortReason(m.report.name, m.train.why)),
          tooltip: m.train.why,
          command: COMMANDS.trainModel,
          arguments: args,
        }),
      );
      continue;
    }
    const model = m.train.model;
    out.push(
      new vscode.CodeLens(range, {
        title: vscode.l10n.t(
          '$(play) Train on Fashion-MNIST · {0} params · {1}',
          model.params.toLocaleString('en-US'),
          shapeText(model.input),
        ),
        tooltip: vscode.l10n.t('Train {0} with a recipe of NiN: Train, without running the code', model.name),
        command: COMMANDS.trainModel,
        arguments: args,
      }),
      new vscode.CodeLens(range, {
        title: vscode.l10n.t('Show in panel'),
        tooltip: vscode.l10n.t('The architecture of {0} in the training panel', model.name),
        command: COMMANDS.showModel,
        arguments: args,
      }),
    );
  }
  return out;
}

/**
 * Register the code lens provider for Python files and notebook cells; `changed` fires when an
 * analysis finished (the diagnostics' refresh). Returns the lookup the model commands use.
 */
export function registerCodeLens(
  context: vscode.ExtensionContext,
  selector: vscode.DocumentSelector,
  service: ShapeService,
  sourceOf: SourceOf,
  changed: vscode.Event<void>,
): ModelLookup {
  const lookup: ModelLookup = {
    async models(doc) {
      if (doc.languageId !== 'python') return undefined;
      const src = sourceOf(doc);
      if (!src) return undefined;
      const done = await service.analyse(src.source);
      if (!done) return undefined; // superseded by an edit: the next analysis refreshes the lens
      const text = src.source.getText();
      const file = src.source.uri.scheme === 'file' ? src.source.uri.fsPath : src.source.uri.toString();
      const start = src.place?.start ?? 0;
      return {
        file,
        models: lensModels(done.analysis, file, text),
        range: { start, end: start + doc.getText().length },
      };
    },
  };
  const lensesChanged = new vscode.EventEmitter<void>();
  const enabled = (doc: vscode.TextDocument) =>
    vscode.workspace.getConfiguration('nin', doc.uri).get<boolean>(SETTINGS.codeLens, true);
  context.subscriptions.push(
    lensesChanged,
    changed(() => lensesChanged.fire()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`nin.${SETTINGS.codeLens}`)) lensesChanged.fire();
    }),
    vscode.languages.registerCodeLensProvider(selector, {
      onDidChangeCodeLenses: lensesChanged.event,
      async provideCodeLenses(doc) {
        if (!enabled(doc)) return [];
        const found = await lookup.models(doc);
        return found ? lensesFor(doc, found) : [];
      },
    }),
  );
  return lookup;
}
