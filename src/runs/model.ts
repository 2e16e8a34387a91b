/**
 * The model folder of a run. A run folder is closed: the `done` event's modelDir counts only
 * when it lies inside the run (an edited or copied log must not make Export Model or Classify
 * copy another folder's model), symlinks resolved.
 */
import { existsSync, realpathSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import type { ModelFormat } from '../protocol';
import { runPaths } from './layout';
import { readMetrics, type RunLog } from './read';
import { runFacts } from './summary';

/** True when `path` is `dir` or inside it, after resolving symlinks (false when either is missing). */
export function isInside(dir: string, path: string): boolean {
  try {
    const rel = relative(realpathSync(dir), realpathSync(path));
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  } catch {
    return false;
  }
}

/** The state dict's file in a run's model folder (a network built by its code, on PyTorch). */
export const STATE_DICT_FILE = 'model.pt';

/** What a model folder holds: a TensorFlow.js model, a PyTorch state dict, or nothing (undefined). */
export function modelFolderFormat(modelDir: string): ModelFormat | undefined {
  if (existsSync(join(modelDir, 'model.json'))) return 'tfjs-layers';
  if (existsSync(join(modelDir, STATE_DICT_FILE))) return 'torch-state-dict';
  return undefined;
}

/** The run's exported model folder (holding a model.json), or undefined when it has none. */
export async function findRunModel(runDir: string, log?: RunLog): Promise<string | undefined> {
  const { modelDir } = runFacts((await readMetrics(runDir, log)).events);
  if (modelDir && !isInside(runDir, modelDir))
    log?.warn(`${runPaths(runDir).metrics}: ignoring modelDir ${modelDir}, which is outside the run folder`);
  for (const dir of [modelDir && isInside(runDir, modelDir) ? modelDir : undefined, runPaths(runDir).model]) {
    if (dir && existsSync(join(dir, 'model.json')) && isInside(runDir, join(dir, 'model.json'))) return dir;
  }
  return undefined;
}
