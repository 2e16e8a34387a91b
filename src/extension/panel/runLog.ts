/**
 * The panel's view of run logs: what the webview is sent of a run's events, how a resumed
 * run's history joins the earlier log, and which folders the panel may read. Reading and
 * listing run folders is src/runs' job.
 */
import { dirname, resolve } from 'node:path';
import type { TrainEvent } from '../../protocol/index';
import type { RunLog } from '../../runs';

/** The part of a log channel the panel uses. */
export interface PanelLog extends RunLog {
  info(message: string): void;
  error(message: string): void;
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

/** True when `dir` is a run folder the panel may read: directly under a runs root, or one of `extra`. */
export function isKnownRunDir(
  dir: string,
  roots: readonly string[],
  extra: readonly (string | undefined)[] = [],
): boolean {
  const d = resolve(dir);
  return extra.some((x) => x !== undefined && resolve(x) === d) || roots.some((r) => dirname(d) === resolve(r));
}
