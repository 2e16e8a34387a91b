// Runs inside the VS Code extension host (Mocha TDD ui): the training panel opens through its
// command, as the palette would run it. The side view has no host-side handle to observe; what
// it shows is checked inside its webview by the browser-side suite (test/e2e/ui.ts, "NiN: Show
// Architecture opens the side view with the network block by block").
import * as vscode from 'vscode';
import { activeExtension, until, webviewTabs } from './helpers';

suite('NiN views', function () {
  this.timeout(60_000);

  test('NiN: Show Panel opens the training panel (a webview tab)', async function () {
    await activeExtension();
    await vscode.commands.executeCommand('nin.showPanel');
    await until('a tab of the nin.trainingPanel webview', () =>
      webviewTabs('nin.trainingPanel').length ? true : undefined,
    );
  });
});
