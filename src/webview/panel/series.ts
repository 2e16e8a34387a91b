/**
 * The run as the panel holds it: per-batch points in growable typed arrays (appending is O(1)
 * and nothing is copied per update), per-epoch records, the latest status, evaluation and
 * backend. Pure data, so the unit tests drive it without a browser.
 */
import type { EpochEvent, EvaluationEvent, ModelFormat, StartEvent, TrainEvent } from '../../protocol/index';

/** A Float64Array that grows by doubling. */
export class Growable {
  private buf: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Float64Array(capacity);
  }

  /** Append one value. */
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  /** Keep the first n values. */
  truncate(n: number): void {
    this.length = Math.min(this.length, Math.max(0, n));
  }

  /** The values (a view: valid until the next push). */
  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }

  at(i: number): number {
    return this.buf[i];
  }
}

/** The loss smoothing TensorBoard uses: an exponential moving average with bias correction. */
export const SMOOTHING = 0.9;

/** What the status strip shows. */
export type RunStatus = 'idle' | 'preparing' | 'running' | 'done' | 'stopped' | 'error' | 'diverged';

/** The whole run, fed event by event. */
export class RunSeries {
  /** x of each batch point: fractional epoch (epoch - 1 + batch / batchesPerEpoch). */
  readonly x = new Growable();
  readonly loss = new Growable();
  readonly smooth = new Growable();
  readonly acc = new Growable();
  readonly ips = new Growable();
  epochs: EpochEvent[] = [];
  start?: StartEvent;
  evaluation?: EvaluationEvent;
  status: RunStatus = 'idle';
  message = '';
  /** What the finished run exported (its done event says; older logs: TensorFlow.js). */
  modelFormat?: ModelFormat;
  prepareFraction = -1;
  etaSeconds = NaN;
  lastEpoch = 0;
  lastBatch = 0;
  batchesPerEpoch = 0;
  testAcc = NaN;
  /** Bumped by every change, so views redraw only when something changed. */
  version = 0;
  private ema = 0;
  private emaSteps = 0;

  /** Forget everything (a new run). */
  clear(): void {
    for (const g of [this.x, this.loss, this.smooth, this.acc, this.ips]) g.truncate(0);
    this.epochs = [];
    this.start = undefined;
    this.evaluation = undefined;
    this.status = 'idle';
    this.message = '';
    this.prepareFraction = -1;
    this.etaSeconds = NaN;
    this.lastEpoch = this.lastBatch = this.batchesPerEpoch = 0;
    this.testAcc = NaN;
    this.ema = this.emaSteps = 0;
    this.version++;
  }

  /** Apply one event. */
  apply(e: TrainEvent): void {
    this.version++;
    switch (e.type) {
      case 'start':
        if (e.startEpoch <= 1) this.clear();
        else this.trimFrom(e.startEpoch);
        this.start = e;
        this.modelFormat = undefined;
        this.status = 'running';
        this.batchesPerEpoch = e.batchesPerEpoch;
        this.message = '';
        break;
      case 'batch': {
        const x = e.epoch - 1 + e.batch / Math.max(1, e.batchesPerEpoch);
        // A point that goes back in time (a duplicate from a log and the live feed) is ignored.
        if (this.x.length && x <= this.x.at(this.x.length - 1)) break;
        this.x.push(x);
        this.loss.push(e.loss);
        this.emaSteps++;
        this.ema = SMOOTHING * this.ema + (1 - SMOOTHING) * e.loss;
        this.smooth.push(this.ema / (1 - SMOOTHING ** this.emaSteps));
        this.acc.push(e.acc);
        this.ips.push(e.imagesPerSecond);
        this.etaSeconds = e.etaSeconds;
        this.lastEpoch = e.epoch;
        this.lastBatch = e.batch;
        this.batchesPerEpoch = e.batchesPerEpoch;
        if (this.status !== 'running') this.status = 'running';
        break;
      }
      case 'epoch':
        this.epochs = [...this.epochs.filter((x) => x.epoch !== e.epoch), e].sort((a, b) => a.epoch - b.epoch);
        this.testAcc = e.testAcc;
        this.lastEpoch = e.epoch;
        break;
      case 'evaluation':
        this.evaluation = e;
        break;
      case 'checkpoint':
        break;
      case 'done':
        this.status = 'done';
        this.modelFormat = e.modelFormat ?? 'tfjs-layers';
        this.testAcc = e.testAcc;
        this.etaSeconds = 0;
        break;
      case 'stopped':
        this.status = 'stopped';
        this.etaSeconds = NaN;
        break;
      case 'error':
        // A diverged run is not a crash: it needs another recipe, not a resume.
        this.status = e.diverged ? 'diverged' : 'error';
        this.message = e.message;
        this.etaSeconds = NaN;
        break;
      case 'prepare':
        if (this.status !== 'running') this.status = 'preparing';
        this.message = e.message;
        this.prepareFraction = e.fraction;
        break;
    }
  }

  /** A resumed run redoes epochs from `epoch` on: drop what was recorded for them. */
  private trimFrom(epoch: number): void {
    const xs = this.x.view();
    let n = xs.length;
    while (n > 0 && xs[n - 1] > epoch - 1) n--;
    for (const g of [this.x, this.loss, this.smooth, this.acc, this.ips]) g.truncate(n);
    this.epochs = this.epochs.filter((e) => e.epoch < epoch);
    if (this.evaluation && this.evaluation.epoch >= epoch) this.evaluation = undefined;
    // Restart the smoothing from the kept points.
    this.ema = 0;
    this.emaSteps = 0;
    for (let i = 0; i < n; i++) {
      this.emaSteps++;
      this.ema = SMOOTHING * this.ema + (1 - SMOOTHING) * this.loss.at(i);
    }
  }
}
