/**
 * The run folder's layout, in one place: every reader and writer of runs (engines, CLI, the
 * extension's session, panel and commands, tests) gets its paths from here.
 *
 *   <run>/config.json     the TrainConfig (written atomically at start and on resume)
 *   <run>/metrics.jsonl   every TrainEvent but `prepare`, one JSON object per line, appended
 *   <run>/checkpoints/    weights + optimizer state (checkpoint.ts), written atomically
 *   <run>/model/          the exported model (TensorFlow.js layers format)
 *   <run>/lock.json       who is training the run right now (lock.ts)
 */
import { join } from 'node:path';

/** File and folder names inside a run folder. */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  checkpoints: 'checkpoints',
  model: 'model',
  lock: 'lock.json',
} as const;

/** The absolute paths of a run folder's parts. */
export interface RunPaths {
  readonly dir: string;
  readonly config: string;
  readonly metrics: string;
  readonly checkpoints: string;
  readonly model: string;
  readonly lock: string;
}

/** The paths of the run folder `dir`. */
export function runPaths(dir: string): RunPaths {
  return {
    dir,
    config: join(dir, RUN_FILES.config),
    metrics: join(dir, RUN_FILES.metrics),
    checkpoints: join(dir, RUN_FILES.checkpoints),
    model: join(dir, RUN_FILES.model),
    lock: join(dir, RUN_FILES.lock),
  };
}
