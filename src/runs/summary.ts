/**
 * What a run's log says about it. A resumed run logs again from its checkpoint: its `start`
 * event's startEpoch says where, and the earlier session's records of that epoch and later
 * (batches and epochs that were never checkpointed, so the resumed run redoes them) are
 * superseded. Every count below is over that effective history, so a run's epochs are the
 * same wherever they are shown (Open Run, Resume, the panel's Runs tab, `nin eval`).
 */
import { basename } from 'node:path';
import type { EpochEvent, RunSummary, TrainConfig, TrainEvent } from '../protocol/index';

/** The epoch a record belongs to, for records a resume can supersede. */
function epochOf(e: TrainEvent): number | undefined {
  switch (e.type) {
    case 'batch':
    case 'epoch':
    case 'evaluation':
      return e.epoch;
    case 'checkpoint':
      // A checkpoint's epoch is the number of epochs it has completed: it belongs to the next one.
      return e.epoch + 1;
    case 'start':
      return e.startEpoch;
    default:
      return undefined;
  }
}

/** The run's history with superseded records dropped (see the file comment). */
export function effectiveHistory(events: readonly TrainEvent[]): TrainEvent[] {
  const out: TrainEvent[] = [];
  for (const e of events) {
    if (e.type === 'start') {
      const from = e.startEpoch;
      for (let i = out.length - 1; i >= 0; i--) {
        const at = epochOf(out[i]);
        if (at !== undefined && at >= from && out[i].type !== 'start') out.splice(i, 1);
      }
    }
    out.push(e);
  }
  return out;
}

/** Where a run ended up, as its log tells. */
export type RunStatus = RunSummary['status'];

/** The facts of a run's log that listings and commands need. */
export interface RunFacts {
  readonly status: RunStatus;
  /** Completed epochs (each counted once, however often the run resumed). */
  readonly epochs: number;
  /** Test accuracy of `done`, else of the last completed epoch. */
  readonly finalTestAcc?: number;
  /** The last checkpoint written or named by `stopped`. */
  readonly checkpoint?: string;
  /** The model folder `done` named. */
  readonly modelDir?: string;
  /** The recipe of the first `start` event (for a run whose config.json is unreadable). */
  readonly startConfig?: TrainConfig;
  /** The network's parameters (from the start event). */
  readonly params?: number;
}

/** Summarise a run's events. */
export function runFacts(events: readonly TrainEvent[]): RunFacts {
  const history = effectiveHistory(events);
  let status: RunStatus = 'incomplete';
  let epochs = 0;
  let finalTestAcc: number | undefined;
  let checkpoint: string | undefined;
  let modelDir: string | undefined;
  let startConfig: TrainConfig | undefined;
  let params: number | undefined;
  for (const e of history) {
    switch (e.type) {
      case 'start':
        status = 'incomplete';
        startConfig ??= e.config;
        params ??= e.params;
        break;
      case 'epoch':
        epochs = Math.max(epochs, e.epoch);
        finalTestAcc = e.testAcc;
        break;
      case 'checkpoint':
        checkpoint = e.path;
        break;
      case 'done':
        status = 'done';
        finalTestAcc = e.testAcc;
        modelDir = e.modelDir;
        break;
      case 'stopped':
        status = 'stopped';
        checkpoint = e.checkpoint ?? checkpoint;
        break;
      case 'error':
        // Marked by the engine (the event's `diverged` field), never read from the message text.
        status = e.diverged ? 'diverged' : 'error';
        break;
      case 'batch':
      case 'evaluation':
      case 'prepare':
        break;
    }
  }
  return { status, epochs, finalTestAcc, checkpoint, modelDir, startConfig, params };
}

/** A run's per-epoch records in order (superseded ones dropped). */
export function epochRecords(events: readonly TrainEvent[]): EpochEvent[] {
  return effectiveHistory(events).filter((e): e is EpochEvent => e.type === 'epoch');
}

/** A run folder as listings show it: the panel's summary plus what commands need. */
export interface RunInfo
  extends RunSummary, Omit<RunFacts, 'startConfig' | 'finalTestAcc' | 'epochs' | 'status' | 'params'> {
  /** Lines of the log that did not validate. */
  readonly badLines: number;
}

/** The panel's RunSummary of a RunInfo (the panel message carries exactly these fields). */
export function panelSummary(r: RunInfo): RunSummary {
  const { runDir, name, config, epochs, finalTestAcc, status, modified, params } = r;
  return {
    runDir,
    name,
    ...(config ? { config } : {}),
    epochs,
    ...(finalTestAcc !== undefined ? { finalTestAcc } : {}),
    status,
    modified,
    ...(params !== undefined ? { params } : {}),
  };
}

/** Build a RunInfo from a folder's parts. */
export function runInfo(
  runDir: string,
  events: readonly TrainEvent[],
  config: TrainConfig | undefined,
  modified: number,
  badLines: number,
): RunInfo {
  const { startConfig, ...facts } = runFacts(events);
  return { runDir, name: basename(runDir), config: config ?? startConfig, modified, badLines, ...facts };
}
