/** Shared test helpers: paths, fixtures, and running the bundled CLI. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Repository root (tests run from out/test/unit). */
export const ROOT = resolve(__dirname, '..', '..', '..');

/** Parse a JSON fixture under test/fixtures. */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', name), 'utf8')) as T;
}

/** Run the bundled CLI and capture its output. */
export function runCli(args: string[], timeoutMs = 120_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'out', 'cli.js'), ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The interpreter with the real PyTorch here (Debian's python3-torch; see ENVIRONMENT.md). */
export const TORCH_PYTHON = process.env.NIN_TEST_PYTHON ?? '/usr/bin/python3';
