// Runs inside the VS Code extension host (Mocha TDD ui): "NiN: Train" on real Fashion-MNIST
// (the "Quick check on a subset" recipe: compact NiN, 28x28, 2 epochs of 4,000 images, 1,000
// test images), to `done`; then stop after the first checkpoint and resume to `done`.
// What the run did is read from its own log (metrics.jsonl), the file the panel restores from.
import * as assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeExtension, runDirs, runEvents, tempDir, until } from './helpers';

type Ev = ReturnType<typeof runEvents>[number];

/** Position of "Quick check on a subset" in the recipe quick pick (article, seed96, compact28, quick, ...). */
const QUICK_INDEX = 3;
const RUN_TIMEOUT_MS = Number(process.env.NIN_TEST_TRAIN_TIMEOUT_S ?? 600) * 1000;

/**
 * Runs "NiN: Train" and picks the quick recipe in its quick pick, as keyboard navigation would
 * (Home, then Down to the recipe, Enter): the command's handler shows the pick before its first
 * I/O, so once this turn of the event loop ends the pick is on screen and the navigation
 * commands sent after it reach it, in order. The picked recipe is then checked on the run's own
 * `start` event; a wrong one is stopped and fails the test.
 */
async function trainQuick(runsDir: string): Promise<string> {
  const before = new Set(runDirs(runsDir));
  let returned = false;
  const command = Promise.resolve(vscode.commands.executeCommand('nin.train')).finally(() => (returned = true));
  await new Promise((r) => setImmediate(r));
  await vscode.commands.executeCommand('quickInput.first');
  for (let i = 0; i < QUICK_INDEX; i++) await vscode.commands.executeCommand('quickInput.next');
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  try {
    await until(
      '"NiN: Train" to return after the recipe was picked',
      () => (returned ? true : undefined),
      120_000,
      100,
    );
  } catch (e) {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    throw e;
  }
  await command;
  const runDir = await until(
    'a new run folder under nin.runsFolder',
    () => runDirs(runsDir).find((d) => !before.has(d)),
    120_000,
    250,
  );
  const start = await until(
    'the run\'s "start" event',
    () => runEvents(runDir).find((e) => e.type === 'start'),
    120_000,
    250,
  );
  const config = start.config as { preset: string; input: number; limitTrain: number; epochs: number };
  if (config.limitTrain !== 4000 || config.preset !== 'compact') {
    await vscode.commands.executeCommand('nin.stop');
    await ended(runDir).catch(() => undefined);
    assert.fail(`the quick pick started another recipe than "Quick check": ${JSON.stringify(config)}`);
  }
  return runDir;
}

/** Waits for the run to end (done, stopped or error) and returns that event. */
function ended(runDir: string, after = 0): Promise<Ev> {
  return until(
    `the run in ${runDir} to end`,
    () =>
      runEvents(runDir)
        .slice(after)
        .find((e) => e.type === 'done' || e.type === 'stopped' || e.type === 'error'),
    RUN_TIMEOUT_MS,
    500,
  );
}

suite('NiN: Train on real Fashion-MNIST', function () {
  this.timeout(RUN_TIMEOUT_MS * 2 + 240_000);
  let runsDir = '';

  suiteSetup(async () => {
    runsDir = tempDir('nin-runs-');
    await vscode.workspace.getConfiguration('nin').update('runsFolder', runsDir, vscode.ConfigurationTarget.Global);
  });
  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('nin').update('runsFolder', undefined, vscode.ConfigurationTarget.Global);
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
    // Without tfjs-node (as here), the wasm backend trains, with our FMA kernel in VS Code's runtime too.
    if (start.backend === 'wasm') assert.match(String(start.backendReason), /fused multiply-add convolutions/);
    else assert.equal(start.backend, 'tensorflow');
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
