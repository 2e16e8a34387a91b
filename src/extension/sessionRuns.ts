/**
 * The runs folder as the session reads it: each run folder holds `config.json` and
 * `metrics.jsonl` (one validated TrainEvent per line, appended by the engine). No `vscode`:
 * listing and summarising runs is plain file reading, unit-tested on real folders.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig, validateEvent, type TrainConfig, type TrainEvent } from '../protocol/index';

/** File names inside a run folder (written by the engine). */
export const RUN_FILES = { config: 'config.json', metrics: 'metrics.jsonl' } as const;

/** Where a run ended up, as its metrics log tells. */
export type RunStatus = 'done' | 'stopped' | 'error' | 'incomplete';

/** One run folder, summarised. */
export interface RunSummary {
  readonly dir: string;
  readonly name: string;
  readonly config?: TrainConfig;
  readonly status: RunStatus;
  /** Last completed epoch. */
  readonly epochs: number;
  /** Test accuracy after the last completed epoch. */
  readonly testAcc?: number;
  /** Path of the last checkpoint written, if any. */
  readonly checkpoint?: string;
  readonly modified: number;
  /** Lines of the log that did not validate (a truncated last line after a crash, say). */
  readonly badLines: number;
}

/** Parse a metrics log; invalid lines are counted, never thrown. */
export function parseMetrics(text: string): { events: TrainEvent[]; badLines: number } {
  const events: TrainEvent[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = validateEvent(JSON.parse(line));
      if (v.ok) events.push(v.value);
      else badLines++;
    } catch {
      badLines++;
    }
  }
  return { events, badLines };
}

/** The events of a run's log (empty when it has none yet). */
export function readRunEvents(dir: string): { events: TrainEvent[]; badLines: number } {
  const file = join(dir, RUN_FILES.metrics);
  if (!existsSync(file)) return { events: [], badLines: 0 };
  return parseMetrics(readFileSync(file, 'utf8'));
}

/** A run's config.json, validated; undefined when missing or invalid. */
export function readRunConfig(dir: string): TrainConfig | undefined {
  try {
    const v = validateConfig(JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')));
    return v.ok ? v.value : undefined;
  } catch {
    return undefined;
  }
}

/** Summarise a run from its events. */
export function summarizeEvents(events: readonly TrainEvent[]): Pick<RunSummary, 'status' | 'epochs' | 'testAcc' | 'checkpoint'> {
  let status: RunStatus = 'incomplete';
  let epochs = 0;
  let testAcc: number | undefined;
  let checkpoint: string | undefined;
  for (const e of events) {
    switch (e.type) {
      case 'start':
        status = 'incomplete';
        break;
      case 'epoch':
        epochs = e.epoch;
        testAcc = e.testAcc;
        break;
      case 'checkpoint':
        checkpoint = e.path;
        break;
      case 'done':
        status = 'done';
        testAcc = e.testAcc;
        break;
      case 'stopped':
        status = 'stopped';
        checkpoint = e.checkpoint ?? checkpoint;
        break;
      case 'error':
        status = 'error';
        break;
    }
  }
  return { status, epochs, testAcc, checkpoint };
}

/** The run folders under `runsDir` (those with a config or a log), newest first. */
export function listRuns(runsDir: string): RunSummary[] {
  if (!existsSync(runsDir)) return [];
  const out: RunSummary[] = [];
  for (const name of readdirSync(runsDir)) {
    const dir = join(runsDir, name);
    try {
      if (!statSync(dir).isDirectory()) continue;
      const hasConfig = existsSync(join(dir, RUN_FILES.config));
      const hasMetrics = existsSync(join(dir, RUN_FILES.metrics));
      if (!hasConfig && !hasMetrics) continue;
      const { events, badLines } = readRunEvents(dir);
      const modified = statSync(hasMetrics ? join(dir, RUN_FILES.metrics) : join(dir, RUN_FILES.config)).mtimeMs;
      out.push({ dir, name, config: readRunConfig(dir), ...summarizeEvents(events), modified, badLines });
    } catch {
      // an unreadable folder is not a run we can show; skip it
    }
  }
  return out.sort((a, b) => b.modified - a.modified);
}
