/**
 * The TrainingEngine the extension host uses: it owns the one training Worker, created on first
 * use and kept for the extension's lifetime. Every message from the worker is validated; a
 * crash of the worker becomes an `error` event for the run it interrupted, and the next run
 * starts a fresh worker. No vscode import: the CLI and tests can use it too.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  validateWorkerEvent,
  type CalibrateCommand,
  type TrainCommand,
  type TrainConfig,
  type WorkerCommand,
  type WorkerEvent,
} from '../protocol';
import type { CalibrationRequest, CalibrationResult, TrainingEngine } from './engineApi';

/** Where the worker bundle is and what it needs. */
export interface WorkerEngineOptions {
  /** Path of the bundled worker (default: `worker.js` beside this bundle, i.e. out/worker.js). */
  readonly workerPath?: string;
  /** Dataset cache folder (the extension's global storage). */
  readonly cacheDir?: string;
}

interface PendingCalibration {
  resolve(v: CalibrationResult): void;
  reject(e: Error): void;
}

/** The training engine behind one long-lived worker thread. */
export class WorkerEngine implements TrainingEngine {
  private worker: Worker | undefined;
  private readonly listeners = new Set<(e: WorkerEvent) => void>();
  private running = false;
  private calibration: PendingCalibration | undefined;
  private disposed = false;
  /** Workers started so far (1 unless one crashed). */
  workersStarted = 0;

  constructor(private readonly options: WorkerEngineOptions = {}) {}

  get busy(): boolean {
    return this.running;
  }

  private ensureWorker(): Worker {
    if (this.disposed) throw new Error('the training engine was disposed');
    if (this.worker) return this.worker;
    const w = new Worker(this.options.workerPath ?? join(__dirname, 'worker.js'), {
      workerData: { cacheDir: this.options.cacheDir },
    });
    this.workersStarted++;
    let crash: string | undefined;
    w.on('message', (m: unknown) => {
      if (this.worker === w) this.onMessage(m);
    });
    w.on('error', (e) => {
      crash = e instanceof Error ? e.message : String(e);
    });
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      if (this.disposed) return;
      this.fail(
        `the training worker stopped unexpectedly (${crash ?? `exit code ${code}`}); the next run starts a fresh one`,
      );
    });
    this.worker = w;
    return w;
  }

  /** End whatever was in flight with an error (worker crash). */
  private fail(message: string): void {
    const c = this.calibration;
    this.calibration = undefined;
    c?.reject(new Error(message));
    if (this.running) {
      this.running = false;
      this.deliver({ type: 'error', message });
    }
  }

  private onMessage(m: unknown): void {
    const v = validateWorkerEvent(m);
    if (!v.ok) {
      this.deliver({ type: 'error', message: `invalid message from the training worker: ${v.error}` });
      return;
    }
    const e = v.value;
    if (e.type === 'calibration') {
      const c = this.calibration;
      this.calibration = undefined;
      c?.resolve({ imagesPerSecond: e.imagesPerSecond, flops: e.flops, backend: e.backend });
      return;
    }
    if (e.type === 'error' && this.calibration && !this.running) {
      const c = this.calibration;
      this.calibration = undefined;
      c.reject(new Error(e.message));
      return;
    }
    if (e.type === 'done' || e.type === 'stopped' || e.type === 'error') this.running = false;
    this.deliver(e);
  }

  private deliver(e: WorkerEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A listener's failure must not stop the others from hearing the run.
      }
    }
  }

  private send(cmd: WorkerCommand): void {
    this.ensureWorker().postMessage(cmd);
  }

  train(config: TrainConfig, resumeRunDir?: string): void {
    if (this.running) throw new Error('a training run is already in progress');
    if (this.calibration) throw new Error('a calibration is in progress');
    const cmd: TrainCommand = resumeRunDir ? { type: 'train', config, resumeRunDir } : { type: 'train', config };
    this.running = true;
    try {
      this.send(cmd);
    } catch (e) {
      this.running = false;
      throw e;
    }
  }

  stop(): void {
    if (this.running) this.worker?.postMessage({ type: 'stop' } satisfies WorkerCommand);
  }

  calibrate(request: CalibrationRequest): Promise<CalibrationResult> {
    if (this.running) return Promise.reject(new Error('cannot calibrate while a run is in progress'));
    if (this.calibration) return Promise.reject(new Error('a calibration is already in progress'));
    return new Promise((resolve, reject) => {
      this.calibration = { resolve, reject };
      const cmd: CalibrateCommand = { type: 'calibrate', ...request };
      try {
        this.send(cmd);
      } catch (e) {
        this.calibration = undefined;
        reject(e as Error);
      }
    });
  }

  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const w = this.worker;
    this.worker = undefined;
    this.fail('the training engine was disposed');
    this.listeners.clear();
    if (w) await w.terminate();
  }
}
