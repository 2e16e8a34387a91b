/**
 * Where the build's `.wasm` assets are: scripts/build.mjs copies or compiles them into
 * out/wasm/, and each bundle (out/*.js, out/test/unit/*.js) finds them from its own folder.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Folders searched for the .wasm files, nearest the bundle first. */
export function defaultWasmDirs(): string[] {
  return [
    join(__dirname, 'wasm'),
    join(__dirname, '..', 'wasm'),
    join(__dirname, '..', '..', 'wasm'),
    join(__dirname, '..', '..', '..', 'out', 'wasm'),
  ];
}

/** The first folder in `dirs` holding `file`, or an error naming the places searched. */
export function findWasmDir(file: string, dirs: readonly string[] = defaultWasmDirs()): string {
  const dir = dirs.find((d) => existsSync(join(d, file)));
  if (!dir) throw new Error(`${file} not found in ${dirs.join(', ')} (run npm run build)`);
  return dir;
}
