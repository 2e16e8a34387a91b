import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SALT, subsetIndices } from '../../src/data/batches';
import { DEBIAN_DIR, FILES } from '../../src/data/fashionMnist';
import { readIdxFile } from '../../src/data/idx';
import type { TrainEvent } from '../../src/protocol/index';
import { runTraining } from '../../src/train/engine';
import { runCli } from './helpers';

describe('nin eval RUN', () => {
  let runs: string;
  let runDir: string;
  let finalAcc: number;
  before(async function () {
    this.timeout(300_000);
    runs = mkdtempSync(join(tmpdir(), 'nin-eval-'));
    const events: TrainEvent[] = [];
    const outcome = await runTraining(
      {
        preset: 'compact',
        input: 16,
        epochs: 6,
        batchSize: 32,
        lr: 0.005,
        optimizer: 'adam',
        limitTrain: 64,
        limitTest: 100,
        backend: 'wasm',
        seed: 3,
        threads: 1,
        dataDir: '',
        runsDir: runs,
      },
      undefined,
      { emit: (e) => events.push(e), shouldStop: () => false, data: { download: false } },
    );
    assert.equal(outcome, 'done', JSON.stringify(events.filter((e) => e.type === 'error')));
    const done = events.find((e) => e.type === 'done') as Extract<TrainEvent, { type: 'done' }>;
    runDir = done.runDir;
    finalAcc = done.testAcc;
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  it("reproduces the run's final test accuracy exactly from the exported model; confusion rows sum to the class counts", () => {
    const r = runCli(['eval', runDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      testAcc: number;
      perClass: number[];
      confusion: number[][];
      runTestAcc: number;
      testSize: number;
    };
    assert.equal(out.testAcc, finalAcc);
    assert.equal(out.runTestAcc, finalAcc);
    assert.equal(out.testSize, 100);
    // The evaluated subset's class counts, computed independently from the labels file.
    const labels = readIdxFile(join(DEBIAN_DIR, `${FILES.testLabels.name}.gz`)).data;
    const counts = new Array(10).fill(0);
    subsetIndices(10000, 100, 3, SALT.testSubset).forEach((i) => counts[labels[i]]++);
    assert.deepEqual(
      out.confusion.map((row) => row.reduce((a, b) => a + b, 0)),
      counts,
    );
    assert.equal(out.perClass.length, 10);
    out.perClass.forEach((a, i) => assert.equal(a, counts[i] ? out.confusion[i][i] / counts[i] : 0));
  });

  it('from the latest checkpoint: the same accuracy; human output names classes', () => {
    const r = runCli(['eval', runDir, '--latest-checkpoint']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`test accuracy ${finalAcc.toFixed(4)} \\(the run reported the same\\)`));
    assert.match(r.stdout, /Ankle boot/);
    assert.match(r.stdout, /confusion \(rows: true class, columns: predicted\)/);
  });

  it('corrupt or missing checkpoints and models give clear errors', () => {
    const ck = join(runDir, 'checkpoints', 'epoch-0006.ckpt');
    const bytes = readFileSync(ck);
    const bad = join(runs, 'bad.ckpt');
    writeFileSync(bad, bytes.subarray(0, 1000));
    let r = runCli(['eval', runDir, '--checkpoint', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.ckpt: truncated checkpoint/);
    r = runCli(['eval', runDir, '--checkpoint', join(runs, 'none.ckpt')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /none\.ckpt: cannot read checkpoint \(ENOENT\)/);
    // Damaged exported weights.
    const w = join(runDir, 'model', 'weights.bin');
    copyFileSync(w, `${w}.ok`);
    writeFileSync(w, readFileSync(w).subarray(0, 100));
    r = runCli(['eval', runDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /weights\.bin: 100 bytes of weights, the manifest needs \d+ \(truncated or corrupt\)/);
    renameSync(`${w}.ok`, w);
    // No model and no checkpoints.
    rmSync(join(runDir, 'model'), { recursive: true });
    for (const f of readdirSync(join(runDir, 'checkpoints'))) rmSync(join(runDir, 'checkpoints', f));
    r = runCli(['eval', runDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no exported model .* and no checkpoint to evaluate/);
    r = runCli(['eval', join(runs, 'missing-run')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing-run\/config\.json: missing/);
  });
});
