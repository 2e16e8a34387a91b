/**
 * Every file the engine writes goes through here: atomic replacement (a temp file beside the
 * target, then a rename), appends, and whole folders. A failure names the path and the cause
 * (`ENOSPC` reads "no space left on device", not a bare "write"), and removes the temp file, so
 * that a full disk leaves the last good file as it was and no debris to clean up.
 *
 * `fileSystem` is the one boundary with the disk: tests replace its functions to inject
 * failures (a disk that fills after N bytes) where mounting a small file system is not allowed.
 */
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The file-system calls the writers make (replaceable in tests, never elsewhere). */
export const fileSystem = {
  writeFileSync: fs.writeFileSync as (file: string, data: string | Uint8Array) => void,
  appendFileSync: fs.appendFileSync as (file: string, data: string) => void,
  renameSync: fs.renameSync as (from: string, to: string) => void,
};

/** A write that failed; the message names the path and the cause. */
export class WriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    cause: string,
  ) {
    super(`${path}: cannot write (${cause})`);
    this.name = 'WriteError';
  }
}

const WHY: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'its folder does not exist',
  EISDIR: 'a folder is in the way',
};

/** The error for a failed write of `path`, whatever was thrown. */
export function writeError(path: string, e: unknown): WriteError {
  if (e instanceof WriteError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const cause = code ? `${code}: ${WHY[code] ?? (e as Error).message}` : e instanceof Error ? e.message : String(e);
  return new WriteError(path, code, cause);
}

const removeQuietly = (path: string): void => {
  try {
    fs.rmSync(path, { recursive: true, force: true });
  } catch {
    // Nothing more to do: the error that matters is the write's.
  }
};

/** A temp name beside `file`, hidden, unique to this process and call. */
export function tempName(file: string, tag = `${process.pid}-${Date.now()}`): string {
  return join(dirname(file), `.${basename(file)}.tmp-${tag}`);
}

/** Write `file` atomically: the old content stays whole until the new one is complete. */
export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  const tmp = tempName(file);
  try {
    fileSystem.writeFileSync(tmp, data);
    fileSystem.renameSync(tmp, file);
  } catch (e) {
    removeQuietly(tmp);
    throw writeError(file, e);
  }
}

/** Append to `file`; a failure names it. */
export function appendToFile(file: string, data: string): void {
  try {
    fileSystem.appendFileSync(file, data);
  } catch (e) {
    throw writeError(file, e);
  }
}

/** Replace the folder `dir` atomically with `files`: filled beside it, then swapped in. */
export function writeFolderAtomically(dir: string, files: Record<string, string | Uint8Array>): void {
  fs.mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempName(dir);
  let current = tmp;
  try {
    removeQuietly(tmp);
    fs.mkdirSync(tmp);
    for (const [name, data] of Object.entries(files)) {
      current = join(dir, name); // named as the user will look for it
      fileSystem.writeFileSync(join(tmp, name), data);
    }
  } catch (e) {
    removeQuietly(tmp);
    throw writeError(current, e);
  }
  // rename() cannot replace a non-empty folder: move the old one aside first.
  const old = fs.existsSync(dir) ? `${tmp}.old` : undefined;
  try {
    if (old) fileSystem.renameSync(dir, old);
    fileSystem.renameSync(tmp, dir);
  } catch (e) {
    if (old && !fs.existsSync(dir) && fs.existsSync(old)) fileSystem.renameSync(old, dir);
    removeQuietly(tmp);
    throw writeError(dir, e);
  }
  if (old) removeQuietly(old);
}
