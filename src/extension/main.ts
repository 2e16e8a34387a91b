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

/** How long deactivation waits for a run to stop and checkpoint (VS Code allows an extension about 5 s). */
const SHUTDOWN_STOP_MS = 4000;

let shutdown: (() => Promise<void>) | undefined;

/** Called by VS Code on the first activation event. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('NiN', { log: true });
  context.subscriptions.push(log);
  const language = registerLanguageFeatures(context, log);
  const session = createSession(context, engineFactory, log);
  shutdown = () => session.shutdown(SHUTDOWN_STOP_MS);
  registerCommands(context, session, log);
  registerSideView(context, session, log);
  const panel = createPanel(context, session, log);
  context.subscriptions.push(...panel.disposables);
  registerModelCommands(context, session, language.models, panel.showNetwork, log);
  log.info('NiN extension activated');
}

/**
 * Called by VS Code on shutdown (a closed or reloaded window too), before the disposables in
 * `context.subscriptions` are released: a run in progress stops and checkpoints first.
 */
export function deactivate(): Promise<void> | undefined {
  const s = shutdown;
  shutdown = undefined;
  return s?.();
}
