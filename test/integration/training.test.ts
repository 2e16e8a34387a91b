// Runs inside the VS Code extension host (Mocha TDD ui): "NiN: Train" on real Fashion-MNIST
// (the "Quick check on a subset" recipe: compact NiN, 28x28, 2 epochs of 4,000 images, 1,000
// test images), to `done`; then stop after the first checkpoint and resume to `done`.
// What the run did is read from its own log (metrics.jsonl), the file the panel restores from.
import * as assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeExtension, ended, RUN_TIMEOUT_MS, runEvents, tempDir, trainQuick, until } from './helpers';

suite('NiN: Train on real Fashion-MNIST', function () {
  this.timeout(RUN_TIMEOUT_MS * 2 + 240_000);
  let runsDir = '';

  suiteSetup(async () => {
    runsDir = tempDir('nin-runs-');
    const nin = vscode.workspace.getConfiguration('nin');
    await nin.update('runsFolder', runsDir, vscode.ConfigurationTarget.Global);
    // The TensorFlow.js engine: with auto, a PyTorch found here may be the faster (pytorch.test.ts runs that).
    await nin.update('backend', 'wasm', vscode.ConfigurationTarget.Global);
  });
  suiteTeardown(async () => {
    const nin = vscode.workspace.getConfiguration('nin');
    await nin.update('runsFolder', undefined, vscode.ConfigurationTarget.Global);
    await nin.update('backend', undefined, vscode.ConfigurationTarget.Global);
    rmSync(runsDir, { recursive: true, force: true });
  });

  test('the quick recipe trains to done: two epochs evaluated, a checkpoint each, the model saved', async function () {
    await activeExtension();
    const runDir = await trainQuick(runsDir);
    const end = await ended(runDir);
    assert.equal(end.type, 'done', `the run ended with ${JSON.stringify(end)}`);
    const events = runEvents(runDir);
    const start = events.find((e) => e.type === 'start')!;
    assert.equal(start.trainSize, 4000);
    assert.equal(start.testSize, 1000);
    // The wasm backend trains, with our FMA kernel in VS Code's runtime too.
    assert.equal(start.backend, 'wasm');
    assert.match(String(start.backendReason), /fused multiply-add convolutions/);
    const epochs = events.filter((e) => e.type === 'epoch');
    assert.deepEqual(
      epochs.map((e) => e.epoch),
      [1, 2],
    );
    for (const e of epochs)
      assert.ok(typeof e.testAcc === 'number' && e.testAcc >= 0 && e.testAcc <= 1, JSON.stringify(e));
    assert.ok(
      events.some((e) => e.type === 'batch'),
      'no batch progress in the log',
    );
    assert.ok(existsSync(path.join(String(end.modelDir), 'model.json')), `no model.json in ${end.modelDir}`);
  });

  test('NiN: Stop after the first checkpoint, then NiN: Resume continues at epoch 2 to done', async function () {
    await activeExtension();
    const runDir = await trainQuick(runsDir);
    await until(
      'the epoch-1 checkpoint',
      () => runEvents(runDir).find((e) => e.type === 'checkpoint' && e.epoch === 1),
      RUN_TIMEOUT_MS,
      100,
    );
    await vscode.commands.executeCommand('nin.stop');
    const stopped = await ended(runDir);
    assert.equal(
      stopped.type,
      'stopped',
      `expected "stopped" (the stop came during epoch 2), got ${JSON.stringify(stopped)}`,
    );
    assert.ok(stopped.checkpoint, 'the stopped run names no checkpoint to resume from');

    const seen = runEvents(runDir).length;
    await vscode.commands.executeCommand('nin.resume', runDir);
    const restart = await until(
      'the resumed run\'s "start" event',
      () =>
        runEvents(runDir)
          .slice(seen)
          .find((e) => e.type === 'start'),
      120_000,
      250,
    );
    assert.equal(restart.startEpoch, 2, 'resume did not continue after the checkpointed epoch');
    const end = await ended(runDir, seen);
    assert.equal(end.type, 'done', `the resumed run ended with ${JSON.stringify(end)}`);
    const epochs = runEvents(runDir)
      .filter((e) => e.type === 'epoch')
      .map((e) => e.epoch);
    assert.deepEqual(epochs, [1, 2], 'each epoch evaluated exactly once across stop and resume');
  });
});
