/** Listing the runs under one or more runs folders. */
import { promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { RunCurves } from '../protocol/index';
import { runPaths } from './layout';
import { readMetrics, tryReadRunConfig, type RunLog } from './read';
import { networkName } from '../model/spec';
import { epochRecords, runFacts, runInfo, type RunInfo } from './summary';

/** Summarise one run folder; undefined when it holds neither a config nor a metrics log. */
export async function readRun(runDir: string, log?: RunLog): Promise<RunInfo | undefined> {
  const p = runPaths(runDir);
  const modified = await mtime(p.metrics) ?? (await mtime(p.config));
  if (modified === undefined) return undefined;
  const [{ events, badLines }, config] = await Promise.all([readMetrics(runDir, log), tryReadRunConfig(runDir, log)]);
  return runInfo(runDir, events, config, modified, badLines);
}

async function mtime(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The runs directly under each root (missing roots are empty), newest first. */
export async function listRuns(roots: readonly string[], log?: RunLog): Promise<RunInfo[]> {
  const dirs = new Set<string>();
  for (const root of roots) {
    try {
      for (const d of await fs.readdir(root, { withFileTypes: true }))
        if (d.isDirectory()) dirs.add(join(resolve(root), d.name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log?.warn(`runs folder ${root}: ${(e as Error).message}`);
    }
  }
  const runs = await Promise.all([...dirs].map((d) => readRun(d, log).catch((e: Error) => (log?.warn(e.message), undefined))));
  return runs.filter((r): r is RunInfo => r !== undefined).sort((a, b) => b.modified - a.modified);
}

/** Per-epoch curves of a run, for the Runs tab overlay. */
export async function readCurves(runDir: string, log?: RunLog): Promise<RunCurves> {
  const { events } = await readMetrics(runDir, log);
  const facts = runFacts(events);
  const network = facts.startConfig && networkName(facts.startConfig);
  return {
    runDir,
    name: basename(runDir),
    ...(network ? { network } : {}),
    ...(facts.params !== undefined ? { params: facts.params } : {}),
    epochs: epochRecords(events),
  };
}
