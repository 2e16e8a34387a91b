/**
 * One writer per run folder: `lock.json` names the process that trains the run (pid, host,
 * since when). A second `train --resume` of a live run is refused naming that process; a lock
 * whose process is gone (a crash, a SIGKILL) is stale and taken over. Created with O_EXCL, so
 * two processes racing for a free run cannot both win.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { runPaths } from './layout';

/** What the lock file holds. */
export interface RunLockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/** A held lock; release it when the run ends. */
export interface RunLock {
  readonly file: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): RunLockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunLockOwner>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.since === 'string')
      return v as RunLockOwner;
  } catch {
    // unreadable or torn (a crash while writing it): treated as stale below
  }
  return undefined;
}

/** Why `owner` still holds the run, or undefined when its lock is stale. */
function liveOwner(owner: RunLockOwner | undefined): RunLockOwner | undefined {
  if (!owner) return undefined;
  if (owner.host !== hostname()) return owner; // another machine's process: cannot tell, so it holds
  return owner.pid !== process.pid && alive(owner.pid) ? owner : undefined;
}

/** Take the run's lock, or throw naming the process that holds it. */
export function lockRun(runDir: string): RunLock {
  const file = runPaths(runDir).lock;
  const me: RunLockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx' });
      return { file, release: () => releaseIfMine(file, me) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new Error(`${file}: cannot create the run lock (${(e as Error).message})`);
    }
    const owner = liveOwner(readOwner(file));
    if (owner)
      throw new Error(
        `${runDir} is being trained by process ${owner.pid} on ${owner.host} (since ${owner.since}); stop it first, or wait for it to end`,
      );
    rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new Error(`${file}: could not take the run lock`);
}

function releaseIfMine(file: string, me: RunLockOwner): void {
  const owner = readOwner(file);
  if (owner && owner.pid === me.pid && owner.since === me.since) rmSync(file, { force: true });
}
