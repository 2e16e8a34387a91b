/**
 * The "Architecture" webview view in the NiN activity-bar container: the current settings'
 * network block by block. Strict CSP (default-src 'none', a nonce for the one script), local
 * resources from out/webview and media only, every message from the webview validated.
 */
import * as vscode from 'vscode';
import { validateSideViewMessage, type HostToSideView } from '../../protocol/index';
import { ARCHITECTURE_VIEW } from '../commands';
import { COMMANDS } from '../runFeed';
import type { TrainingSession } from '../session';
import { readHostSettings } from '../settingsHost';
import { makeNonce } from '../pageHtml';
import { webviewPage } from '../webviewPage';
import { buildSideViewState } from './state';

type Log = Pick<vscode.LogOutputChannel, 'warn' | 'trace'>;

/** HTML of the view: CSP with a nonce, the bundled script and the stylesheet as webview URIs. */
export function sideViewHtml(webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>, extensionUri: vscode.Uri, nonce: string, lang: string): string {
  return webviewPage(webview, extensionUri, { bundle: 'sideView', lang, nonce });
}

/** Provides the architecture view and keeps it in step with the settings and the session. */
export class SideViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly session: TrainingSession,
    private readonly log: Log,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('nin')) this.post();
      }),
      session.onDidChangeState(() => this.post()),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const { extensionUri } = this.context;
    view.webview.options = {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
    view.webview.html = sideViewHtml(view.webview, extensionUri, makeNonce(), vscode.env.language);
    this.disposables.push(
      view.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      view.onDidChangeVisibility(() => {
        if (view.visible) this.post();
      }),
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
      }),
    );
  }

  private receive(m: unknown): void {
    const v = validateSideViewMessage(m);
    if (!v.ok) {
      this.log.warn(`side view: ignored a message: ${v.error}`);
      return;
    }
    const msg = v.value;
    switch (msg.type) {
      case 'ready':
        this.post();
        break;
      case 'reveal':
        // The training panel implements nin.revealBlock(name, index).
        void vscode.commands.executeCommand(COMMANDS.revealBlock, msg.name, msg.index);
        break;
      case 'openSettings':
        void vscode.commands.executeCommand('workbench.action.openSettings', msg.setting ?? 'nin.');
        break;
      case 'train':
        void vscode.commands.executeCommand(COMMANDS.train);
        break;
    }
  }

  /** Send the current state (when the view exists). */
  post(): void {
    if (!this.view) return;
    const host = readHostSettings(this.context);
    const state = buildSideViewState(
      host.settings,
      host.issues.map((i) => i.message),
      this.session.running,
      vscode.l10n.t,
    );
    const message: HostToSideView = { type: 'state', state };
    void this.view.webview.postMessage(message);
    this.log.trace(`side view: ${state.preset} ${state.input.join('x')}${state.error ? ` (${state.error})` : ''}`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Register the architecture view provider. */
export function registerSideView(context: vscode.ExtensionContext, session: TrainingSession, log: Log): SideViewProvider {
  const provider = new SideViewProvider(context, session, log);
  context.subscriptions.push(provider, vscode.window.registerWebviewViewProvider(ARCHITECTURE_VIEW, provider));
  return provider;
}
