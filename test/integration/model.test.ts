// Runs inside the VS Code extension host (Mocha TDD ui): "Train the model you wrote". A workspace
// file holds the article's NiN with one 1x1 convolution per nin_block, sized for 28x28
// (test/fixtures/codelens/nin_one1x1_28.py). Its code lens states PyTorch's parameter count
// (measured into a fixture by test/reference/codelens_models.py), NiN: Train This Model trains it
// on the quick recipe to `done` on TensorFlow.js (no Python: nin.pythonPath points nowhere), the
// run's network has the reader's blocks, and the Runs overlay labels it beside a built-in run.
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { diagramLayout, english } from '../../src/model/diagram';
import { inferShapes } from '../../src/model/shapes';
import { specOf } from '../../src/model/spec';
import { readCurves } from '../../src/runs';
import {
  activeExtension,
  ended,
  pickQuickRecipe,
  RUN_TIMEOUT_MS,
  runEvents,
  tempDir,
  until,
  webviewTabs,
  type StartEv,
} from './helpers';

/** The repository this suite was built in (out/test/integration/..): an installed VSIX has no test/. */
const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'codelens');
/** The built-in networks as PyTorch counts them (test/reference/nin_shapes.py). */
const presetsTorch = (
  JSON.parse(readFileSync(path.join(FIXTURES, '..', 'pytorch-nin-shapes.json'), 'utf8')) as {
    presets: Record<'seed' | 'compact', { input: number[]; params: number }[]>;
  }
).presets;
const compactParams = presetsTorch.compact.find((c) => c.input[1] === 28)!.params;
/** The article's network at 224x224 (its notebook's `# input shape: 1 * 224 * 224`). */
const seedParams = presetsTorch.seed.find((c) => c.input[1] === 224)!.params;
const torch = JSON.parse(readFileSync(path.join(FIXTURES, 'nin_one1x1_28.torch.json'), 'utf8')) as {
  model: string;
  input: number[];
  output: number[];
  params: number;
  blocks: number[][][];
};
/** The workspace's copy (test/e2e/workspace.ts), else one made next to the runs. */
const VARIANT = 'nin_one1x1.py';

const titles = (lenses: readonly vscode.CodeLens[] | undefined) => (lenses ?? []).map((l) => l.command?.title ?? '');

/** The lenses of `doc` once one of them satisfies `ok` (the first analysis may still be running). */
function lensesUntil(doc: vscode.TextDocument, what: string, ok: (titles: string[]) => boolean) {
  return until(
    what,
    async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      return ok(titles(lenses)) ? lenses : undefined;
    },
    30_000,
    200,
  );
}

/** `command` (args) on the quick recipe (4,000 images, 2 epochs): the run folder and its start event. */
const trainQuick = (runsDir: string, command: string, ...args: unknown[]): Promise<[string, StartEv]> =>
  pickQuickRecipe(runsDir, command, args, {
    pickTimeoutMs: 120_000,
    isQuick: (c) => c.limitTrain === 4000 && c.epochs === 2,
  });

suite('Code lens: train the model you wrote (TensorFlow.js, no Python)', function () {
  this.timeout(RUN_TIMEOUT_MS * 2 + 240_000);
  let runsDir = '';
  let file = '';
  let doc: vscode.TextDocument;
  let modelRun = '';
  const config = () => vscode.workspace.getConfiguration('nin');

  suiteSetup(async () => {
    runsDir = tempDir('nin-model-runs-');
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    file = ws && existsSync(path.join(ws, VARIANT)) ? path.join(ws, VARIANT) : path.join(runsDir, '..', VARIANT);
    if (!existsSync(file)) copyFileSync(path.join(FIXTURES, 'nin_one1x1_28.py'), file);
    await config().update('runsFolder', runsDir, vscode.ConfigurationTarget.Global);
    // Nothing here may need Python: a PyTorch engine or interpreter search would fail on this.
    await config().update('pythonPath', path.join(runsDir, 'no-python-here'), vscode.ConfigurationTarget.Global);
    await activeExtension();
    doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
  });
  suiteTeardown(async () => {
    await config().update('runsFolder', undefined, vscode.ConfigurationTarget.Global);
    await config().update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
    rmSync(runsDir, { recursive: true, force: true });
  });

  test("the lens on nin() offers training with PyTorch's parameter count and the input, and Show in panel; an edit to 7 classes makes it say why not", async () => {
    const want = `$(play) Train on Fashion-MNIST · ${torch.params.toLocaleString('en-US')} params · ${torch.input.join('×')}`;
    const lenses = await lensesUntil(doc, `the lens "${want}"`, (t) => t.includes(want));
    const defLine = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.startsWith('def nin('));
    const train = lenses.find((l) => l.command?.title === want)!;
    const show = lenses.find((l) => l.command?.title === 'Show in panel');
    assert.ok(show, `no "Show in panel" lens: ${JSON.stringify(titles(lenses))}`);
    assert.equal(train.range.start.line, defLine, 'the lens stands on the def line of nin()');
    assert.equal(show.range.start.line, defLine);
    assert.equal(train.command?.command, 'nin.trainModel');
    assert.deepEqual(train.command?.arguments?.[1], torch.model);
    assert.equal(show.command?.command, 'nin.showModel');
    assert.equal(lenses.length, 2, `lenses: ${JSON.stringify(titles(lenses))}`);

    // The last block gives 7 channels: no longer Fashion-MNIST's 10 classes.
    const text = doc.getText();
    const at = text.indexOf('nin_block(128, 10,');
    assert.ok(at > 0, 'the fixture has the last block nin_block(128, 10, ...)');
    const range = new vscode.Range(
      doc.positionAt(at + 'nin_block(128, '.length),
      doc.positionAt(at + 'nin_block(128, 10'.length),
    );
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, range, '7');
    assert.ok(await vscode.workspace.applyEdit(edit));
    try {
      const after = await lensesUntil(doc, 'the lens to say why not', (t) =>
        t.some((x) => x.includes('Not trainable')),
      );
      assert.deepEqual(titles(after), [
        '$(circle-slash) Not trainable here: ends in 7, not the 10 class scores of Fashion-MNIST',
      ]);
      assert.equal(after[0].command?.command, 'nin.trainModel', 'its command shows the whole reason');
    } finally {
      const back = new vscode.WorkspaceEdit();
      back.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
      await vscode.workspace.applyEdit(back);
      await doc.save();
    }
    await lensesUntil(doc, 'the lens back after the undo', (t) => t.includes(want));
  });

  test("in the article as a notebook the lens stands on the nin() cell, with the article's parameter count at 1×224×224; nin.codeLens = false hides it", async () => {
    const nb = await vscode.workspace.openNotebookDocument(
      vscode.Uri.file(path.join(FIXTURES, '..', 'pyshape', 'nin_article.ipynb')),
    );
    await vscode.window.showNotebookDocument(nb);
    try {
      const [helperCell, ninCell] = [nb.cellAt(0).document, nb.cellAt(1).document];
      const want = `$(play) Train on Fashion-MNIST · ${seedParams.toLocaleString('en-US')} params · 1×224×224`;
      const lenses = await lensesUntil(ninCell, `the lens "${want}" in the second cell`, (t) => t.includes(want));
      const defLine = ninCell
        .getText()
        .split('\n')
        .findIndex((l) => l.startsWith('def nin('));
      assert.deepEqual(
        lenses.map((l) => [l.range.start.line, l.command?.title]),
        [
          [defLine, want],
          [defLine, 'Show in panel'],
        ],
      );
      assert.equal(lenses[0].command?.arguments?.[0].toString(), ninCell.uri.toString());
      const first = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        helperCell.uri,
      );
      assert.deepEqual(titles(first), [], 'the nin_block cell defines no model of its own');
      await config().update('codeLens', false, vscode.ConfigurationTarget.Global);
      const off = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        ninCell.uri,
      );
      assert.deepEqual(titles(off), []);
    } finally {
      await config().update('codeLens', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await vscode.window.showTextDocument(doc);
    }
  });

  test('NiN: Show Model in Panel opens the training panel on it', async () => {
    await vscode.commands.executeCommand('nin.showModel', doc.uri, torch.model);
    await until('the training panel tab', () => (webviewTabs('nin.trainingPanel').length ? true : undefined));
    await vscode.window.showTextDocument(doc);
  });

  test('NiN: Train This Model on the quick recipe trains it to done on TensorFlow.js; the run keeps the code and the blocks', async () => {
    const [runDir, start] = await trainQuick(runsDir, 'nin.trainModel', doc.uri, torch.model);
    modelRun = runDir;
    const c = start.config;
    assert.equal(c.preset, 'model');
    assert.equal(c.model?.name, torch.model);
    assert.equal(c.model?.file, file);
    assert.equal(c.model?.source, readFileSync(file, 'utf8'), 'the run records the file as it was at the start');
    assert.equal(c.input, torch.input[1], "the model's own input, which is also the quick recipe's");
    assert.equal(start.params, torch.params, "the network trained has PyTorch's parameter count");
    assert.notEqual(start.backend, 'pytorch');
    const end = await ended(runDir);
    assert.equal(end.type, 'done', `the run ended with ${JSON.stringify(end)}`);
    assert.deepEqual(
      runEvents(runDir)
        .filter((e) => e.type === 'epoch')
        .map((e) => e.epoch),
      [1, 2],
    );
    assert.ok(existsSync(path.join(String(end.modelDir), 'model.json')), `no model.json in ${end.modelDir}`);
    // What the panel draws for this run: the reader's blocks, each a kxk conv and ONE 1x1 conv.
    const blocks = diagramLayout(inferShapes(specOf(c)), english).blocks.filter((b) => b.id.startsWith('nin_block'));
    assert.deepEqual(
      blocks.map((b) => b.parts.map((p) => p.kind)),
      torch.blocks.map((convs) => convs.map(([k]) => (k === 1 ? 'conv1x1' : 'conv'))),
    );
    assert.deepEqual(
      blocks.map((b) => b.note),
      torch.blocks.map(([[k]]) => `${k}×${k} conv + one 1×1 conv (fully connected per pixel)`),
    );
  });

  test('the Runs overlay labels this run and a built-in compact run by network and parameters', async () => {
    assert.ok(modelRun, 'the model run of the previous test');
    const [builtIn, start] = await trainQuick(runsDir, 'nin.train');
    assert.equal(start.config.preset, 'compact');
    assert.equal((await ended(builtIn)).type, 'done');
    const curves = await Promise.all([modelRun, builtIn].map((d) => readCurves(d)));
    assert.deepEqual(
      curves.map((c) => [c.network, c.params, c.epochs.map((e) => e.epoch)]),
      [
        [torch.model, torch.params, [1, 2]],
        ['compact', compactParams, [1, 2]],
      ],
    );
    assert.ok(curves.every((c) => c.epochs.every((e) => typeof e.testAcc === 'number')));
  });
});
