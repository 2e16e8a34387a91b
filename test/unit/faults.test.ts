/**
 * Fault injection: what goes wrong in real use, made to happen on purpose, on the real engine
 * and real Fashion-MNIST. A diverging run, signals, resource requests the machine cannot meet,
 * a gzip bomb, a disk that fills up (a failing write at the file-system boundary, src/files),
 * and SIGKILL at seeded moments of a whole CLI run. Each case checks that nothing is lost,
 * nothing is silently wrong, and the message names the problem.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FILES } from '../../src/data/fashionMnist';
import { IdxError, readIdxFile } from '../../src/data/idx';
import { fileSystem } from '../../src/files/writes';
import { validateEvent, type TrainConfig, type TrainEvent } from '../../src/protocol/index';
import { listCheckpoints, readCheckpoint } from '../../src/train/checkpoint';
import { firstNonFinite } from '../../src/train/divergence';
import { runTraining, type EngineHooks } from '../../src/train/engine';
import { readModelFiles } from '../../src/extension/commandsModel';
import { readRun as runInfo } from '../../src/runs';
import { runCliStreaming as cli, ROOT, runCli, smallRun, type CliRun } from './helpers';

type Of<T extends TrainEvent['type']> = Extract<TrainEvent, { type: T }>;
const of = <T extends TrainEvent['type']>(events: readonly TrainEvent[], type: T): Of<T>[] =>
  events.filter((e): e is Of<T> => e.type === type);

/** Hooks that record validated events; `clock` steps one minute per reading when given. */
function recorder(over: Partial<EngineHooks> = {}): EngineHooks & { events: TrainEvent[] } {
  const events: TrainEvent[] = [];
  return {
    events,
    emit: (e) => {
      const v = validateEvent(JSON.parse(JSON.stringify(e)));
      assert.ok(v.ok, v.ok ? '' : v.error);
      events.push(e);
    },
    shouldStop: () => false,
    data: { download: false },
    batchEventIntervalMs: 0,
    ...over,
  };
}

/** A clock that advances one minute each time it is read: time-based checkpoints without waiting. */
function minuteClock(): () => number {
  let t = 0;
  return () => (t += 60_000);
}

/** Every file under `dir`, recursively (relative names). */
const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String);

/** ENOSPC as the kernel reports it. */
const enospc = (): Error =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });

/**
 * Make whole-file writes to paths matching `which` fail as a full disk does: the first half of
 * the bytes land (a partial temp file), then ENOSPC. Returns the undo.
 */
function diskFullFor(which: RegExp): () => void {
  const real = fileSystem.writeFileSync;
  fileSystem.writeFileSync = (file, data) => {
    if (!which.test(file)) return real(file, data);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    throw enospc();
  };
  return () => (fileSystem.writeFileSync = real);
}

const jsonEvents = (lines: string[]): TrainEvent[] =>
  lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as TrainEvent);

/** A stack trace line, which a user-facing error must never print. */
const STACK = /^\s+at .+[:(]/m;

describe('faults: divergence, signals, resource guards, hostile files, a full disk, SIGKILL', () => {
  let runs: string;
  before(() => (runs = mkdtempSync(join(tmpdir(), 'nin-faults-'))));
  after(() => rmSync(runs, { recursive: true, force: true }));

  const base = (over: Partial<TrainConfig>): TrainConfig => smallRun(runs, over);

  describe('divergence', () => {
    it('a NaN weight stops the run where it happened, keeps only finite checkpoints and exports nothing', async () => {
      // A checkpoint after every batch (one minute per clock reading, one-minute interval), so
      // that finite checkpoints exist before the weights turn NaN.
      const r = recorder({ now: minuteClock() });
      const outcome = await runTraining(
        base({ optimizer: 'sgd', lr: 1000, limitTrain: 256, checkpointMinutes: 1 }),
        undefined,
        r,
      );
      assert.equal(outcome, 'error', `ended ${r.events.at(-1)?.type}`);
      const error = of(r.events, 'error')[0];
      assert.ok(error.diverged, 'the error says the run diverged');
      assert.match(
        error.message,
        /^training diverged at epoch \d+, batch \d+: .*not finite; try a lower learning rate/,
      );
      assert.match(error.message, new RegExp(`epoch ${error.diverged.epoch}, batch ${error.diverged.batch}:`));
      assert.equal(of(r.events, 'done').length, 0);
      const runDir = of(r.events, 'start')[0].runDir;
      assert.ok(!existsSync(join(runDir, 'model')), 'no model is exported');
      const kept = listCheckpoints(join(runDir, 'checkpoints'));
      assert.ok(kept.length > 0, 'the finite checkpoints before the divergence are kept');
      for (const f of kept)
        assert.equal(firstNonFinite(readCheckpoint(f).state), undefined, `${f} holds only finite weights`);
      const last = readCheckpoint(kept.at(-1)!);
      const lastAt = last.completedEpochs * 8 + last.batchesDone;
      assert.ok(
        lastAt < (error.diverged.epoch - 1) * 8 + error.diverged.batch,
        'the last checkpoint is before the divergence',
      );
    });

    it("the CLI: `--optimizer sgd --lr 1000` (the issue's run) ends in a divergence error, exit 1, no model", async () => {
      const dir = mkdtempSync(join(runs, 'cli-'));
      const r = await cli([
        'train',
        '--preset',
        'compact',
        '--optimizer',
        'sgd',
        '--lr',
        '1000',
        '--epochs',
        '2',
        '--limit-train',
        '512',
        '--limit-test',
        '128',
        '--backend',
        'wasm',
        '--runs',
        dir,
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /error: training diverged at epoch \d+, batch \d+: .* try a lower learning rate/);
      assert.doesNotMatch(r.stderr, STACK);
      assert.doesNotMatch(r.lines.join('\n'), /^done:/m);
      const [run] = readdirSync(dir);
      assert.ok(!existsSync(join(dir, run, 'model')));
    });
  });

  describe('signals and time-based checkpoints', () => {
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const) {
      it(`${signal} stops after the batch with a checkpoint (exit ${code}), and the run resumes to done`, async () => {
        const dir = mkdtempSync(join(runs, 'sig-'));
        const args = [
          '--preset',
          'compact',
          '--input',
          '16',
          '--batch-size',
          '32',
          '--limit-train',
          '256',
          '--limit-test',
          '32',
          '--epochs',
          '1',
          '--optimizer',
          'adam',
          '--lr',
          '0.005',
          '--backend',
          'wasm',
          '--threads',
          '1',
          '--json',
        ];
        let sent = false;
        const r = await cli(['train', ...args, '--runs', dir], (line, kill) => {
          if (!sent && line.includes('"type":"batch"')) {
            sent = true;
            kill(signal);
          }
        });
        assert.equal(r.code, code, r.stderr);
        const stopped = of(jsonEvents(r.lines), 'stopped')[0];
        assert.ok(stopped?.checkpoint && existsSync(stopped.checkpoint), `a checkpoint is written: ${r.lines.at(-1)}`);
        assert.match(stopped.checkpoint, /epoch-0000-batch-\d{6}\.ckpt$/);
        const again = await cli(['train', '--resume', stopped.runDir, '--epochs', '1', '--json']);
        assert.equal(again.code, 0, again.stderr);
        const ev = jsonEvents(again.lines);
        assert.equal(ev.at(-1)?.type, 'done');
        assert.ok(of(ev, 'batch')[0].batch > 1, 'continues after the checkpointed batches');
      });
    }

    it('a second `nin train --resume` of a run still training is refused, naming the first process; the run goes on alone', async () => {
      const dir = mkdtempSync(join(runs, 'two-writers-'));
      // 256 batches: the first run is still training when the second asks (it stops once refused).
      const args = ['--preset', 'compact', '--input', '16', '--batch-size', '32', '--limit-train', '8192'];
      const more = ['--limit-test', '32', '--epochs', '1', '--backend', 'wasm', '--threads', '1', '--json'];
      let second: Promise<CliRun> | undefined;
      let firstPid = -1;
      const first = await cli(['train', ...args, ...more, '--runs', dir], (line, kill, pid) => {
        if (second || !line.includes('"type":"batch"')) return;
        firstPid = pid;
        second = cli(['train', '--resume', join(dir, readdirSync(dir)[0]), '--json']).finally(() => kill('SIGINT'));
      });
      assert.ok(second, 'the first run trained a batch');
      const refused = await second;
      assert.equal(refused.code, 1, refused.stderr);
      const why = of(jsonEvents(refused.lines), 'error')[0]?.message ?? '';
      assert.match(why, new RegExp(`is being trained by process ${firstPid} on ${hostname()}`));
      assert.doesNotMatch(refused.stderr, STACK);
      assert.equal(first.code, 130, first.stderr);
      const [run] = readdirSync(dir);
      const logged = jsonEvents(
        fs
          .readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n'),
      );
      assert.deepEqual(
        logged.filter((e) => e.type === 'start' || e.type === 'stopped' || e.type === 'error').map((e) => e.type),
        ['start', 'stopped'],
        'one writer: its start and its stop, nothing of the refused one',
      );
    });

    it('checkpoints every nin.checkpointMinutes inside an epoch, none with 0; pruning keeps the latest', async () => {
      const timed = recorder({ now: minuteClock() });
      // 8 batches; the clock is read about twice a batch, so 3 minutes fall due every other batch or so.
      assert.equal(
        await runTraining(base({ epochs: 1, limitTrain: 256, checkpointMinutes: 3 }), undefined, timed),
        'done',
      );
      const mid = of(timed.events, 'checkpoint').filter((c) => /-batch-/.test(c.path));
      assert.ok(mid.length >= 2, `mid-epoch checkpoints: ${mid.map((c) => c.path).join(', ')}`);
      const runDir = of(timed.events, 'start')[0].runDir;
      assert.deepEqual(
        listCheckpoints(join(runDir, 'checkpoints')).map((f) => f.split('/').pop()),
        ['epoch-0001.ckpt'],
        'the epoch checkpoint supersedes the mid-epoch ones',
      );

      const off = recorder({ now: minuteClock() });
      assert.equal(
        await runTraining(base({ epochs: 1, limitTrain: 256, checkpointMinutes: 0 }), undefined, off),
        'done',
      );
      assert.deepEqual(
        of(off.events, 'checkpoint').map((c) => c.path.split('/').pop()),
        ['epoch-0001.ckpt'],
      );
    });
  });

  describe('guards that check before they allocate', () => {
    const small = (dir: string) => [
      'train',
      '--preset',
      'compact',
      '--epochs',
      '1',
      '--limit-test',
      '32',
      '--backend',
      'wasm',
      '--runs',
      dir,
    ];

    it("--threads 999 says it is capped at the machine's cores and trains", async () => {
      const r = await cli([
        ...small(mkdtempSync(join(runs, 'thr-'))),
        '--input',
        '16',
        '--limit-train',
        '64',
        '--threads',
        '999',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.lines.join('\n'), /999 threads asked for, but this machine has (\d+) cores: using \1/);
      assert.doesNotMatch(r.stderr, STACK);
    });

    it('--batch-size 4096 is refused up front with the largest batch that fits, no stack trace', async () => {
      const r = await cli([...small(mkdtempSync(join(runs, 'mem-'))), '--limit-train', '4096', '--batch-size', '4096']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /^error: a training step of batch 4096 at 28x28 needs about [\d.]+ GB .*; the largest batch that fits is (\d+) \(--batch-size \1/m,
      );
      assert.doesNotMatch(r.stderr, STACK);
      assert.doesNotMatch(r.stderr, /memory access out of bounds/);
    });

    it('--input 5000 is refused up front: not one image fits', async () => {
      const r = await cli([...small(mkdtempSync(join(runs, 'big-'))), '--input', '5000', '--limit-train', '64']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /error: a training step of batch \d+ at 5000x5000 needs about .*not even one image fits at 5000x5000/,
      );
      assert.doesNotMatch(r.stderr, STACK);
    });

    it('a gzip bomb stops at the expected size of the file it poses as', () => {
      const dir = mkdtempSync(join(runs, 'bomb-'));
      const file = join(dir, `${FILES.trainImages.name}.gz`);
      // 64 MB of zeros in 62 KB: more than the 47 MB the training images decompress to.
      writeFileSync(file, gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }));
      assert.throws(
        () =>
          readIdxFile(file, {
            dims: FILES.trainImages.dims,
            sha256: FILES.trainImages.sha256,
            maxBytes: FILES.trainImages.bytes,
          }),
        (e: unknown) =>
          e instanceof IdxError &&
          e.file === file &&
          /decompresses to more than the expected 47040016 bytes; stopped there/.test(e.message),
      );
      const raw = join(dir, FILES.trainLabels.name);
      writeFileSync(raw, Buffer.alloc(FILES.trainLabels.bytes + 1));
      assert.throws(
        () => readIdxFile(raw, { maxBytes: FILES.trainLabels.bytes }),
        /more than the expected 60008 bytes/,
      );
    });
  });

  describe('SIGKILL at seeded moments of a 3-epoch CLI run (export included)', () => {
    // Twenty moments, as the reliability issue asks (NIN_FAULT_KILLS=N runs another number).
    const kills = Number(process.env.NIN_FAULT_KILLS ?? 20);
    const perEpoch = 3;
    const args = (dir: string) => [
      'train',
      '--preset',
      'compact',
      '--input',
      '28',
      '--epochs',
      '3',
      '--limit-train',
      String(32 * perEpoch),
      '--limit-test',
      '32',
      '--batch-size',
      '32',
      '--optimizer',
      'adam',
      '--lr',
      '0.005',
      '--backend',
      'wasm',
      '--threads',
      '1',
      '--checkpoint-minutes',
      '0.005',
      '--json',
      '--runs',
      dir,
    ];
    /** Batches trained before a checkpoint file's position. */
    const ckPosition = (path: string): number => {
      const m = /epoch-(\d{4})(?:-batch-(\d{6}))?\.ckpt$/.exec(path);
      assert.ok(m, path);
      return Number(m[1]) * perEpoch + Number(m[2] ?? 0);
    };
    /** mulberry32: the moments are chance, but the same chance every run. */
    const seeded = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };

    it(`every run killed at one of ${kills} moments resumes from its latest checkpoint to done`, async function () {
      this.timeout(60_000 + kills * 60_000);
      const t0 = Date.now();
      const whole = await cli(args(mkdtempSync(join(runs, 'kill-whole-'))));
      assert.equal(whole.code, 0, whole.stderr);
      const span = Date.now() - t0;
      const random = seeded(17);
      for (let k = 0; k < kills; k++) {
        const dir = mkdtempSync(join(runs, `kill-${k}-`));
        const at = Math.round(random() * span * 1.05);
        const killed = await new Promise<{ lines: string[] }>((resolve) => {
          const lines: string[] = [];
          const child = spawn(process.execPath, [join(ROOT, 'out', 'cli.js'), ...args(dir)], {
            stdio: ['ignore', 'pipe', 'ignore'],
          });
          child.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n')));
          const timer = setTimeout(() => child.kill('SIGKILL'), at);
          child.on('close', () => {
            clearTimeout(timer);
            resolve({ lines });
          });
        });
        const [run] = readdirSync(dir);
        const what = `kill ${k} at ${at} ms of ${span}`;
        if (!run || !existsSync(join(dir, run, 'config.json'))) {
          // Killed before the run folder had its config: nothing was trained, nothing to resume.
          assert.ok(!run || !existsSync(join(dir, run, 'checkpoints')), `${what}: checkpoints without a config`);
          continue;
        }
        const logged = jsonEvents(killed.lines.filter((l) => l.startsWith('{') && l.endsWith('}')));
        // The kill came after the end: the run's log says done (its stdout may not have told yet).
        if ((await runInfo(join(dir, run)))?.status === 'done') {
          const refused = await cli(['train', '--resume', join(dir, run), '--json']);
          assert.equal(refused.code, 1, `${what}: ${refused.stderr}`);
          assert.match(
            of(jsonEvents(refused.lines), 'error')[0]?.message ?? '',
            /already completed 3 of 3 epochs/,
            what,
          );
          continue;
        }
        const lastCk = of(logged, 'checkpoint').at(-1);
        const again = await cli(['train', '--resume', join(dir, run), '--json']);
        assert.equal(again.code, 0, `${what}: ${again.stderr}`);
        const ev = jsonEvents(again.lines);
        assert.equal(ev.at(-1)?.type, 'done', what);
        assert.ok(existsSync(join(dir, run, 'model', 'weights.bin')), `${what}: the model is exported`);
        assert.deepEqual(
          filesUnder(join(dir, run)).filter((f) => /\.tmp-/.test(f)),
          [],
          `${what}: no temp file`,
        );
        const firstBatch = of(ev, 'batch')[0];
        const resumedAt = firstBatch ? (firstBatch.epoch - 1) * perEpoch + firstBatch.batch - 1 : 3 * perEpoch;
        if (lastCk)
          assert.ok(resumedAt >= ckPosition(lastCk.path), `${what}: resumed at ${resumedAt}, before ${lastCk.path}`);
      }
    });
  });

  describe('a closed run folder', () => {
    let trained: string;
    before(async function () {
      this.timeout(120_000);
      const r = recorder();
      assert.equal(await runTraining(base({ epochs: 1 }), undefined, r), 'done');
      trained = of(r.events, 'done')[0].runDir;
    });
    /** A copy of the trained run to spoil. */
    const copy = (name: string): string => {
      const dir = join(runs, `closed-${name}`);
      cpSync(trained, dir, { recursive: true });
      return dir;
    };
    const refusedByBoth = (run: string, why: RegExp): void => {
      const r = runCli(['eval', run, '--json']);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, STACK);
      assert.throws(() => readModelFiles(join(run, 'model')), why, 'Classify Image and Export Model refuse it too');
    };

    it('the export carries the SHA-256 of its weights (sha256sum format)', () => {
      const sums = readFileSync(join(trained, 'model', 'weights.sha256'), 'utf8');
      const hex = createHash('sha256')
        .update(readFileSync(join(trained, 'model', 'weights.bin')))
        .digest('hex');
      assert.equal(sums, `${hex}  weights.bin\n`);
      assert.equal(runCli(['eval', trained, '--json']).code, 0);
    });

    it('three flipped bytes in weights.bin are refused by eval, Classify Image and Export Model', () => {
      const run = copy('flipped');
      const file = join(run, 'model', 'weights.bin');
      const b = readFileSync(file);
      for (const i of [100, 5000, b.length - 7]) b[i] ^= 0x5a;
      writeFileSync(file, b);
      refusedByBoth(
        run,
        new RegExp(
          `${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: SHA-256 [0-9a-f]{64} does not match weights.sha256`,
        ),
      );
    });

    it('a weight path that leaves the model folder is refused before it is read', () => {
      const run = copy('climb');
      const json = join(run, 'model', 'model.json');
      const m = JSON.parse(readFileSync(json, 'utf8'));
      m.weightsManifest[0].paths = ['../../../../tmp/x.bin'];
      writeFileSync(json, JSON.stringify(m));
      refusedByBoth(run, /weight path "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/x\.bin" is outside the model folder/);
    });

    it('a weights file that is a symlink out of the model folder is refused', () => {
      const run = copy('symlink');
      const outside = join(runs, 'elsewhere.bin');
      cpSync(join(run, 'model', 'weights.bin'), outside);
      rmSync(join(run, 'model', 'weights.bin'));
      symlinkSync(outside, join(run, 'model', 'weights.bin'));
      refusedByBoth(run, /weight path "weights\.bin" is outside the model folder/);
    });

    it('--resume with an empty or missing value is a usage error, not a new run', () => {
      const dir = mkdtempSync(join(runs, 'resume-'));
      const empty = runCli(['train', '--resume', '', '--runs', dir]);
      assert.equal(empty.code, 2);
      assert.match(empty.stderr, /--resume needs a run folder, got an empty value/);
      const missing = runCli(['train', '--runs', dir, '--resume']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--resume/);
      assert.deepEqual(readdirSync(dir), [], 'no run was started');
    });
  });

  describe('a full disk', () => {
    let undo: (() => void) | undefined;
    afterEach(() => undo?.());

    it('a checkpoint write that hits ENOSPC names the file, leaves no temp file, keeps the last checkpoint; resume finishes', async () => {
      undo = diskFullFor(/epoch-0002\.ckpt/);
      const r = recorder();
      const cfg = base({ epochs: 3, optimizer: 'sgd', lr: 0.05 });
      assert.equal(await runTraining(cfg, undefined, r), 'error');
      const runDir = of(r.events, 'start')[0].runDir;
      const file = join(runDir, 'checkpoints', 'epoch-0002.ckpt');
      assert.equal(of(r.events, 'error')[0].message, `${file}: cannot write (ENOSPC: no space left on device)`);
      assert.deepEqual(
        filesUnder(runDir).filter((f) => /\.tmp-/.test(f)),
        [],
        'no temp file is left',
      );
      assert.equal(readCheckpoint(join(runDir, 'checkpoints', 'epoch-0001.ckpt')).completedEpochs, 1);
      undo();
      undo = undefined;
      const again = recorder();
      assert.equal(await runTraining(cfg, runDir, again), 'done', JSON.stringify(of(again.events, 'error')));
      assert.equal(of(again.events, 'start')[0].startEpoch, 2);
    });

    it('the model export that hits ENOSPC names the file, leaves no temp folder; resume exports it', async () => {
      undo = diskFullFor(/weights\.bin$/);
      const r = recorder();
      const cfg = base({ epochs: 1 });
      assert.equal(await runTraining(cfg, undefined, r), 'error');
      const runDir = of(r.events, 'start')[0].runDir;
      assert.equal(
        of(r.events, 'error')[0].message,
        `${join(runDir, 'model', 'weights.bin')}: cannot write (ENOSPC: no space left on device)`,
      );
      assert.deepEqual(
        filesUnder(runDir).filter((f) => /\.tmp-/.test(f) || f.startsWith('model')),
        [],
      );
      undo();
      undo = undefined;
      const again = recorder();
      assert.equal(await runTraining(cfg, runDir, again), 'done', JSON.stringify(of(again.events, 'error')));
      assert.ok(existsSync(join(runDir, 'model', 'weights.bin')));
    });
  });
});
