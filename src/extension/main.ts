/**
 * Extension entry point. Activation stays light: nothing here loads TensorFlow.js; the
 * training worker, panels and language providers are created on first use.
 */
import * as vscode from 'vscode';
import { registerLanguageFeatures } from './language';

/** Called by VS Code on the first activation event. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('NiN', { log: true });
  context.subscriptions.push(log);
  registerLanguageFeatures(context, log);
  log.info('NiN extension activated');
}

/** Called by VS Code on shutdown; disposables in `context.subscriptions` are released. */
export function deactivate(): void {}
