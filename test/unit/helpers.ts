/** Shared test helpers: paths, fixtures, and running the bundled CLI. */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TrainConfig } from '../../src/protocol';

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

/** What a streamed CLI run ended with. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: string[];
  readonly stderr: string;
}

/**
 * Run the bundled CLI without blocking; `onLine` sees each stdout line as it arrives and may
 * signal the child (the fault tests stop or kill a run at a chosen event; `pid` is the child's);
 * `env` adds to its environment.
 */
export function runCliStreaming(
  args: string[],
  onLine: (line: string, kill: (s: NodeJS.Signals) => void, pid: number) => void = () => {},
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'out', 'cli.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const lines: string[] = [];
    let buf = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        onLine(line, (s) => child.kill(s), child.pid ?? -1);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, lines, stderr }));
  });
}

/** The interpreter with the real PyTorch here (Debian's python3-torch; see ENVIRONMENT.md). */
export const TORCH_PYTHON = process.env.NIN_TEST_PYTHON ?? '/usr/bin/python3';

/**
 * A small wasm run of the compact network at 16x16 (16 -> 7 -> 3 -> 1 keeps a run to seconds;
 * the loop is the same at any size): 2 epochs of 128 images, Adam, seed 1, one thread, no
 * time-based checkpoints. `over` changes what a test needs.
 */
export const smallRun = (runsDir: string, over: Partial<TrainConfig> = {}): TrainConfig => ({
  preset: 'compact',
  input: 16,
  epochs: 2,
  batchSize: 32,
  lr: 0.005,
  optimizer: 'adam',
  limitTrain: 128,
  limitTest: 32,
  backend: 'wasm',
  seed: 1,
  threads: 1,
  dataDir: '',
  runsDir,
  checkpointMinutes: 0,
  ...over,
});
