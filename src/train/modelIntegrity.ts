/**
 * An exported model folder is closed and checked: the weight files model.json names must lie
 * inside the folder (no `../../x.bin`, no absolute path, no symlink out of it), and the folder
 * carries the SHA-256 of each weight file (`weights.sha256`, the `sha256sum` format), so that
 * flipped bytes are an error naming the file, not a model that quietly predicts wrong.
 * One check for the CLI's eval, Classify Image and Export Model.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { isInside } from '../runs/model';

/** The checksum file beside model.json: `<hex>  <path>` per weight file. */
export const CHECKSUM_FILE = 'weights.sha256';

/** Lower-case hex SHA-256 of bytes. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The file a model.json weight path names, or an Error naming model.json and the path when it
 * leaves the model folder (by `..`, an absolute path, or a symlink resolving elsewhere).
 */
export function weightFile(modelDir: string, path: unknown): string {
  const jsonPath = join(modelDir, 'model.json');
  const out = () => new Error(`${jsonPath}: weight path ${JSON.stringify(path)} is outside the model folder`);
  if (typeof path !== 'string' || path === '' || isAbsolute(path)) throw out();
  const n = normalize(path);
  if (n === '..' || n.startsWith(`..${sep}`) || n.includes(`${sep}..${sep}`)) throw out();
  const file = join(modelDir, path);
  if (existsSync(file) && !isInside(modelDir, file)) throw out();
  return file;
}

/** The `weights.sha256` text for weight files (relative path and bytes). */
export function checksumText(files: readonly { path: string; bytes: Uint8Array }[]): string {
  return files.map((f) => `${sha256Hex(f.bytes)}  ${f.path}\n`).join('');
}

/**
 * Check each weight file against `weights.sha256` when the folder has one (models exported
 * before it existed have none); throws naming the file whose bytes differ or that it omits.
 */
export function verifyChecksums(
  modelDir: string,
  paths: readonly string[],
  read = (f: string) => readFileSync(f),
): void {
  const sums = join(modelDir, CHECKSUM_FILE);
  if (!existsSync(sums)) return;
  const want = new Map<string, string>();
  for (const line of readFileSync(sums, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (m) want.set(m[2], m[1]);
  }
  for (const p of paths) {
    const file = weightFile(modelDir, p);
    const expected = want.get(p);
    if (!expected) throw new Error(`${sums}: no checksum for ${p}`);
    const got = sha256Hex(read(file));
    if (got !== expected)
      throw new Error(`${file}: SHA-256 ${got} does not match ${CHECKSUM_FILE} (${expected}): the weights are corrupt`);
  }
}
