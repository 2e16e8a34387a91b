// Runs inside the VS Code extension host (Mocha TDD ui): the shape hover, inlay hints and
// diagnostics on the article's own code and a broken model.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'nin-lab.nin-vscode';

/** A fixture of the repository this suite was built in (out/test/integration/..): an installed VSIX has no test/. */
function fixtureUri(name: string): vscode.Uri {
  return vscode.Uri.file(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'pyshape', name));
}

async function open(name: string): Promise<vscode.TextDocument> {
  await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  const doc = await vscode.workspace.openTextDocument(fixtureUri(name));
  await vscode.window.showTextDocument(doc);
  return doc;
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function hoverText(hovers: readonly vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

suite('NiN shape hovers, inlay hints and diagnostics', function () {
  this.timeout(60_000);

  test("hovering nin_block(96, 256, ...) in the article's code shows 256x26x26", async () => {
    const doc = await open('article_nin.py');
    const line = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('nin_block(96, 256'));
    const pos = new vscode.Position(line, doc.lineAt(line).text.indexOf('nin_block') + 3);
    const text = await until('a hover', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
      const t = hoverText(hovers ?? []);
      return t.includes('256x26x26') ? t : undefined;
    });
    assert.match(text, /96x26x26 → 256x26x26/);
    assert.match(text, /746,240/);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
  });

  test('inlay hints end the lines of the ten layers with their output shapes', async () => {
    const doc = await open('article_nin.py');
    const range = new vscode.Range(0, 0, doc.lineCount, 0);
    const hints = await until('inlay hints', async () => {
      const h = await vscode.commands.executeCommand<vscode.InlayHint[]>(
        'vscode.executeInlayHintProvider',
        doc.uri,
        range,
      );
      return h && h.length ? h : undefined;
    });
    const byLine = new Map(
      hints.map((h) => [
        h.position.line + 1,
        typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''),
      ]),
    );
    const expected: [number, string][] = [
      [17, '96x54x54'],
      [19, '96x26x26'],
      [21, '256x26x26'],
      [23, '256x12x12'],
      [25, '384x12x12'],
      [27, '384x5x5'],
      [28, '384x5x5'],
      [30, '10x5x5'],
      [32, '10x1x1'],
      [34, '10'],
    ];
    for (const [line, shape] of expected) assert.equal(byLine.get(line), `-> ${shape}`, `line ${line}`);
    assert.deepEqual(
      vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error),
      [],
    );
  });

  test('a wrong Linear in_features is an error on its line, with the right number', async () => {
    const doc = await open('broken_linear.py');
    const errors = await until('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
      return d.length ? d : undefined;
    });
    assert.equal(errors.length, 1);
    assert.equal(errors[0].range.start.line + 1, 12);
    assert.match(errors[0].message, /nn\.Linear\(400, 120\)/);
  });

  test('a channel mismatch inside a helper is reported at the call, pointing into the helper', async () => {
    const doc = await open('broken_channels.py');
    const errors = await until('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
      return d.length ? d : undefined;
    });
    assert.equal(errors[0].range.start.line + 1, 21);
    assert.equal(errors[0].relatedInformation?.[0].location.range.start.line, 2);
  });

  test('an MNIST script instantiating its Net only in main(): the hover says the input 1x28x28 was inferred from fc1', async () => {
    const doc = await open('mnist_main.py');
    const line = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('x = self.conv2(x)'));
    const pos = new vscode.Position(line, doc.lineAt(line).text.indexOf('conv2') + 2);
    const text = await until('a hover', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
      const t = hoverText(hovers ?? []);
      return t.includes('64x24x24') ? t : undefined;
    });
    assert.match(text, /32x26x26 → 64x24x24/);
    assert.match(text, /input 1x28x28, inferred from `fc1`/);
    assert.deepEqual(
      vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity !== vscode.DiagnosticSeverity.Information),
      [],
    );
  });

  test('nin.hover.inlayHints = false switches the hints off', async () => {
    const doc = await open('article_nin.py');
    const config = vscode.workspace.getConfiguration('nin');
    await config.update('hover.inlayHints', false, vscode.ConfigurationTarget.Global);
    try {
      const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>(
        'vscode.executeInlayHintProvider',
        doc.uri,
        new vscode.Range(0, 0, doc.lineCount, 0),
      );
      assert.deepEqual(hints ?? [], []);
    } finally {
      await config.update('hover.inlayHints', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
