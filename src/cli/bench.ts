/**
 * `nin bench`: training images/s for each backend that loads here, beside PyTorch on the
 * same machine in the same run. Each measurement runs in a fresh child process so that
 * backends (global tfjs state, native addons) cannot disturb one another.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEvent, type BatchEvent } from '../protocol/index';
import { measureTraining, type BenchResult } from '../bench/measure';
import { isBackendPreference, type BackendPreference } from '../backends/backend-names';
import { resolveThreads } from '../train/parallel/dataParallel';
import { isPresetName, type PresetName } from '../model/spec';
import { intFlag, parseFlags, printJson, UsageError } from './args';

/** Usage text for `bench`. */
export const BENCH_USAGE =
  'nin bench [--json] [--cases compact@28,seed@96] [--backends tensorflow,wasm,cpu,pytorch] [--threads 1,0] [--batch 128] [--seconds 10] [--rounds 3] [--cpu-batch 8] [--cpu-cases compact@28] [--torch-threads 2] [--no-torch]';

interface Case {
  preset: PresetName;
  input: number;
}

/** One row of the output, ours or PyTorch's. */
export interface BenchRow {
  engine: string;
  preset: PresetName;
  input: number;
  batch: number;
  threads?: number;
  imagesPerSecond: number;
  imagesPerCpuSecond?: number;
  note?: string;
  /** Which round of `--rounds` measured it (1-based). */
  round?: number;
}

const PYTHON = '/usr/bin/python3';
/** The row name of our PyTorch engine (`pytorch` is the raw reference script). */
export const ENGINE_PYTORCH = 'nin-pytorch';
const isTfjsRow = (r: BenchRow): boolean => r.engine !== 'pytorch' && r.engine !== ENGINE_PYTORCH;
const isEngineRow = (r: BenchRow): boolean => r.engine === ENGINE_PYTORCH;
const TORCH_SCRIPT = join(__dirname, '..', 'test', 'reference', 'bench_torch.py');

function parseCases(text: string): Case[] {
  return text.split(',').map((t) => {
    const [p, s] = t.split('@');
    const input = Number(s);
    if (!isPresetName(p) || !Number.isInteger(input) || input < 1)
      throw new UsageError(`--cases: bad case "${t}" (want preset@size)`);
    return { preset: p, input };
  });
}

function parseBackends(text: string): BackendPreference[] {
  const list = text.split(',');
  for (const b of list)
    if (!isBackendPreference(b) || b === 'auto') throw new UsageError(`--backends: unknown backend "${b}"`);
  return list as BackendPreference[];
}

function parseThreads(text: string): number[] {
  const list = text.split(',').map((t) => {
    const v = Number(t);
    if (!Number.isInteger(v) || v < 0) throw new UsageError(`--threads: bad count "${t}" (0 = all cores)`);
    return resolveThreads(v);
  });
  return [...new Set(list)];
}

function child(
  backend: BackendPreference,
  c: Case,
  batch: number,
  seconds: number,
  threads: number,
): BenchRow | string {
  const args = [
    process.argv[1],
    'bench-one',
    backend,
    `${c.preset}@${c.input}`,
    String(batch),
    String(seconds),
    String(threads),
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: (seconds * 20 + 600) * 1000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    return (r.stderr || r.error?.message || 'no output').trim().split('\n').pop() ?? '';
  const res = JSON.parse(line) as BenchResult;
  const note = res.leakedTensors ? `${res.leakedTensors} tensors leaked` : undefined;
  return {
    engine: res.engine,
    preset: res.preset,
    input: res.input,
    batch: res.batch,
    threads: res.threads,
    imagesPerSecond: res.imagesPerSecond,
    imagesPerCpuSecond: res.imagesPerCpuSecond,
    note,
  };
}

/** Why PyTorch cannot be measured here, or undefined when it can. */
function torchMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${PYTHON} has no torch (install Debian python3-torch)`;
  }
}

function torchRows(c: Case, batch: number, seconds: number, threads: number[]): BenchRow[] {
  return threads.flatMap((t) => {
    const args = [
      TORCH_SCRIPT,
      '--threads',
      String(t),
      '--batch',
      String(batch),
      '--seconds',
      String(seconds),
      `${c.preset}@${c.input}`,
    ];
    return execFileSync(PYTHON, args, { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as BenchRow);
  });
}

/** One measurement as a line of the human-readable output. */
function rowText(round: number, r: BenchRow): string {
  const note = r.note ? `  (${r.note})` : '';
  return `round ${round}  ${r.engine.padEnd(8)} ${`${r.preset}@${r.input}`.padEnd(12)} batch ${String(r.batch).padStart(4)}  threads ${r.threads ?? 1}  ${r.imagesPerSecond.toFixed(1).padStart(9)} images/s  ${cpuText(r)}${note}`;
}

function cpuText(r: BenchRow): string {
  return r.imagesPerCpuSecond === undefined ? '' : `(${r.imagesPerCpuSecond.toFixed(1)} per CPU-second)`;
}

/**
 * Best of ours divided by PyTorch's best, per "preset@input", on `metric`. Wall-clock ratios
 * compare against PyTorch with 2 threads (the issue's reference) when that row exists.
 */
export function ratios(
  rows: readonly BenchRow[],
  metric: 'imagesPerSecond' | 'imagesPerCpuSecond' = 'imagesPerSecond',
  ours: (r: BenchRow) => boolean = isTfjsRow,
): Record<string, number> {
  const out: Record<string, number> = {};
  const torch = rows.filter((r) => r.engine === 'pytorch');
  for (const key of new Set(torch.map((r) => `${r.preset}@${r.input}`))) {
    const same = (r: BenchRow): boolean => `${r.preset}@${r.input}` === key;
    let refs = torch.filter(same);
    if (metric === 'imagesPerSecond' && refs.some((r) => r.threads === 2)) refs = refs.filter((r) => r.threads === 2);
    const ref = Math.max(...refs.map((r) => r[metric] ?? 0));
    const best = Math.max(0, ...rows.filter((r) => ours(r) && same(r)).map((r) => r[metric] ?? 0));
    if (ref && best) out[key] = best / ref;
  }
  return out;
}

/** `ratios` of each round on its own, in round order (rows without a round are round 1). */
export function roundRatios(
  rows: readonly BenchRow[],
  metric: 'imagesPerSecond' | 'imagesPerCpuSecond' = 'imagesPerSecond',
  ours: (r: BenchRow) => boolean = isTfjsRow,
): Array<Record<string, number>> {
  const rounds = [...new Set(rows.map((r) => r.round ?? 1))].sort((a, b) => a - b);
  return rounds.map((n) =>
    ratios(
      rows.filter((r) => (r.round ?? 1) === n),
      metric,
      ours,
    ),
  );
}

/** Per "preset@input", the median over rounds of each round's ratio. */
export function medianRatios(
  rows: readonly BenchRow[],
  metric: 'imagesPerSecond' | 'imagesPerCpuSecond' = 'imagesPerSecond',
  ours: (r: BenchRow) => boolean = isTfjsRow,
): Record<string, number> {
  const each = roundRatios(rows, metric, ours);
  const out: Record<string, number> = {};
  for (const key of new Set(each.flatMap((r) => Object.keys(r)))) {
    const v = each.flatMap((r) => (key in r ? [r[key]] : [])).sort((a, b) => a - b);
    const mid = Math.floor(v.length / 2);
    out[key] = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  }
  return out;
}

/**
 * Steady-state images/s from a run's batch events (each carries the epoch's running rate):
 * between the third batch (warm-up done) and the last, so start-up and the first steps' setup
 * do not count, as the reference script's warm-up steps do not.
 */
export function steadyImagesPerSecond(
  batches: readonly BatchEvent[],
  batchSize: number,
  trainSize: number,
): number | undefined {
  const at = (e: BatchEvent) => {
    const seen = Math.min(e.batch * batchSize, trainSize);
    return { seen, seconds: seen / e.imagesPerSecond };
  };
  const first = batches.find((e) => e.batch >= 3);
  const last = batches[batches.length - 1];
  if (!first || !last || last.batch <= first.batch) return undefined;
  const a = at(first);
  const b = at(last);
  return b.seconds > a.seconds ? (b.seen - a.seen) / (b.seconds - a.seconds) : undefined;
}

/** Our PyTorch engine on the real data, through `nin train --engine pytorch`, for about `seconds`. */
function enginePytorchRow(
  c: Case,
  batch: number,
  seconds: number,
  threads: number,
  rawImagesPerSecond: number,
): BenchRow | string {
  const batches = Math.max(6, Math.ceil((rawImagesPerSecond * seconds) / batch) + 3);
  const runs = mkdtempSync(join(tmpdir(), 'nin-bench-'));
  try {
    const args = [
      process.argv[1],
      'train',
      '--engine',
      'pytorch',
      '--python',
      PYTHON,
      '--device',
      'cpu',
      '--preset',
      c.preset,
      '--input',
      String(c.input),
    ];
    args.push(
      '--batch-size',
      String(batch),
      '--optimizer',
      'sgd',
      '--lr',
      '0.1',
      '--limit-train',
      String(batches * batch),
    );
    args.push('--limit-test', String(batch), '--epochs', '1', '--threads', String(threads), '--runs', runs, '--json');
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: (seconds * 20 + 600) * 1000 });
    const events = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => validateEvent(JSON.parse(l)));
    const ok = events.flatMap((v) => (v.ok ? [v.value] : []));
    const error = ok.find((e) => e.type === 'error');
    if (error?.type === 'error') return error.message;
    const ips = steadyImagesPerSecond(
      ok.filter((e): e is BatchEvent => e.type === 'batch'),
      batch,
      batches * batch,
    );
    if (r.status !== 0 || !ips) return (r.stderr || 'no batch events').trim().split('\n').pop() ?? '';
    return { engine: ENGINE_PYTORCH, preset: c.preset, input: c.input, batch, threads, imagesPerSecond: ips };
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
}

/** Run `bench`; returns the process exit code. */
export function benchCommand(argv: string[]): number {
  const { values } = parseFlags(argv, {
    json: { type: 'boolean', default: false },
    cases: { type: 'string', default: 'compact@28,seed@96' },
    backends: { type: 'string', default: 'tensorflow,wasm,cpu,pytorch' },
    batch: { type: 'string', default: '128' },
    'cpu-batch': { type: 'string', default: '8' },
    // The cpu backend needs minutes per seed@96 step even at batch 8: by default only compact.
    'cpu-cases': { type: 'string', default: 'compact@28' },
    // "1,2" adds PyTorch on one thread: per CPU-second, the fairest per-core comparison on a busy machine.
    'torch-threads': { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1,0' },
    'no-torch': { type: 'boolean', default: false },
  });
  const cases = parseCases(values.cases);
  const batch = intFlag('batch', values.batch) ?? 128;
  const cpuBatch = intFlag('cpu-batch', values['cpu-batch']) ?? 8;
  const cpuCases = new Set(parseCases(values['cpu-cases']).map((c) => `${c.preset}@${c.input}`));
  const seconds = intFlag('seconds', values.seconds) ?? 10;
  const rounds = Math.max(1, intFlag('rounds', values.rounds) ?? 3);
  const threadCounts = parseThreads(values.threads);
  const log = (s: string): void => {
    if (!values.json) process.stdout.write(s + '\n');
  };
  const rows: BenchRow[] = [];
  const skipped: string[] = [];
  const torchThreads = parseThreads(values['torch-threads']);
  const torchWhy = values['no-torch'] ? 'skipped (--no-torch)' : torchMissing();
  if (torchWhy) skipped.push(`pytorch: ${torchWhy}`);
  const broken = new Set<BackendPreference>();
  const backends = parseBackends(values.backends);
  for (let round = 1; round <= rounds; round++) {
    // Each case's PyTorch and ours run back to back, so both see the same machine load.
    for (const c of cases) {
      const key = `${c.preset}@${c.input}`;
      const raw = torchWhy ? [] : torchRows(c, batch, seconds, torchThreads);
      for (const r of raw) {
        rows.push({ ...r, round });
        log(rowText(round, r));
      }
      for (const backend of backends) {
        if (broken.has(backend)) continue;
        if (backend === 'pytorch') {
          // Our engine, with the same threads as the reference rows, right after them.
          for (const ref of raw) {
            const r = enginePytorchRow(c, batch, seconds, ref.threads ?? 2, ref.imagesPerSecond);
            if (typeof r === 'string') {
              skipped.push(`${ENGINE_PYTORCH} ${key}: ${r}`);
              broken.add(backend);
              break;
            }
            rows.push({ ...r, round });
            log(rowText(round, r));
          }
          if (torchWhy && round === 1) skipped.push(`${ENGINE_PYTORCH}: ${torchWhy}`);
          continue;
        }
        if (backend === 'cpu' && !cpuCases.has(key)) {
          if (round === 1) skipped.push(`cpu ${key}: not in --cpu-cases (minutes per step)`);
          continue;
        }
        // The pure-JS cpu backend needs minutes per 128-image step: a smaller batch, one thread,
        // first round only. Native TensorFlow threads its own kernels: one training thread.
        if (backend === 'cpu' && round > 1) continue;
        const b = backend === 'cpu' ? cpuBatch : batch;
        for (const t of backend === 'wasm' ? threadCounts : [1]) {
          const r = child(backend, c, b, seconds, t);
          if (typeof r === 'string') {
            skipped.push(`${backend} ${key} ${t} thread(s): ${r}`);
            broken.add(backend);
            break;
          }
          rows.push({ ...r, round });
          log(rowText(round, r));
        }
      }
    }
  }
  const result = {
    results: rows.map(({ engine, preset, input, batch: b, threads, imagesPerSecond, imagesPerCpuSecond, round }) => ({
      engine,
      preset,
      input,
      batch: b,
      threads,
      imagesPerSecond,
      imagesPerCpuSecond,
      round,
    })),
    // Median over rounds of each round's ratio: one busy moment cannot decide it.
    ratios: medianRatios(rows),
    roundRatios: roundRatios(rows),
    // The same per CPU-second of the process (all threads): less sensitive to a shared machine's load.
    cpuRatios: medianRatios(rows, 'imagesPerCpuSecond'),
    // Our PyTorch engine (process, events, data, resize) over the raw reference script.
    enginePytorchRatios: medianRatios(rows, 'imagesPerSecond', isEngineRow),
    skipped,
    conditions: conditions(seconds, torchThreads),
  };
  if (values.json) printJson(result);
  else {
    for (const [k, v] of Object.entries(result.ratios)) {
      const each = result.roundRatios.map((r) => r[k]?.toFixed(3) ?? '-').join(', ');
      log(
        `ratio best-ours / pytorch, ${k}: ${v.toFixed(3)} median of rounds (${each}); per CPU-second: ${result.cpuRatios[k]?.toFixed(3) ?? '-'}`,
      );
    }
    for (const [k, v] of Object.entries(result.enginePytorchRatios))
      log(
        `ratio ${ENGINE_PYTORCH} / pytorch, ${k}: ${v.toFixed(3)} median of rounds (our engine on real data, events and resize included)`,
      );
    log(`load average (1, 5, 15 min): ${result.conditions.loadAverage.join(', ')} on ${result.conditions.cpus} cores`);
    for (const s of skipped) log(`skipped: ${s}`);
  }
  return 0;
}

function conditions(
  seconds: number,
  torchThreads: number[],
): { cpus: number; loadAverage: number[] } & Record<string, unknown> {
  const os = require('node:os') as typeof import('node:os');
  // The machine may be shared: the 1-minute load average at the end says how much.
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    node: process.version,
    secondsPerMeasurement: seconds,
    pytorchThreads: torchThreads,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Internal: measure one case in this process and print one JSON line (used by `bench`). */
export async function benchOneCommand(argv: string[]): Promise<number> {
  const [backend, c, batch, seconds, threads] = argv;
  if (!isBackendPreference(backend)) throw new UsageError(`unknown backend ${backend}`);
  const [preset, input] = parseCases(c).map((x) => [x.preset, x.input] as const)[0];
  // A cpu step takes a minute or more: one timed step, no warm-up (its setup cost is noise there).
  const steps = backend === 'cpu' ? { minSteps: 1, warmupSteps: 0 } : { minSteps: 2, warmupSteps: 1 };
  const r = await measureTraining({
    preset,
    input,
    batch: Number(batch),
    backend,
    seconds: Number(seconds),
    ...steps,
    threads: Number(threads ?? 1),
  });
  printJson(r);
  return 0;
}
