/**
 * Reading run folders for the training panel: a run's metrics.jsonl back into validated
 * events (a reopened panel, a reloaded window, a picked run), the list of runs with their
 * recipe and final accuracy, and their epoch curves for the overlay. No vscode import, so the
 * unit tests run it as is; every line is validated, and a bad line is skipped and logged
 * (a run killed mid-write leaves a truncated last line; that must not lose the run).
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  validateConfig,
  validateEvent,
  type EpochEvent,
  type RunCurves,
  type RunSummary,
  type TrainConfig,
  type TrainEvent,
} from '../../protocol/index';

/** The name of a run's event log inside its folder. */
export const METRICS_FILE = 'metrics.jsonl';
/** The name of a run's recipe inside its folder. */
export const CONFIG_FILE = 'config.json';

/** The part of a log channel the readers use. */
export interface PanelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Events read back from a log, and how many lines were not events. */
export interface LogRead {
  readonly events: TrainEvent[];
  readonly skipped: number;
}

/** Parse JSON-lines text into validated events; bad lines are skipped and logged with their number. */
export function parseMetrics(text: string, source: string, log?: PanelLog): LogRead {
  const events: TrainEvent[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      skipped++;
      log?.warn(`${source}:${i + 1}: skipped, not JSON (${(e as Error).message})`);
      return;
    }
    const v = validateEvent(value);
    if (v.ok) events.push(v.value);
    else {
      skipped++;
      log?.warn(`${source}:${i + 1}: skipped, ${v.error}`);
    }
  });
  return { events, skipped };
}

/** Read and validate `runDir/metrics.jsonl`; a missing file is an empty log, not an error. */
export async function readMetrics(runDir: string, log?: PanelLog): Promise<LogRead> {
  const file = join(runDir, METRICS_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log?.warn(`${file}: ${(e as Error).message}`);
    return { events: [], skipped: 0 };
  }
  return parseMetrics(text, file, log);
}

/**
 * What the webview needs of a run: every event, except that only the last evaluation keeps
 * its samples (each carries a few hundred base64 images; the panel shows the latest one).
 */
export function forDisplay(events: readonly TrainEvent[]): TrainEvent[] {
  let last = -1;
  events.forEach((e, i) => {
    if (e.type === 'evaluation') last = i;
  });
  return events.filter((e, i) => e.type !== 'evaluation' || i === last);
}

/**
 * The events of a run that resumed: the session's live history starts at a `start` event with
 * startEpoch > 1; the epochs before it come from the log (the log also holds the old run's
 * later, uncheckpointed batches, which the resumed run redoes, so those are dropped).
 */
export function mergeResumed(logEvents: readonly TrainEvent[], live: readonly TrainEvent[]): TrainEvent[] {
  const start = live[0];
  if (!start || start.type !== 'start' || start.startEpoch <= 1) return [...live];
  const before = logEvents.filter((e) => {
    switch (e.type) {
      case 'batch':
      case 'epoch':
      case 'evaluation':
      case 'checkpoint':
        return e.epoch < start.startEpoch;
      case 'start':
        return e.startEpoch < start.startEpoch;
      default:
        return false;
    }
  });
  return [...before, ...live];
}

function summarize(
  runDir: string,
  events: readonly TrainEvent[],
  config: TrainConfig | undefined,
  modified: number,
): RunSummary {
  const epochs = events.filter((e): e is EpochEvent => e.type === 'epoch');
  // A resumed run logs epochs again from its checkpoint: count distinct epochs.
  const byEpoch = new Map(epochs.map((e) => [e.epoch, e]));
  const done = events.findLast((e) => e.type === 'done');
  const lastEnd = events.findLast(
    (e) => e.type === 'done' || e.type === 'stopped' || e.type === 'error' || e.type === 'start',
  );
  const status: RunSummary['status'] =
    lastEnd?.type === 'done'
      ? 'done'
      : lastEnd?.type === 'stopped'
        ? 'stopped'
        : lastEnd?.type === 'error'
          ? 'error'
          : 'incomplete';
  const lastEpoch = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch).at(-1);
  const start = events.find((e) => e.type === 'start');
  return {
    runDir,
    name: basename(runDir),
    config: config ?? (start?.type === 'start' ? start.config : undefined),
    epochs: byEpoch.size,
    finalTestAcc: done?.type === 'done' ? done.testAcc : lastEpoch?.testAcc,
    status,
    modified,
  };
}

async function readConfig(runDir: string, log?: PanelLog): Promise<TrainConfig | undefined> {
  const file = join(runDir, CONFIG_FILE);
  try {
    const v = validateConfig(JSON.parse(await fs.readFile(file, 'utf8')));
    if (v.ok) return v.value;
    log?.warn(`${file}: ${v.error}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log?.warn(`${file}: ${(e as Error).message}`);
  }
  return undefined;
}

/** Summarize one run folder; undefined when it holds no metrics log. */
export async function summarizeRun(runDir: string, log?: PanelLog): Promise<RunSummary | undefined> {
  let modified: number;
  try {
    modified = (await fs.stat(join(runDir, METRICS_FILE))).mtimeMs;
  } catch {
    return undefined;
  }
  const [{ events }, config] = await Promise.all([readMetrics(runDir, log), readConfig(runDir, log)]);
  return summarize(runDir, events, config, modified);
}

/** The runs (folders with a metrics log) directly under each root, newest first. */
export async function listRuns(roots: readonly string[], log?: PanelLog): Promise<RunSummary[]> {
  const dirs = new Set<string>();
  for (const root of roots) {
    try {
      for (const d of await fs.readdir(root, { withFileTypes: true }))
        if (d.isDirectory()) dirs.add(join(resolve(root), d.name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log?.warn(`runs folder ${root}: ${(e as Error).message}`);
    }
  }
  const runs = (await Promise.all([...dirs].map((d) => summarizeRun(d, log)))).filter(
    (r): r is RunSummary => r !== undefined,
  );
  return runs.sort((a, b) => b.modified - a.modified);
}

/** Per-epoch curves of a run (a resumed epoch's last record wins). */
export async function readCurves(runDir: string, log?: PanelLog): Promise<RunCurves> {
  const { events } = await readMetrics(runDir, log);
  const byEpoch = new Map<number, EpochEvent>();
  for (const e of events) if (e.type === 'epoch') byEpoch.set(e.epoch, e);
  return { runDir, name: basename(runDir), epochs: [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch) };
}

/** True when `dir` is a run folder the panel may read: directly under a runs root, or one of `extra`. */
export function isKnownRunDir(
  dir: string,
  roots: readonly string[],
  extra: readonly (string | undefined)[] = [],
): boolean {
  const d = resolve(dir);
  return extra.some((x) => x !== undefined && resolve(x) === d) || roots.some((r) => dirname(d) === resolve(r));
}
