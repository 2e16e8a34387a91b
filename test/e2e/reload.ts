/**
 * Reloading the window mid-run leaves a resumable run (browser side, after the UI checks): in a
 * fresh window, "NiN: Train" starts the quick recipe; once its epoch-1 checkpoint is logged the
 * window is reloaded (Developer: Reload Window), which shuts its extension host down. The run
 * folder must then hold a checkpoint, no temp file, and a lock that is released or whose
 * process is gone; "NiN: Resume Training" in the reloaded window must continue it to `done`,
 * each epoch evaluated once. Read from the run's own files, as the extension reads them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { TrainEvent } from '../../src/protocol/index';
import { epochRecords, parseMetrics, runPaths } from '../../src/runs';
import { dismissToasts, openFile, pickRow, runCommand, type UiCheck } from './ui';
import { waitFor } from './workspace';

/** Where the window opens and where its runs go. */
export interface ReloadOptions {
  /** The workbench URL (the extension in development mode, no tests). */
  readonly url: string;
  /** The runs folder the extension uses for this workspace (its default: <workspace>/.nin/runs). */
  readonly runsDir: string;
  readonly resultsDir: string;
  readonly trainTimeoutMs: number;
}

const events = (runDir: string): TrainEvent[] => {
  const file = runPaths(runDir).metrics;
  return existsSync(file) ? parseMetrics(readFileSync(file, 'utf8'), file).events : [];
};

const runFolders = (runsDir: string): string[] =>
  existsSync(runsDir) ? readdirSync(runsDir).map((n) => path.join(runsDir, n)) : [];

/** The run lock's state: released, stale (its process is gone), or the live process holding it. */
function lockState(runDir: string): 'released' | 'stale' | { pid: number } {
  const file = runPaths(runDir).lock;
  if (!existsSync(file)) return 'released';
  const owner = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; host: string };
  if (owner.host !== hostname()) return { pid: owner.pid };
  try {
    process.kill(owner.pid, 0);
    return { pid: owner.pid };
  } catch {
    return 'stale';
  }
}

/** Temp files of the atomic writers (`.x.tmp-PID...`) anywhere in the run folder. */
const tempFiles = (runDir: string): string[] =>
  readdirSync(runDir, { recursive: true })
    .map(String)
    .filter((f) => /\.tmp-\d+/.test(path.basename(f)));

async function workbench(page: Page): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120_000 });
  await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 120_000 });
}

/**
 * Runs a NiN command from the palette once the window lists it: a palette opened before the
 * extension's contributions are registered keeps showing "No matching commands", so it is
 * closed and opened again.
 */
async function paletteCommand(page: Page, title: string): Promise<void> {
  await waitFor(
    `"${title}" in the command palette`,
    async () => {
      try {
        await runCommand(page, title);
        return true;
      } catch {
        await page.keyboard.press('Escape');
        return undefined;
      }
    },
    180_000,
    1000,
  );
}

/** Train, reload mid-run, check the folder, resume to done. */
export async function reloadChecks(browser: Browser, opts: ReloadOptions): Promise<UiCheck[]> {
  const out: UiCheck[] = [];
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const step = async (name: string, f: () => Promise<string>): Promise<boolean> => {
    try {
      out.push({ name, ok: true, detail: await f() });
    } catch (e) {
      const shot = path.join(opts.resultsDir, 'failure-reload.png');
      await page.screenshot({ path: shot }).catch(() => undefined);
      out.push({ name, ok: false, detail: `${e instanceof Error ? e.message.split('\n')[0] : e} (screen: ${shot})` });
    }
    const c = out[out.length - 1];
    console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
    return c.ok;
  };
  let runDir = '';
  let seen = 0;
  try {
    const started = await step('reload mid-run: the quick recipe trains to its epoch-1 checkpoint', async () => {
      await page.goto(opts.url);
      await workbench(page);
      // A Python file activates the extension, as a user's first step would.
      await openFile(page, 'nin.py');
      await dismissToasts(page);
      const before = new Set(runFolders(opts.runsDir));
      await paletteCommand(page, 'NiN: Train');
      await page.locator('.quick-input-widget .quick-input-box input').first().fill('Quick check');
      await pickRow(page, 'Quick check on a subset');
      runDir = await waitFor(
        'a new run folder',
        () => runFolders(opts.runsDir).find((d) => !before.has(d) && existsSync(runPaths(d).metrics)),
        120_000,
        500,
      );
      const ck = await waitFor(
        'the epoch-1 checkpoint',
        () => events(runDir).find((e) => e.type === 'checkpoint' && e.epoch >= 1),
        opts.trainTimeoutMs,
        250,
      );
      seen = events(runDir).length;
      return `${path.basename(runDir)}: ${ck.type === 'checkpoint' ? ck.path : ''}`;
    });
    if (!started) return out;

    const reloaded = await step(
      'reload mid-run: the old extension host lets go of the run (lock released or stale), a checkpoint, no temp file',
      async () => {
        const during = events(runDir).slice(seen);
        if (during.some((e) => e.type === 'done')) throw new Error('the run ended before the reload');
        await paletteCommand(page, 'Developer: Reload Window');
        await page.waitForLoadState('load', { timeout: 120_000 });
        await workbench(page);
        const lock = await waitFor(
          'the run lock to be released or stale',
          () => {
            const s = lockState(runDir);
            return typeof s === 'string' ? s : undefined;
          },
          60_000,
          250,
        ).catch(() => {
          throw new Error(`the run lock is still held by live process ${JSON.stringify(lockState(runDir))}`);
        });
        const after = events(runDir).slice(seen);
        const end = after.find((e) => e.type === 'stopped' || e.type === 'error' || e.type === 'done');
        if (end && end.type !== 'stopped') throw new Error(`the reload ended the run with ${JSON.stringify(end)}`);
        const ckDir = runPaths(runDir).checkpoints;
        const cks = existsSync(ckDir) ? readdirSync(ckDir).filter((f) => f.endsWith('.ckpt')) : [];
        if (!cks.length) throw new Error(`no checkpoint in ${ckDir}`);
        const temps = tempFiles(runDir);
        if (temps.length) throw new Error(`temp files left: ${temps.join(', ')}`);
        return `lock ${lock}; ${end ? `"stopped" in epoch ${end.epoch}` : 'no "stopped" event (the host was killed)'}; checkpoints ${cks.join(', ')}`;
      },
    );
    if (!reloaded) return out;

    await step('reload mid-run: NiN: Resume Training in the reloaded window continues it to done', async () => {
      const before = events(runDir).length;
      await dismissToasts(page);
      await paletteCommand(page, 'NiN: Resume Training');
      // One resumable run resumes at once; several are offered in a quick pick.
      const name = path.basename(runDir);
      const resumed = await waitFor(
        'the resumed run\'s "start" event',
        async () => {
          const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name });
          if (
            await row
              .first()
              .isVisible()
              .catch(() => false)
          )
            await pickRow(page, name).catch(() => undefined);
          return events(runDir)
            .slice(before)
            .find((e) => e.type === 'start');
        },
        120_000,
        500,
      );
      const end = await waitFor(
        'the resumed run to end',
        () =>
          events(runDir)
            .slice(before)
            .find((e) => e.type === 'done' || e.type === 'stopped' || e.type === 'error'),
        opts.trainTimeoutMs,
        500,
      );
      if (end.type !== 'done') throw new Error(`the resumed run ended with ${JSON.stringify(end)}`);
      const epochs = epochRecords(events(runDir)).map((e) => e.epoch);
      if (JSON.stringify(epochs) !== '[1,2]') throw new Error(`epochs ${JSON.stringify(epochs)}, expected [1,2]`);
      if (lockState(runDir) !== 'released') throw new Error('the finished run still holds its lock');
      await page.mouse.move(5, 450);
      await page.screenshot({ path: path.join(opts.resultsDir, 'reload-resumed.png') });
      const from = resumed.type === 'start' ? resumed.startEpoch : '?';
      return `resumed at epoch ${from}, done with test accuracy ${end.testAcc.toFixed(3)} (test-results/reload-resumed.png)`;
    });
  } finally {
    await page.close().catch(() => undefined);
  }
  return out;
}
