/**
 * Making a run folder whole before a run starts or resumes in it: temp files and folders that a
 * killed writer left behind (checkpoints, config, the exported model) are removed. Only called
 * while holding the run's lock, so no live writer's temp file is touched.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runPaths } from './layout';

/** A temp name of our atomic writers: `x.tmp-PID`, `.x.tmp-PID[-TIME][.old]`. */
const TEMP = /\.tmp-\d+(-\d+)?(\.old)?$/;

/** Remove stale temp files from the run folder and its checkpoints; returns the paths removed. */
export function removeStaleTemps(runDir: string): string[] {
  const p = runPaths(runDir);
  const removed: string[] = [];
  for (const dir of [p.dir, p.checkpoints]) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // no checkpoints folder yet
    }
    for (const name of names.filter((n) => TEMP.test(n))) {
      const path = join(dir, name);
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}
