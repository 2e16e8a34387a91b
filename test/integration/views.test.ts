// Runs inside the VS Code extension host (Mocha TDD ui): the side view and the training panel
// open through their commands, as the palette would run them.
import * as vscode from 'vscode';
import { activeExtension, requires, until, webviewTabs, wired } from './helpers';

suite('NiN views', function () {
  this.timeout(60_000);

  test('NiN: Show Architecture opens the side view', async () => {
    await activeExtension();
    // The command focuses the view; it rejects if the view or its container were missing.
    await vscode.commands.executeCommand('nin.showArchitecture');
    // What it shows is checked from the browser side (test/e2e/ui.ts), inside the webview.
  });

  test('NiN: Show Panel opens the training panel (a webview tab)', async function () {
    requires(this, wired().panel, 'main.ts does not register the panel yet');
    await activeExtension();
    await vscode.commands.executeCommand('nin.showPanel');
    await until('a tab of the nin.trainingPanel webview', () => (webviewTabs('nin.trainingPanel').length ? true : undefined));
  });
});
