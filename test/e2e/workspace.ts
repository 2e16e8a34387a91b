/**
 * What both runners (code-server + Chromium, and @vscode/test-electron) prepare before VS Code
 * starts: fresh user-data and extensions folders, a temporary workspace holding the article's
 * Python code as `nin.py` and as the two cells of `nin.ipynb`, a reader's variant of it as
 * `nin_one1x1.py`, and the results-file path the suite writes to.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SuiteResults } from '../integration/index';

/** The repository root: this module runs from out/test/e2e/. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** The workspace's name for the reader's NiN variant (test/fixtures/codelens/nin_one1x1_28.py). */
export const VARIANT_NAME = 'nin_one1x1.py';

/** Folders of one run; everything lives under `dir` and is removed afterwards. */
export interface RunDirs {
  dir: string;
  userData: string;
  extensions: string;
  workspace: string;
  /** The article's code (first block `nin_block`, second block `nin()`), as the user would have it. */
  pythonFile: string;
  /** The same two blocks as the two code cells of a Jupyter notebook. */
  notebookFile: string;
  /** A reader's variant of the article's code: one 1x1 conv per nin_block, sized for 28x28 (the code lens trains it). */
  variantFile: string;
  results: string;
}

/**
 * Settings that keep a fresh profile quiet and deterministic: no welcome page, no
 * recommendations or update checks reaching for the network, no trust prompt.
 */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  // The suite's window must not hand its untitled editors to the next window.
  'files.hotExit': 'off',
  'editor.hover.delay': 100,
  // No fade-ins: a screenshot shows the final frame, not a half-transparent one.
  'workbench.reduceMotion': 'on',
  'window.commandCenter': false,
  'chat.commandCenter.enabled': false,
};

/** Creates the folders and the workspace for one run. */
export function makeRunDirs(prefix: string): RunDirs {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const d: RunDirs = {
    dir,
    userData: path.join(dir, 'user-data'),
    extensions: path.join(dir, 'extensions'),
    workspace: path.join(dir, 'workspace'),
    pythonFile: path.join(dir, 'workspace', 'nin.py'),
    notebookFile: path.join(dir, 'workspace', 'nin.ipynb'),
    variantFile: path.join(dir, 'workspace', VARIANT_NAME),
    results: path.join(dir, 'results.json'),
  };
  for (const p of [d.userData, d.extensions, d.workspace, path.join(d.userData, 'User')])
    mkdirSync(p, { recursive: true });
  writeFileSync(path.join(d.userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  // The article's two Python blocks, joined by a blank line, with the article's own
  // `# input shape: 1 * 224 * 224` comment (the fixture is exactly that text).
  copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'pyshape', 'article_nin.py'), d.pythonFile);
  copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'pyshape', 'nin_article.ipynb'), d.notebookFile);
  copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'codelens', 'nin_one1x1_28.py'), d.variantFile);
  return d;
}

/** Reads the suite's results file; undefined while it does not exist yet. */
export function readResults(file: string): SuiteResults | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as SuiteResults;
}

/** Prints the suite's outcome, one line per test, failures with their message. */
export function printResults(r: SuiteResults): void {
  for (const t of r.tests) {
    const mark = t.state === 'passed' ? 'ok  ' : t.state === 'pending' ? 'skip' : 'FAIL';
    console.log(`  ${mark} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
    if (t.error) console.log(t.error.replace(/^/gm, '       '));
  }
  if (r.fatal) console.log(`  FATAL: ${r.fatal}`);
  console.log(`integration suite: ${r.passed} passed, ${r.failed} failed, ${r.pending} pending`);
}

/** A failure whose message is the whole story (the runner adds the server log's tail). */
export class E2EError extends Error {}

/** Polls `cond` every `everyMs` until it returns a value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  cond: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new E2EError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
