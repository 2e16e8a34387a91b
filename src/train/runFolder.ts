/**
 * Opening a run's folder for training, shared by both engines (TensorFlow.js and PyTorch): a
 * resume keeps the run's own recipe, a new run gets a fresh folder; either way the trainer takes
 * the folder's lock and removes the temp files a killed writer left.
 */
import { join, resolve } from 'node:path';
import { defaultCacheRoot } from '../data/fashionMnist';
import { validateConfig, type TrainConfig, type TrainEvent } from '../protocol';
import {
  appendRunEvent,
  createRunFolder,
  lockRun,
  readMetrics,
  readRunConfig,
  removeStaleTemps,
  runPaths,
  type RunLock,
  type RunPaths,
} from '../runs';

/** Fields that define what is trained; a resume must not change them. */
const FIXED_ON_RESUME = ['preset', 'input', 'batchSize', 'lr', 'optimizer', 'limitTrain', 'limitTest', 'seed'] as const;

/** The config a resume runs with: the run's own, with only epochs/backend/threads/device/processes/data taken from `asked`. */
export function resumeConfig(saved: TrainConfig, asked: TrainConfig): TrainConfig {
  const diff = FIXED_ON_RESUME.filter((k) => saved[k] !== asked[k]);
  if (diff.length) {
    throw new Error(
      `cannot resume with a different recipe: ${diff.map((k) => `${k} ${JSON.stringify(asked[k])} (the run has ${JSON.stringify(saved[k])})`).join(', ')}`,
    );
  }
  const device = asked.device ?? saved.device;
  // The processes are the machine's, as the threads: the asked number, or one.
  const recipe = Object.fromEntries(Object.entries(saved).filter(([k]) => k !== 'processes')) as TrainConfig;
  return {
    ...recipe,
    epochs: asked.epochs,
    backend: asked.backend,
    threads: asked.threads,
    dataDir: asked.dataDir,
    ...(device ? { device } : {}),
    ...(asked.processes !== undefined ? { processes: asked.processes } : {}),
    checkpointMinutes: asked.checkpointMinutes,
  };
}

/** What a run's writer knows as it opens the folder: the folder, then the lock once held. */
export interface RunWriter {
  runDir?: string;
  lock?: RunLock;
}

/** Append `e` to the run's log only while `w` holds its lock (a refused second writer appends nothing). */
export function appendIfLocked(w: RunWriter, e: TrainEvent): void {
  if (w.runDir && w.lock) appendRunEvent(w.runDir, e);
}

/**
 * Resume `resumeRunDir` or create a run folder, take its lock and remove stale temp files.
 * `w` learns the folder as soon as it is known (so an error event can name it) and the lock
 * once it is held; the caller releases `w.lock` when the run ends.
 */
export async function openRunFolder(
  asked: TrainConfig,
  resumeRunDir: string | undefined,
  w: RunWriter,
): Promise<{ config: TrainConfig; runId: string; runDir: string; paths: RunPaths }> {
  let config: TrainConfig;
  let runId: string;
  let runDir: string;
  if (resumeRunDir) {
    runDir = w.runDir = resolve(resumeRunDir);
    config = resumeConfig(await readRunConfig(runDir), asked);
    runId = runDir.split(/[\\/]/).pop() ?? runDir;
  } else {
    const v = validateConfig(asked);
    if (!v.ok) throw new Error(v.error);
    config = asked;
    ({ runId, runDir } = createRunFolder(config.runsDir || join(defaultCacheRoot(), 'runs'), config));
    w.runDir = runDir;
  }
  w.lock = lockRun(runDir);
  removeStaleTemps(runDir);
  return { config, runId, runDir, paths: runPaths(runDir) };
}

/**
 * A resume asked of a run that has nothing left to do. Its refusal is not written to the run's
 * log: the run stays listed as done.
 */
export class CompletedRunError extends Error {}

/**
 * Refuses to resume a run whose epochs are all trained (`completed` of `epochs`), whose model is
 * exported (`exported`) and whose log records `done` after its last `start`. A kill between the
 * model's export and that record leaves a model but no `done`: such a run is resumed, exports
 * again and ends `done`.
 */
export async function refuseCompletedRun(
  runDir: string,
  completed: number,
  epochs: number,
  exported: boolean,
): Promise<void> {
  if (completed < epochs || !exported) return;
  const { events } = await readMetrics(runDir);
  let lastStart = -1;
  let lastDone = -1;
  events.forEach((e, i) => {
    if (e.type === 'start') lastStart = i;
    else if (e.type === 'done') lastDone = i;
  });
  if (lastDone > lastStart)
    throw new CompletedRunError(
      `the run has already completed ${completed} of ${epochs} epochs; ask for more epochs to continue it`,
    );
}

/** Whether a run's failure `e` goes into its log: not a refused resume of a completed run (see CompletedRunError). */
export function shouldLogError(e: unknown): boolean {
  return !(e instanceof CompletedRunError);
}
