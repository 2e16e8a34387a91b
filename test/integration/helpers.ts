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
