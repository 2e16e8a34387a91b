/**
 * Writing a run folder: create it (never shared by two runs), its config (atomically), and
 * its metrics log (one appended line per event).
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { networkName } from '../model/spec';
import type { TrainConfig, TrainEvent } from '../protocol/index';
import { runPaths } from './layout';

/** Write `value` as JSON to `file` through a temp file and a rename; a failure names the file and leaves no temp file. */
export function writeJsonAtomically(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`${file}: cannot write (${(e as Error).message})`);
  }
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Create a fresh run folder `<runsDir>/<time>-<preset><input>-<optimizer>[-n]`. */
export function createRunFolder(runsDir: string, config: TrainConfig): { runId: string; runDir: string } {
  const root = resolve(runsDir);
  mkdirSync(root, { recursive: true });
  // A model's name as a folder name: `nin()` -> `nin`.
  const network = networkName(config).replace(/[^A-Za-z0-9_-]+/g, '');
  const base = `${stamp()}-${network}${config.input}-${config.optimizer}`;
  for (let i = 1; ; i++) {
    const runId = i === 1 ? base : `${base}-${i}`;
    const runDir = join(root, runId);
    try {
      mkdirSync(runDir); // not recursive: fails when it exists, so two runs never share a folder
      return { runId, runDir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Write the run's config.json atomically. */
export function writeRunConfig(runDir: string, config: TrainConfig): void {
  writeJsonAtomically(runPaths(runDir).config, config);
}

/** Append one event to the run's metrics.jsonl (`prepare` events are progress, not history). */
export function appendRunEvent(runDir: string, event: TrainEvent): void {
  if (event.type === 'prepare') return;
  const file = runPaths(runDir).metrics;
  try {
    appendFileSync(file, JSON.stringify(event) + '\n');
  } catch (e) {
    throw new Error(`${file}: cannot append (${(e as Error).message})`);
  }
}
