// Runs inside the VS Code extension host: "NiN: Train" on the PyTorch engine (nin.backend
// pytorch, nin.pythonPath the interpreter with torch: NIN_TEST_PYTHON, default Debian's
// /usr/bin/python3, since the pyenv `python3` on the PATH here has no torch), the quick recipe
// on real Fashion-MNIST to `done`; then with nin.backend auto, which trains on the engine this
// machine's calibration finds faster. What each run did is read from its own log; the panel's
// view of the PyTorch run is checked from the browser side (test/e2e/uiPytorch.ts).
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeExtension, ended, RUN_TIMEOUT_MS, runEvents, tempDir, trainQuick } from './helpers';

const PYTHON = process.env.NIN_TEST_PYTHON ?? '/usr/bin/python3';

suite('NiN: Train on the PyTorch engine', function () {
  this.timeout(RUN_TIMEOUT_MS * 2 + 600_000);
  let runsDir = '';
  const nin = () => vscode.workspace.getConfiguration('nin');

  suiteSetup(async () => {
    runsDir = tempDir('nin-runs-pytorch-');
    await nin().update('runsFolder', runsDir, vscode.ConfigurationTarget.Global);
    await nin().update('pythonPath', PYTHON, vscode.ConfigurationTarget.Global);
  });
  suiteTeardown(async () => {
    for (const k of ['runsFolder', 'pythonPath', 'backend'])
      await nin().update(k, undefined, vscode.ConfigurationTarget.Global);
    rmSync(runsDir, { recursive: true, force: true });
  });

  test('nin.backend pytorch: the quick recipe trains to done on PyTorch, says its device, evaluates and saves the model', async function () {
    await activeExtension();
    await nin().update('backend', 'pytorch', vscode.ConfigurationTarget.Global);
    const runDir = await trainQuick(runsDir);
    const end = await ended(runDir);
    assert.equal(end.type, 'done', `the run ended with ${JSON.stringify(end)}`);
    const events = runEvents(runDir);
    const start = events.find((e) => e.type === 'start');
    assert.ok(start?.type === 'start');
    assert.equal(start.backend, 'pytorch');
    assert.match(
      start.backendReason,
      new RegExp(`^PyTorch \\d+\\.\\d+\\S* \\(${PYTHON}\\) on the (CPU|CUDA GPU|Apple MPS)`),
    );
    assert.equal(start.trainSize, 4000);
    const evaluations = events.filter((e) => e.type === 'evaluation');
    assert.deepEqual(
      evaluations.map((e) => e.epoch),
      [1, 2],
    );
    for (const e of evaluations) {
      const counted = e.confusion.flat().reduce((a, b) => a + b, 0);
      assert.equal(counted, 1000, 'the confusion matrix counts every test image once');
      assert.ok(e.samples.length > 0, 'test images for the gallery');
    }
    assert.equal(end.testAcc, evaluations[1].testAcc);
    assert.ok(existsSync(path.join(end.modelDir, 'model.json')), `no model.json in ${end.modelDir}`);
  });

  test('nin.backend auto: the run trains to done on the engine the calibration chose, and its config names it', async function () {
    await activeExtension();
    await nin().update('backend', 'auto', vscode.ConfigurationTarget.Global);
    const runDir = await trainQuick(runsDir);
    const end = await ended(runDir);
    assert.equal(end.type, 'done', `the run ended with ${JSON.stringify(end)}`);
    const start = runEvents(runDir).find((e) => e.type === 'start');
    assert.ok(start?.type === 'start');
    const saved = JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8')) as { backend: string };
    // PyTorch runs with its own name; a TensorFlow.js run keeps `auto` and names its backend.
    if (start.backend === 'pytorch') assert.equal(saved.backend, 'pytorch');
    else assert.deepEqual([saved.backend, start.backend], ['auto', 'wasm']);
  });
});
