// Runs inside the VS Code extension host (Mocha TDD ui): the article's two code blocks as the two
// cells of a Jupyter notebook (VS Code's built-in .ipynb support) are one program for the shapes.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'nin-lab.nin-vscode';

function fixtureUri(name: string): vscode.Uri {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  const root = ext ? ext.extensionUri.fsPath : path.resolve(__dirname, '..', '..', '..');
  return vscode.Uri.file(path.join(root, 'test', 'fixtures', 'pyshape', name));
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const label = (h: vscode.InlayHint): string =>
  typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');

/** The inlay hints of a cell, by 1-based line. */
async function hints(doc: vscode.TextDocument): Promise<Map<number, string>> {
  const h = await vscode.commands.executeCommand<vscode.InlayHint[]>(
    'vscode.executeInlayHintProvider',
    doc.uri,
    new vscode.Range(0, 0, doc.lineCount, 0),
  );
  return new Map((h ?? []).map((x) => [x.position.line + 1, label(x)]));
}

/** The article's shapes, by line of the second cell (the `nin()` block). */
const ARTICLE: [number, string][] = [
  [9, '96x54x54'],
  [11, '96x26x26'],
  [13, '256x26x26'],
  [15, '256x12x12'],
  [17, '384x12x12'],
  [19, '384x5x5'],
  [20, '384x5x5'],
  [22, '10x5x5'],
  [24, '10x1x1'],
  [26, '10'],
];

suite('NiN shapes in a Jupyter notebook (the article as two cells)', function () {
  this.timeout(90_000);
  let nb: vscode.NotebookDocument;

  suiteSetup(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    nb = await vscode.workspace.openNotebookDocument(fixtureUri('nin_article.ipynb'));
    await vscode.window.showNotebookDocument(nb);
  });

  suiteTeardown(async () => {
    // Leave the fixture as it is on disk.
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('hovering nin_block(96, 256, ...) in the second cell shows 96x26x26 -> 256x26x26 and 746,240 parameters', async () => {
    const doc = nb.cellAt(1).document;
    const line = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('nin_block(96, 256'));
    const pos = new vscode.Position(line, doc.lineAt(line).text.indexOf('nin_block') + 3);
    const text = await until('a hover with shapes', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
      const t = (hovers ?? [])
        .flatMap((h) => h.contents)
        .map((c) => (typeof c === 'string' ? c : c.value))
        .join('\n');
      return t.includes('256x26x26') ? t : undefined;
    });
    assert.match(text, /96x26x26 → 256x26x26/);
    assert.match(text, /746,240 parameters/);
    // The layers inside nin_block are in the first cell: the hover says so.
    assert.match(text, /nn\.Conv2d \(cell 0, line 3\)/);
  });

  test("the second cell's inlay hints show the article's shapes, and no cell has a diagnostic", async () => {
    const doc = nb.cellAt(1).document;
    const byLine = await until('the inlay hints', async () => {
      const h = await hints(doc);
      return h.size >= ARTICLE.length ? h : undefined;
    });
    for (const [line, shape] of ARTICLE) assert.equal(byLine.get(line), `-> ${shape}`, `line ${line}`);
    // The whole-notebook analysis has run once the hints are there; give its diagnostics a moment to land.
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of nb.getCells())
      assert.deepEqual(vscode.languages.getDiagnostics(c.document.uri), [], `cell ${c.index}`);
  });

  test("adding a cell above that redefines nin_block with other widths updates the second cell's hints", async () => {
    const wider = [
      'def nin_block(in_channels, out_channels, kernel_size, strides, padding):',
      '    return nn.Sequential(',
      '        nn.Conv2d(in_channels, out_channels * 2, kernel_size, strides, padding), nn.ReLU(),',
      '        nn.Conv2d(out_channels * 2, out_channels * 2, kernel_size=1), nn.ReLU())',
    ].join('\n');
    const edit = new vscode.WorkspaceEdit();
    edit.set(nb.uri, [
      vscode.NotebookEdit.insertCells(1, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, wider, 'python')]),
    ]);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const net = nb.cellAt(2).document;
    assert.match(net.getText(), /def nin\(\)/);
    const byLine = await until('hints from the redefined nin_block', async () => {
      const h = await hints(net);
      return h.get(9) === '-> 192x54x54' ? h : undefined;
    });
    assert.equal(byLine.get(11), '-> 192x26x26');
    // Deleting it brings the article's shapes back.
    const undo = new vscode.WorkspaceEdit();
    undo.set(nb.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(1, 2))]);
    assert.ok(await vscode.workspace.applyEdit(undo));
    await until('the article hints again', async () =>
      (await hints(nb.cellAt(1).document)).get(9) === '-> 96x54x54' ? true : undefined,
    );
  });
});
