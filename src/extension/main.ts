/**
 * Extension entry point. Activation stays light: nothing here loads TensorFlow.js; the
 * training engine (a worker) is created by the session on the first training or calibration,
 * and the views render from the shape inference alone.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { registerModelCommands } from './commandsTrainModel';
// The engine (a worker_threads Worker) comes from one place, so tests and other hosts can swap it.
import { engineFactory } from './engineFactory';
import { registerLanguageFeatures } from './language';
import { createPanel } from './panel';
import { createSession } from './session';
import { registerSideView } from './sideView/provider';

/** Called by VS Code on the first activation event. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('NiN', { log: true });
  context.subscriptions.push(log);
  const language = registerLanguageFeatures(context, log);
  const session = createSession(context, engineFactory, log);
  registerCommands(context, session, log);
  registerSideView(context, session, log);
  const panel = createPanel(context, session, log);
  context.subscriptions.push(...panel.disposables);
  registerModelCommands(context, session, language.models, panel.showNetwork, log);
  log.info('NiN extension activated');
}

/** Called by VS Code on shutdown; disposables in `context.subscriptions` are released. */
export function deactivate(): void {}
