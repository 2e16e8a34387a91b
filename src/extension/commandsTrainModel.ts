/**
 * The commands behind the code lens on a model in the reader's code: NiN: Train This Model
 * (`nin.trainModel`: the recipe quick pick with this model's estimates, then a run through the
 * session, as NiN: Train) and NiN: Show Model in Panel (`nin.showModel`: its architecture in the
 * training panel). From the lens they get the document's URI and the model's name; from the
 * command palette they offer the active editor's models in a quick pick. A model the
 * TensorFlow.js path cannot build is refused with toSpec's reason.
 */
import * as vscode from 'vscode';
import { MODEL_PRESET, type ModelSource } from '../protocol/config';
import { train } from './commands';
import { shapeText, type ModelLookup } from './language/codeLens';
import type { LensModel } from '../pyshape/trainability';
import { COMMANDS } from './runFeed';
import type { TrainingSession } from './session';
import type { NetworkChoice } from '../model/spec';

type Log = Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error'>;

/** A model of a document, found again by name in its current analysis. */
interface Found {
  readonly doc: vscode.TextDocument;
  readonly model: LensModel;
}

/** The open document with this URI (a file, or a notebook cell), opened if it is a file. */
async function documentAt(uri: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open || uri.scheme !== 'file') return open;
  return vscode.workspace.openTextDocument(uri).then(
    (d) => d,
    () => undefined,
  );
}

function modelItem(m: LensModel): vscode.QuickPickItem & { model: LensModel } {
  const t = m.train;
  return {
    model: m,
    label: m.report.name,
    description: t.ok
      ? vscode.l10n.t('{0} params · {1}', t.model.params.toLocaleString('en-US'), shapeText(t.model.input))
      : vscode.l10n.t('not trainable here'),
    detail: t.ok ? undefined : t.why,
  };
}

/**
 * The model the command is for: `uri` + `name` from a lens, else one picked from the active
 * editor's models. Undefined (with a message where something is wrong) when there is none.
 */
async function findModel(lookup: ModelLookup, uriArg: unknown, nameArg: unknown, title: string) {
  const fromLens = (uriArg instanceof vscode.Uri || typeof uriArg === 'string') && typeof nameArg === 'string';
  const doc = fromLens
    ? await documentAt(typeof uriArg === 'string' ? vscode.Uri.parse(uriArg) : (uriArg as vscode.Uri))
    : vscode.window.activeTextEditor?.document;
  if (!doc || doc.languageId !== 'python') {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a Python file or notebook with a PyTorch model.'));
    return undefined;
  }
  const found = await lookup.models(doc);
  const models = found?.models ?? [];
  if (fromLens) {
    const m = models.find((x) => x.report.name === nameArg);
    if (!m)
      void vscode.window.showWarningMessage(
        vscode.l10n.t('{0} no longer defines {1}.', vscode.workspace.asRelativePath(doc.uri), String(nameArg)),
      );
    return m && ({ doc, model: m } satisfies Found);
  }
  if (!models.length) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('No PyTorch model found in {0}.', vscode.workspace.asRelativePath(doc.uri)),
    );
    return undefined;
  }
  const item =
    models.length === 1
      ? modelItem(models[0])
      : await vscode.window.showQuickPick(models.map(modelItem), { title, matchOnDescription: true });
  return item && ({ doc, model: item.model } satisfies Found);
}

/**
 * The model's source for a run, or undefined after saying why not: the TensorFlow.js path's
 * model, else (a custom forward(), a layer tfjs lacks) the PyTorch path's, whose code runs only
 * in a trusted workspace.
 */
function trainable(m: LensModel): ModelSource | undefined {
  if (m.train.ok) return m.train.model;
  if (m.code && vscode.workspace.isTrusted) return m.code;
  const why = m.code
    ? vscode.l10n.t(
        '{0} is built by running its code, which runs only in a trusted workspace: trust this workspace to train it on PyTorch ({1})',
        m.report.name,
        m.train.why,
      )
    : vscode.l10n.t('{0} cannot be trained without running its code: {1}', m.report.name, m.train.why);
  void vscode.window.showErrorMessage(why);
  return undefined;
}

/** NiN: Train This Model — the recipe pick with this model's estimates, then a run of it. */
async function trainModel(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  lookup: ModelLookup,
  log: Log,
  uriArg: unknown,
  nameArg: unknown,
): Promise<void> {
  const found = await findModel(lookup, uriArg, nameArg, vscode.l10n.t('NiN: Train This Model'));
  const model = found && trainable(found.model);
  if (!found || !model) return;
  const name = found.model.report.name;
  await train(context, session, log, {
    model,
    // The file as it is when the run starts: an edit during the pick is what the user means to train.
    atStart: async () => {
      const again = (await lookup.models(found.doc))?.models.find((x) => x.report.name === name);
      if (!again) {
        void vscode.window.showWarningMessage(
          vscode.l10n.t('{0} no longer defines {1}.', vscode.workspace.asRelativePath(found.doc.uri), name),
        );
        return undefined;
      }
      return trainable(again);
    },
  });
}

/** NiN: Show Model in Panel — the model's architecture diagram, from the analysis. */
async function showModel(
  lookup: ModelLookup,
  showNetwork: (network: NetworkChoice) => void,
  uriArg: unknown,
  nameArg: unknown,
): Promise<void> {
  const found = await findModel(lookup, uriArg, nameArg, vscode.l10n.t('NiN: Show Model in Panel'));
  if (!found) return;
  if (!found.model.train.ok && found.model.code) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        '{0} is built by running its code; the panel draws only networks the analysis builds: {1}',
        found.model.report.name,
        found.model.train.why,
      ),
    );
    return;
  }
  const model = trainable(found.model);
  if (!model) return;
  showNetwork({ preset: MODEL_PRESET, input: model.input[1], model });
}

/** Register nin.trainModel and nin.showModel (arguments: a document URI and a model name, or none). */
export function registerModelCommands(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  lookup: ModelLookup,
  showNetwork: (network: NetworkChoice) => void,
  log: Log,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.trainModel, (uri?: unknown, name?: unknown) =>
      trainModel(context, session, lookup, log, uri, name),
    ),
    vscode.commands.registerCommand(COMMANDS.showModel, (uri?: unknown, name?: unknown) =>
      showModel(lookup, showNetwork, uri, name),
    ),
  );
}
