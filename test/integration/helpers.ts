// Shared by the integration tests (bundled into each; not a test file itself).
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainEvent } from '../../src/protocol';
import { parseMetrics, runPaths } from '../../src/runs';

/** The extension's identifier (publisher.name in package.json). */
export const EXTENSION_ID = 'nin-lab.nin-vscode';

/** The extension, activated. */
export async function activeExtension(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded in this VS Code`);
  await ext.activate();
  return ext;
}

/** Polls `f` until it returns a value (not undefined); fails naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A run's events as the engine logged them, validated (a half-written last line is skipped). */
export function runEvents(runDir: string): TrainEvent[] {
  const file = runPaths(runDir).metrics;
  return existsSync(file) ? parseMetrics(readFileSync(file, 'utf8'), file).events : [];
}

/** The run folders under `runsDir` (those holding a metrics log). */
export function runDirs(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .map((n) => path.join(runsDir, n))
    .filter((d) => existsSync(runPaths(d).metrics));
}

/** Open tabs showing a webview of this view type (VS Code may prefix the type). */
export function webviewTabs(viewType: string): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType));
}

/** One event of a run's log. */
export type Ev = ReturnType<typeof runEvents>[number];

/** Position of "Quick check on a subset" in the recipe quick pick (article, seed96, compact28, quick, ...). */
const QUICK_INDEX = 3;
/** How long one training run may take (NIN_TEST_TRAIN_TIMEOUT_S, default 600). */
export const RUN_TIMEOUT_MS = Number(process.env.NIN_TEST_TRAIN_TIMEOUT_S ?? 600) * 1000;

/** A run's `start` event. */
export type StartEv = Extract<Ev, { type: 'start' }>;

/**
 * Runs `command` (with `args`) and picks the quick recipe in its quick pick, as keyboard
 * navigation would (Home, then Down to the recipe, Enter): the command's handler shows the pick
 * before its first I/O, so once this turn of the event loop ends the pick is on screen and the
 * navigation commands sent after it reach it, in order. The picked recipe is then checked on the
 * run's own `start` event (`isQuick`); a wrong one is stopped and fails the test. Returns the new
 * run folder and its start event.
 */
export async function pickQuickRecipe(
  runsDir: string,
  command: string,
  args: readonly unknown[],
  opts: { readonly pickTimeoutMs: number; readonly isQuick: (config: StartEv['config']) => boolean },
): Promise<[string, StartEv]> {
  const before = new Set(runDirs(runsDir));
  let returned = false;
  const running = Promise.resolve(vscode.commands.executeCommand(command, ...args)).finally(() => (returned = true));
  await new Promise((r) => setImmediate(r));
  await vscode.commands.executeCommand('quickInput.first');
  for (let i = 0; i < QUICK_INDEX; i++) await vscode.commands.executeCommand('quickInput.next');
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  try {
    await until(
      `${command} to return after the recipe was picked`,
      () => (returned ? true : undefined),
      opts.pickTimeoutMs,
      100,
    );
  } catch (e) {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    throw e;
  }
  await running;
  const runDir = await until(
    'a new run folder under nin.runsFolder',
    () => runDirs(runsDir).find((d) => !before.has(d)),
    120_000,
    250,
  );
  const start = await until(
    'the run\'s "start" event',
    () => runEvents(runDir).find((e): e is StartEv => e.type === 'start'),
    120_000,
    250,
  );
  if (!opts.isQuick(start.config)) {
    await vscode.commands.executeCommand('nin.stop');
    await ended(runDir).catch(() => undefined);
    assert.fail(
      `the quick pick started another recipe than "Quick check": ${JSON.stringify(start.config).slice(0, 300)}`,
    );
  }
  return [runDir, start];
}

/** "NiN: Train" on the quick recipe (compact, 4,000 images); returns the new run folder. */
export async function trainQuick(runsDir: string): Promise<string> {
  const [runDir] = await pickQuickRecipe(runsDir, 'nin.train', [], {
    // with nin.backend auto the pick waits for both engines' calibration
    pickTimeoutMs: 300_000,
    isQuick: (c) => c.limitTrain === 4000 && c.preset === 'compact',
  });
  return runDir;
}

/** Waits for the run to end (done, stopped or error) and returns that event. */
export function ended(runDir: string, after = 0): Promise<Ev> {
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
