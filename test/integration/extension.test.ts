// Runs inside the VS Code extension host (Mocha TDD ui): the extension as VS Code sees it:
// activation, the manifest's commands and settings, and a setting read back by the extension.
// The lists come from the manifest, so a new command or setting is checked without editing this.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'nin-lab.nin-vscode';

interface Manifest {
  activationEvents?: string[];
  contributes?: {
    commands?: { command: string; title: string }[];
    configuration?:
      { properties?: Record<string, { default?: unknown }> } | { properties?: Record<string, { default?: unknown }> }[];
  };
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded in this VS Code`);
  return ext;
}

function manifest(): Manifest {
  return extension().packageJSON as Manifest;
}

function settingDefaults(): [string, unknown][] {
  const c = manifest().contributes?.configuration;
  const blocks = Array.isArray(c) ? c : c ? [c] : [];
  return blocks.flatMap((b) => Object.entries(b.properties ?? {}).map(([k, v]) => [k, v.default] as [string, unknown]));
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

suite('NiN extension in VS Code', function () {
  this.timeout(60_000);

  test('activates without errors', async () => {
    const ext = extension();
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('every command the manifest contributes is registered', async () => {
    await extension().activate();
    const contributed = (manifest().contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'the manifest contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  test('every contributed setting is known to VS Code with the manifest default', () => {
    const defaults = settingDefaults();
    assert.ok(defaults.length > 0, 'the manifest contributes no settings');
    for (const [key, def] of defaults) {
      const inspected = vscode.workspace.getConfiguration().inspect(key);
      assert.ok(inspected, `setting ${key} unknown to VS Code`);
      assert.deepEqual(inspected.defaultValue, def, `default of ${key}`);
    }
  });

  test('the extension reads nin.hover.inputShape: a file without a shape comment follows it', async () => {
    await extension().activate();
    // The article's helper and the first lines of nin(), without the "# input shape" comment.
    const doc = await vscode.workspace.openTextDocument({
      language: 'python',
      content: [
        'def nin_block(in_channels, out_channels, kernel_size, strides, padding):',
        '    return nn.Sequential(',
        '        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding),',
        '        nn.ReLU(),',
        '        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),',
        '        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())',
        '',
        'net = nn.Sequential(',
        '    nin_block(1, 96, kernel_size=11, strides=4, padding=0),',
        '    nn.MaxPool2d(kernel_size=3, stride=2),',
        '    nin_block(96, 256, kernel_size=5, strides=1, padding=2))',
        '',
      ].join('\n'),
    });
    const line = 10;
    const pos = new vscode.Position(line, doc.lineAt(line).text.indexOf('nin_block') + 3);
    const hoverFor = (shape: string) =>
      until(`a hover showing ${shape}`, async () => {
        const hovers =
          (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos)) ?? [];
        const text = hovers
          .flatMap((h) => h.contents)
          .map((c) => (typeof c === 'string' ? c : c.value))
          .join('\n');
        return text.includes(shape) ? text : undefined;
      });
    const config = vscode.workspace.getConfiguration('nin');
    // Default 1,224,224: 224 -> conv 11/4 -> 54 -> pool 3/2 -> 26.
    await hoverFor('256x26x26');
    await config.update('hover.inputShape', '1,96,96', vscode.ConfigurationTarget.Global);
    try {
      // 96 -> conv 11/4 -> 22 -> pool 3/2 -> 10.
      const text = await hoverFor('256x10x10');
      assert.match(text, /96x10x10 → 256x10x10/);
    } finally {
      await config.update('hover.inputShape', undefined, vscode.ConfigurationTarget.Global);
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });
});
