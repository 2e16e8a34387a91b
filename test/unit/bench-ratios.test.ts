import * as assert from 'node:assert/strict';
import {
  ENGINE_PYTORCH,
  medianRatios,
  ratios,
  roundRatios,
  steadyImagesPerSecond,
  type BenchRow,
} from '../../src/cli/bench';
import type { BatchEvent } from '../../src/protocol/index';

describe('bench ratios', () => {
  const row = (
    engine: string,
    threads: number,
    ips: number,
    ipcs: number,
    preset: 'seed' | 'compact' = 'compact',
  ): BenchRow => ({
    engine,
    preset,
    input: preset === 'seed' ? 96 : 28,
    batch: 128,
    threads,
    imagesPerSecond: ips,
    imagesPerCpuSecond: ipcs,
  });
  const rows = [
    row('pytorch', 1, 300, 320),
    row('pytorch', 2, 500, 260),
    row('wasm', 1, 60, 80),
    row('wasm', 2, 100, 70),
    row('pytorch', 2, 400, 200, 'seed'),
  ];

  it('wall clock: best of ours over PyTorch with 2 threads (the issue reference), per case', () => {
    const r = ratios(rows);
    assert.equal(r['compact@28'], 100 / 500);
    assert.equal(Object.keys(r).length, 1, 'no ratio without any of ours for seed');
  });

  it('per CPU-second: best of ours over the best PyTorch row (usually one thread)', () => {
    assert.equal(ratios(rows, 'imagesPerCpuSecond')['compact@28'], 80 / 320);
  });

  it('over rounds: each round compares its own rows, and the median of those ratios is reported', () => {
    const inRound = (r: BenchRow, round: number): BenchRow => ({ ...r, round });
    const multi = [
      inRound(row('pytorch', 2, 500, 260), 1),
      inRound(row('wasm', 2, 100, 70), 1), // 0.2
      inRound(row('pytorch', 2, 250, 260), 2), // a busy moment slowed both
      inRound(row('wasm', 2, 75, 70), 2), // 0.3
      inRound(row('pytorch', 2, 400, 260), 3),
      inRound(row('wasm', 2, 100, 70), 3), // 0.25
    ];
    assert.deepEqual(
      roundRatios(multi).map((r) => r['compact@28']),
      [0.2, 0.3, 0.25],
    );
    assert.equal(medianRatios(multi)['compact@28'], 0.25);
    // Pooling all rounds instead would compare the best of ours with the best PyTorch: 100 / 500.
    assert.equal(ratios(multi)['compact@28'], 0.2);
    // An even count takes the mean of the middle two.
    assert.equal(medianRatios(multi.slice(0, 4))['compact@28'], 0.25);
  });

  it('our PyTorch engine is compared with raw PyTorch on its own, never as the best of the tfjs engines', () => {
    const withEngine = [...rows, row(ENGINE_PYTORCH, 2, 460, 0)];
    assert.equal(ratios(withEngine)['compact@28'], 100 / 500, 'tfjs ratio unchanged');
    const isEngine = (r: BenchRow) => r.engine === ENGINE_PYTORCH;
    assert.equal(medianRatios(withEngine, 'imagesPerSecond', isEngine)['compact@28'], 460 / 500);
  });

  it('steady images/s from the running rate of batch events: warm-up batches do not count', () => {
    // Batch 1 took 1 s (warm-up), then 0.1 s per batch of 100: the running rate hides the steady 1000/s.
    const ev = (batch: number, seconds: number): BatchEvent => ({
      type: 'batch',
      epoch: 1,
      batch,
      batchesPerEpoch: 20,
      loss: 1,
      acc: 0.5,
      imagesPerSecond: (batch * 100) / seconds,
      etaSeconds: 0,
    });
    const events = [ev(1, 1), ev(2, 1.1), ev(4, 1.3), ev(10, 1.9), ev(20, 2.9)];
    const steady = steadyImagesPerSecond(events, 100, 2000);
    assert.ok(steady !== undefined && Math.abs(steady - 1000) < 1e-6, String(steady));
    assert.equal(steadyImagesPerSecond([ev(1, 1), ev(2, 1.1)], 100, 2000), undefined, 'too few batches');
  });
});
