/**
 * Data-parallel training on the PyTorch engine (torch.distributed, gloo on the CPU) with the real
 * PyTorch and real Fashion-MNIST: two processes train through the CLI, give the one-process run
 * step for step, and end without leaving a process behind when a rank is killed, the leader is
 * killed, or the run is stopped.
 */
import * as assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEvent, type TrainConfig, type TrainEvent } from '../../src/protocol/index';
import { latestCheckpoint, readCheckpoint } from '../../src/train/checkpoint';
import { runPytorchTraining, type PytorchHooks } from '../../src/train/pytorch/run';
import { runCli, runCliStreaming, TORCH_PYTHON } from './helpers';

type Ev<T extends TrainEvent['type']> = Extract<TrainEvent, { type: T }>;
type Child = Parameters<NonNullable<PytorchHooks['onProcess']>>[0];

/** Collects validated events; `onEvent` sees each one as it comes. */
function recorder(onEvent: (e: TrainEvent) => void = () => undefined, stopWhen: () => boolean = () => false) {
  const events: TrainEvent[] = [];
  return {
    events,
    hooks: {
      emit(e: TrainEvent) {
        const v = validateEvent(JSON.parse(JSON.stringify(e)));
        assert.ok(v.ok, v.ok ? '' : `${v.error}: ${JSON.stringify(e).slice(0, 300)}`);
        events.push(e);
        onEvent(e);
      },
      shouldStop: stopWhen,
      batchEventIntervalMs: 0,
    },
    of<T extends TrainEvent['type']>(type: T): Ev<T>[] {
      return events.filter((e): e is Ev<T> => e.type === type);
    },
  };
}

/** The pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pids: number[], withinMs: number): Promise<number[]> {
  const until = Date.now() + withinMs;
  while (Date.now() < until && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

/** A TCP port free on loopback right now. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('PyTorch engine, data-parallel (torch.distributed, gloo, real torch and data)', function () {
  this.timeout(600_000);
  let runs: string;
  let multiMachineLosses = new Map<number, number>();
  const python = { configured: TORCH_PYTHON };
  const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({
    preset: 'compact',
    input: 28,
    epochs: 1,
    batchSize: 64,
    lr: 0.05,
    optimizer: 'momentum',
    limitTrain: 205,
    limitTest: 100,
    backend: 'pytorch',
    seed: 7,
    threads: 2,
    device: 'cpu',
    dataDir: '',
    runsDir: runs,
    ...over,
  });
  before(() => (runs = mkdtempSync(join(tmpdir(), 'nin-ddp-'))));
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('`nin train --engine pytorch --processes 2` trains to done, one run: one start, one log, one model', () => {
    const cli = runCli(
      [
        'train',
        '--engine',
        'pytorch',
        '--python',
        TORCH_PYTHON,
        '--device',
        'cpu',
        '--preset',
        'compact',
        '--epochs',
        '2',
        '--batch-size',
        '64',
        '--limit-train',
        '256',
        '--limit-test',
        '100',
        '--optimizer',
        'adam',
        '--lr',
        '0.003',
        '--threads',
        '2',
        '--processes',
        '2',
        '--runs',
        runs,
        '--json',
      ],
      600_000,
    );
    assert.equal(cli.code, 0, cli.stderr.slice(-2000));
    const events = cli.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrainEvent);
    for (const e of events) assert.ok(validateEvent(e).ok, JSON.stringify(e).slice(0, 200));
    const of = <T extends TrainEvent['type']>(t: T) => events.filter((e): e is Ev<T> => e.type === t);
    assert.equal(of('start').length, 1);
    assert.match(of('start')[0].backendReason, /data-parallel: 2 processes x 1 thread \(gloo\)/);
    assert.equal(of('epoch').length, 2);
    // At most one batch event per 100 ms, and always an epoch's last batch.
    assert.deepEqual(
      of('batch')
        .filter((b) => b.batch === b.batchesPerEpoch)
        .map((b) => [b.epoch, b.batch]),
      [
        [1, 4],
        [2, 4],
      ],
    );
    const done = of('done')[0];
    assert.ok(done, 'a done event');
    assert.equal(done.testAcc, of('epoch')[1].testAcc);
    assert.equal(JSON.parse(readFileSync(join(done.runDir, 'config.json'), 'utf8')).processes, 2);
    assert.deepEqual(readdirSync(join(done.runDir, 'checkpoints')).sort(), ['epoch-0001.ckpt', 'epoch-0002.ckpt']);
    assert.ok(existsSync(join(done.modelDir, 'model.json')));
    const logged = readFileSync(join(done.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(logged.length, events.filter((e) => e.type !== 'prepare').length, 'the log holds one run');
  });

  it("two machines as torchrun names them (MASTER_ADDR, MASTER_PORT, NNODES, NODE_RANK): each machine's nin train shows the one run", async () => {
    // Two `nin train` side by side on loopback stand for two machines of one process each.
    const port = String(await freePort());
    const args = (node: number) => [
      'train',
      '--engine',
      'pytorch',
      '--python',
      TORCH_PYTHON,
      '--device',
      'cpu',
      '--preset',
      'compact',
      '--epochs',
      '1',
      '--limit-train',
      '205',
      '--limit-test',
      '100',
      '--batch-size',
      '64',
      '--optimizer',
      'momentum',
      '--lr',
      '0.05',
      '--seed',
      '7',
      '--threads',
      '1',
      '--runs',
      join(runs, `node${node}`),
      '--json',
    ];
    const env = (node: number) => ({
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: port,
      NNODES: '2',
      NODE_RANK: String(node),
    });
    const [n0, n1] = await Promise.all([0, 1].map((n) => runCliStreaming(args(n), undefined, env(n))));
    const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as TrainEvent);
    const e0 = parse(n0.lines);
    const e1 = parse(n1.lines);
    assert.equal(n0.code, 0, JSON.stringify(e0.filter((e) => e.type === 'error')));
    assert.equal(n1.code, 0, JSON.stringify(e1.filter((e) => e.type === 'error')));
    const start = e0.find((e): e is Ev<'start'> => e.type === 'start');
    assert.match(start?.backendReason ?? '', /data-parallel: 2 processes on 2 machines x 1 thread \(gloo\)/);
    // Batch events come at most every 100 ms on each machine: compare the batches both reported.
    const losses = (ev: TrainEvent[]) =>
      new Map(ev.filter((e): e is Ev<'batch'> => e.type === 'batch').map((b) => [b.batch, b.loss]));
    const l0 = losses(e0);
    const l1 = losses(e1);
    const both = [...l0.keys()].filter((b) => l1.has(b));
    assert.ok(both.includes(4), 'the last batch, reported by both');
    for (const b of both) assert.equal(l1.get(b), l0.get(b), `batch ${b}`);
    const done = (ev: TrainEvent[]) => ev.find((e): e is Ev<'done'> => e.type === 'done');
    assert.equal(done(e1)?.testAcc, done(e0)?.testAcc);
    multiMachineLosses = l0;
  });

  it('bad process counts and rendezvous variables are errors that name them', async () => {
    const usage = (args: string[], message: RegExp) => {
      const r = runCli(['train', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    };
    usage(['--processes', '2', '--preset', 'compact'], /--processes .* goes with --engine pytorch/);
    usage(['--engine', 'pytorch', '--processes', '0'], /--processes must be an integer >= 1, got "0"/);
    usage(['--engine', 'pytorch', '--processes', '65'], /--processes must be at most 64, got 65/);
    const r = await runCliStreaming(
      ['train', '--engine', 'pytorch', '--python', TORCH_PYTHON, '--device', 'cpu', '--preset', 'compact'].concat([
        '--limit-train',
        '64',
        '--limit-test',
        '64',
        '--epochs',
        '1',
        '--runs',
        runs,
        '--json',
      ]),
      undefined,
      { NNODES: '2', NODE_RANK: '0', MASTER_ADDR: '', MASTER_PORT: '' },
    );
    assert.equal(r.code, 1);
    const last = JSON.parse(r.lines[r.lines.length - 1] ?? '{}') as TrainEvent;
    assert.equal(last.type, 'error');
    assert.match(last.type === 'error' ? last.message : '', /NNODES > 1 needs MASTER_ADDR/);
  });

  it('two processes give the one-process run step for step: losses, weights after 4 steps, evaluation', async () => {
    // 205 images in batches of 64: the last batch of 13 splits 7/6, so the slices are uneven.
    const one = recorder();
    assert.equal(await runPytorchTraining(config(), undefined, { ...one.hooks, python }), 'done');
    const two = recorder();
    assert.equal(
      await runPytorchTraining(config({ processes: 2 }), undefined, { ...two.hooks, python }),
      'done',
      JSON.stringify(two.of('error')),
    );
    const l1 = one.of('batch').map((b) => b.loss);
    const l2 = two.of('batch').map((b) => b.loss);
    assert.equal(l1.length, 4);
    assert.equal(l2.length, 4);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(l1[i] - l2[i]) < 1e-5, `step ${i + 1}: ${l1[i]} vs ${l2[i]}`);
    // The two-machine run of the test above: the same steps again.
    for (const [b, l] of multiMachineLosses) assert.ok(Math.abs(l - l1[b - 1]) < 1e-5, `two machines, batch ${b}`);
    assert.deepEqual(
      two.of('batch').map((b) => b.acc),
      one.of('batch').map((b) => b.acc),
    );

    const w1 = readCheckpoint(join(one.of('done')[0].runDir, 'checkpoints', 'epoch-0001.ckpt')).state;
    const w2 = readCheckpoint(join(two.of('done')[0].runDir, 'checkpoints', 'epoch-0001.ckpt')).state;
    assert.equal(w2.optimizer[0].values[0], 4, 'four steps');
    let worst = 0;
    for (let i = 0; i < w1.weights.length; i++) {
      assert.equal(w2.weights[i].name, w1.weights[i].name);
      worst = Math.max(worst, maxAbsDiff(w1.weights[i].values, w2.weights[i].values));
    }
    assert.ok(worst < 1e-5, `weights differ by up to ${worst}`);

    // Evaluation sharded over the two processes and merged: the same confusion and gallery.
    const e1 = one.of('evaluation')[0];
    const e2 = two.of('evaluation')[0];
    assert.deepEqual(e2.confusion, e1.confusion);
    assert.deepEqual(
      e2.samples.map((s) => [s.index, s.predicted]),
      e1.samples.map((s) => [s.index, s.predicted]),
    );
  });

  it('a last batch smaller than the processes (one image for two) trains as one process does', async () => {
    const c = { limitTrain: 65, limitTest: 40, optimizer: 'sgd' as const };
    const one = recorder();
    assert.equal(await runPytorchTraining(config(c), undefined, { ...one.hooks, python }), 'done');
    const two = recorder();
    assert.equal(
      await runPytorchTraining(config({ ...c, processes: 2 }), undefined, { ...two.hooks, python }),
      'done',
      JSON.stringify(two.of('error')),
    );
    const losses = (r: typeof one) => r.of('batch').map((b) => b.loss);
    assert.equal(losses(two).length, 2);
    losses(one).forEach((l, i) => assert.ok(Math.abs(l - losses(two)[i]) < 1e-5, `step ${i + 1}`));
    const w1 = readCheckpoint(join(one.of('done')[0].runDir, 'checkpoints', 'epoch-0001.ckpt')).state.weights;
    const w2 = readCheckpoint(join(two.of('done')[0].runDir, 'checkpoints', 'epoch-0001.ckpt')).state.weights;
    w1.forEach((w, i) => assert.ok(maxAbsDiff(w.values, w2[i].values) < 1e-5, w.name));
  });

  it('a network with batch norm is refused on several CPU processes (per-slice statistics would be another run)', async () => {
    const source = [
      'from torch import nn',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.conv = nn.Conv2d(1, 4, 3)',
      '        self.bn = nn.BatchNorm2d(4)',
      '        self.fc = nn.Linear(4 * 26 * 26, 10)',
      '    def forward(self, x):',
      '        return self.fc(self.bn(self.conv(x)).flatten(1))',
    ].join('\n');
    const c = config({
      preset: 'model',
      model: {
        name: 'Net()',
        file: join(runs, 'bn.py'),
        source,
        input: [1, 28, 28],
        build: 'code',
        why: 'a module with its own forward(): train it through PyTorch',
        params: 0,
      },
      limitTrain: 64,
      limitTest: 32,
      processes: 2,
    });
    const r = recorder();
    assert.equal(await runPytorchTraining(c, undefined, { ...r.hooks, python, allowUserCode: true }), 'error');
    assert.match(r.of('error')[0].message, /batch norm trains on several processes only on CUDA/);
    // One process trains it.
    const one = recorder();
    assert.equal(
      await runPytorchTraining({ ...c, processes: 1 }, undefined, { ...one.hooks, python, allowUserCode: true }),
      'done',
      JSON.stringify(one.of('error')),
    );
  });

  it('killing one rank mid-epoch is an error event that keeps the last checkpoint, no process is left, and resume ends done', async () => {
    let leader: Child | undefined;
    let workers: number[] = [];
    let killed = 0;
    const r = recorder((e) => {
      if (!killed && e.type === 'batch' && e.epoch === 2 && e.batch === 2 && leader?.pid) {
        workers = childrenOf(leader.pid);
        assert.equal(workers.length, 1, 'rank 0 started one more rank');
        killed = workers[0];
        process.kill(killed, 'SIGKILL');
      }
    });
    const c = config({ epochs: 2, processes: 2, limitTrain: 512 });
    const outcome = await runPytorchTraining(c, undefined, { ...r.hooks, python, onProcess: (p) => (leader = p) });
    assert.equal(outcome, 'error');
    const err = r.of('error')[0];
    assert.match(err.message, new RegExp(`rank 1 of 2 \\(pid ${killed}\\) was killed \\(SIGKILL\\)`));
    assert.match(err.message, /epoch-0001\.ckpt\) is kept: resume the run to continue/);
    assert.ok(err.runDir && latestCheckpoint(join(err.runDir, 'checkpoints'))?.endsWith('epoch-0001.ckpt'));
    assert.deepEqual(await gone([leader!.pid!, ...workers], 10_000), [], 'no rank left running');

    const again = recorder();
    assert.equal(
      await runPytorchTraining(c, err.runDir, { ...again.hooks, python }),
      'done',
      JSON.stringify(again.of('error')),
    );
    assert.equal(again.of('start')[0].startEpoch, 2);
  });

  it('a stop ends every rank after the same batch with a checkpoint; SIGKILL of rank 0 leaves no rank behind', async () => {
    let leader: Child | undefined;
    let workers: number[] = [];
    let batches = 0;
    const r = recorder(
      (e) => {
        if (e.type === 'batch' && ++batches === 1 && leader?.pid) workers = childrenOf(leader.pid);
      },
      () => batches >= 2,
    );
    const c = config({ processes: 2, limitTrain: 4096 });
    assert.equal(
      await runPytorchTraining(c, undefined, { ...r.hooks, python, onProcess: (p) => (leader = p) }),
      'stopped',
    );
    const stopped = r.of('stopped')[0];
    const ck = readCheckpoint(stopped.checkpoint ?? '');
    assert.equal(ck.batchesDone, r.of('batch').pop()!.batch);
    assert.equal(workers.length, 1);
    assert.deepEqual(await gone([leader!.pid!, ...workers], 10_000), []);

    // The leader killed outright: the other rank sees its stdin close and leaves.
    let leader2: Child | undefined;
    let workers2: number[] = [];
    const k = recorder((e) => {
      if (e.type === 'batch' && !workers2.length && leader2?.pid) {
        workers2 = childrenOf(leader2.pid);
        leader2.kill('SIGKILL');
      }
    });
    assert.equal(
      await runPytorchTraining(c, undefined, { ...k.hooks, python, onProcess: (p) => (leader2 = p) }),
      'error',
    );
    assert.match(k.of('error')[0].message, /was killed \(SIGKILL\)/);
    assert.equal(workers2.length, 1);
    assert.deepEqual(await gone(workers2, 15_000), [], 'rank 1 left after its leader died');
  });
});
