/**
 * Checkpoints: the trainer's weights and optimizer state plus where in the run they were taken,
 * in one file written atomically (temp + rename) and checked on read (magic, header, size,
 * SHA-256 of the payload), so a crash mid-write leaves the previous checkpoint intact and a
 * damaged file is an error that names it.
 *
 * Layout: "NINCKPT1", uint32 LE header length, header JSON (UTF-8), float32 LE payload.
 *
 * Engine-neutral layout (every engine writes and reads this; the PyTorch engine's
 * python/nin_torch/checkpoint.py, model.py and optim.py implement it on their side):
 * - weights: the tfjs model's weights in its order, named by layer-relative name:
 *   `<row>_conv/kernel`, `<row>_conv/bias`, `<row>_mlp1/...`, `<row>_mlp2/...` for each NiN block
 *   row (`nin_block_1`, ...). Conv kernels are HWIO `[kh, kw, in, out]` (tfjs); PyTorch's OIHW
 *   `[out, in, kh, kw]` is permuted (2, 3, 1, 0) on write and (3, 2, 0, 1) on read. Biases `[out]`.
 * - optimizer: tfjs `Optimizer.getWeights()` order: `iter` (scalar, steps taken), then for
 *   momentum one `<weight>/momentum` per weight (PyTorch's momentum_buffer), for adam every
 *   `<weight>/m` then every `<weight>/v` (exp_avg, exp_avg_sq; `step` = iter), each shaped as its
 *   weight. Only `iter` before the first step; plain SGD has only `iter`. Slots are matched by
 *   position (tfjs may suffix a weight's name to keep it unique in a process), shapes checked.
 * - header: the position (completedEpochs, batchesDone, partial sums) and lastTestAcc, as below.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeError, writeFileAtomically } from '../files/writes';
import type { NamedArray, TrainerState } from './batchTrainer';

const MAGIC = 'NINCKPT1';

/** Where in the run a checkpoint was taken. */
export interface Position {
  /** Epochs fully trained and evaluated. */
  readonly completedEpochs: number;
  /** Batches already trained of epoch completedEpochs + 1 (0 at an epoch boundary). */
  readonly batchesDone: number;
  /** Running sums of that partial epoch, so its train loss/accuracy continue correctly. */
  readonly partial: {
    readonly lossSum: number;
    readonly correct: number;
    readonly seen: number;
    readonly seconds: number;
  };
}

/** A checkpoint: position, state, and the last test accuracy (for a resumed run's summary). */
export interface Checkpoint extends Position {
  readonly state: TrainerState;
  readonly lastTestAcc?: number;
}

interface Header extends Position {
  readonly version: 1;
  readonly createdAt: string;
  readonly lastTestAcc?: number;
  readonly weights: { name: string; shape: number[] }[];
  readonly optimizer: { name: string; shape: number[] }[];
  readonly payloadBytes: number;
  readonly sha256: string;
}

/** File name for a checkpoint at a position. */
export function checkpointName(p: Pick<Position, 'completedEpochs' | 'batchesDone'>): string {
  const e = String(p.completedEpochs).padStart(4, '0');
  return p.batchesDone === 0 ? `epoch-${e}.ckpt` : `epoch-${e}-batch-${String(p.batchesDone).padStart(6, '0')}.ckpt`;
}

const size = (a: { shape: readonly number[] }) => a.shape.reduce((x, y) => x * y, 1);

/** Write a checkpoint atomically; returns its path. A failure names the file and leaves no temp file. */
export function writeCheckpoint(dir: string, ck: Checkpoint): string {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw writeError(dir, e);
  }
  const arrays: readonly NamedArray[] = [...ck.state.weights, ...ck.state.optimizer];
  const payloadBytes = arrays.reduce((a, x) => a + x.values.length * 4, 0);
  const payload = Buffer.alloc(payloadBytes);
  let at = 0;
  for (const a of arrays) {
    if (a.values.length !== size(a))
      throw new Error(`checkpoint: ${a.name} has ${a.values.length} values for shape [${a.shape.join(',')}]`);
    // Little-endian on every platform Node runs on; Buffer.from copies the bytes as they are.
    Buffer.from(a.values.buffer, a.values.byteOffset, a.values.byteLength).copy(payload, at);
    at += a.values.byteLength;
  }
  const header: Header = {
    version: 1,
    createdAt: new Date().toISOString(),
    completedEpochs: ck.completedEpochs,
    batchesDone: ck.batchesDone,
    partial: ck.partial,
    lastTestAcc: ck.lastTestAcc,
    weights: ck.state.weights.map((w) => ({ name: w.name, shape: [...w.shape] })),
    optimizer: ck.state.optimizer.map((w) => ({ name: w.name, shape: [...w.shape] })),
    payloadBytes,
    sha256: createHash('sha256').update(payload).digest('hex'),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const file = join(dir, checkpointName(ck));
  writeFileAtomically(file, Buffer.concat([Buffer.from(MAGIC, 'ascii'), len, json, payload]));
  return file;
}

/** Read and verify a checkpoint; errors start with the file's path and say what is wrong. */
export function readCheckpoint(file: string): Checkpoint {
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    return fail(`cannot read checkpoint (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== MAGIC) fail('not a NiN checkpoint (bad magic)');
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) fail(`truncated checkpoint (header of ${hlen} bytes, file of ${buf.length})`);
  let h: Header;
  try {
    h = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header;
  } catch (e) {
    return fail(`corrupt checkpoint header (${(e as Error).message})`);
  }
  if (h.version !== 1 || !Array.isArray(h.weights) || !Array.isArray(h.optimizer))
    fail('unsupported checkpoint header');
  const payload = buf.subarray(12 + hlen);
  if (payload.length !== h.payloadBytes)
    fail(`truncated checkpoint: ${payload.length} payload bytes, the header says ${h.payloadBytes}`);
  if (createHash('sha256').update(payload).digest('hex') !== h.sha256)
    fail('corrupt checkpoint: payload checksum mismatch');
  // Copy into an aligned buffer: Float32Array views need 4-byte alignment.
  const aligned = new Float32Array(payload.length / 4);
  Buffer.from(aligned.buffer).set(payload);
  let at = 0;
  const take = (m: { name: string; shape: number[] }): NamedArray => {
    const n = size(m);
    const values = aligned.subarray(at, at + n);
    at += n;
    return { name: m.name, shape: m.shape, values };
  };
  const weights = h.weights.map(take);
  const optimizer = h.optimizer.map(take);
  return {
    completedEpochs: h.completedEpochs,
    batchesDone: h.batchesDone,
    partial: h.partial,
    lastTestAcc: h.lastTestAcc,
    state: { weights, optimizer },
  };
}

/** Checkpoint files in a folder, latest position last. */
export function listCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  // Sort by position, not by name: "epoch-0001-batch-000003" sorts before "epoch-0001" as text
  // ('-' < '.') although it was taken later, 3 batches into epoch 2.
  const position = (f: string): number => {
    const m = /^epoch-(\d{4})(?:-batch-(\d{6}))?\.ckpt$/.exec(f);
    return m ? Number(m[1]) * 1e6 + Number(m[2] ?? 0) : -1;
  };
  return readdirSync(dir)
    .filter((f) => position(f) >= 0)
    .sort((a, b) => position(a) - position(b))
    .map((f) => join(dir, f));
}

/** The latest checkpoint file in a folder, if any. */
export function latestCheckpoint(dir: string): string | undefined {
  return listCheckpoints(dir).pop();
}

/**
 * Keep the newest `keepEpochs` epoch-boundary checkpoints and drop partial (mid-epoch) ones
 * that a later checkpoint supersedes: seed-sized checkpoints are 24 MB with Adam's slots.
 */
export function pruneCheckpoints(dir: string, keepEpochs = 2): void {
  const all = listCheckpoints(dir);
  const latest = all[all.length - 1];
  const epochs = all.filter((f) => !f.includes('-batch-'));
  const keep = new Set([latest, ...epochs.slice(-keepEpochs)]);
  for (const f of all) if (!keep.has(f)) rmSync(f, { force: true });
}
