import * as assert from 'node:assert/strict';
import { ratios, type BenchRow } from '../../src/cli/bench';

describe('bench ratios', () => {
  const row = (engine: string, threads: number, ips: number, ipcs: number, preset: 'seed' | 'compact' = 'compact'): BenchRow => ({
    engine,
    preset,
    input: preset === 'seed' ? 96 : 28,
    batch: 128,
    threads,
    imagesPerSecond: ips,
    imagesPerCpuSecond: ipcs,
  });
  const rows = [row('pytorch', 1, 300, 320), row('pytorch', 2, 500, 260), row('wasm', 1, 60, 80), row('wasm', 2, 100, 70), row('pytorch', 2, 400, 200, 'seed')];

  it('wall clock: best of ours over PyTorch with 2 threads (the issue reference), per case', () => {
    const r = ratios(rows);
    assert.equal(r['compact@28'], 100 / 500);
    assert.equal(Object.keys(r).length, 1, 'no ratio without any of ours for seed');
  });

  it('per CPU-second: best of ours over the best PyTorch row (usually one thread)', () => {
    assert.equal(ratios(rows, 'imagesPerCpuSecond')['compact@28'], 80 / 320);
  });
});
