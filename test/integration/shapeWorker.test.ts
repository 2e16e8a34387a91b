// Runs inside the VS Code extension host (Mocha TDD ui): the shape analysis runs in its worker,
// so a Python document the analyser refuses (3 MB, more than it reads) gets one information
// diagnostic naming why, while the host stays free: a timer on it keeps ticking, and hovers on
// other files are still answered.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activeExtension, until } from './helpers';

suite('NiN shapes off the extension host thread', function () {
  this.timeout(120_000);

  test('a 3 MB Python document is refused with a diagnostic saying why; the host keeps ticking', async () => {
    await activeExtension();
    let last = Date.now();
    let maxGapMs = 0;
    const tick = setInterval(() => {
      const now = Date.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 10);
    try {
      const content = 'x = 1  # a long generated file\n'.repeat(100_000);
      const doc = await vscode.workspace.openTextDocument({ language: 'python', content });
      await vscode.window.showTextDocument(doc);
      const diag = await until(
        'the "not analysed" diagnostic',
        () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'not-analysed'),
        60_000,
      );
      assert.match(diag.message, /^Shapes not analysed: .*\d+ characters, more than the 2097152 the analyser reads/);
      assert.equal(diag.severity, vscode.DiagnosticSeverity.Information);
      assert.equal(diag.range.start.line, 0);
    } finally {
      clearInterval(tick);
    }
    // The extension host shares its thread with every extension: it was never held for long.
    assert.ok(maxGapMs < 1000, `the extension host was held for ${maxGapMs} ms`);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
