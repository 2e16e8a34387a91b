/**
 * The extension host's side of the shape analysis worker (src/pyshape/worker.ts): it starts the
 * worker on the first request, sends documents and edits, and settles each request once from
 * the worker's validated replies. A watchdog pings the worker while work is outstanding: a
 * worker that stays silent past its limit is stuck in one synchronous piece of work (a parse
 * that does not end), so it is terminated, that request fails with a message naming the file,
 * and the other requests are sent again to a fresh worker.
 */
import { Worker } from 'node:worker_threads';
import {
  validateShapeReply,
  type AnalyseRequest,
  type AnalysisData,
  type ShapeReply,
  type ShapeRequest,
  type ShapeTextChange,
} from '../../protocol/index';

/**
 * The analysis as analysePython gives it, with the worker's per-model trainability kept beside
 * it (non-enumerable, as the models' own `mod` is where the analysis runs on this thread).
 */
function withHiddenTrainability(a: AnalysisData): AnalysisData {
  const { trainability, ...rest } = a;
  if (trainability) Object.defineProperty(rest, 'trainability', { value: trainability, enumerable: false });
  return rest;
}

/** A request's outcome: analysed, abandoned (cancelled, or its document changed), or failed. */
export type ShapeOutcome =
  | { readonly kind: 'analysed'; readonly analysis: AnalysisData; readonly ms: number }
  | { readonly kind: 'abandoned' }
  | { readonly kind: 'failed'; readonly message: string; readonly rejected: boolean };

/** What cancels a request: vscode.CancellationToken has this shape. */
export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/** How to start the worker and how long it may be silent. */
export interface ShapeWorkerOptions {
  /** The worker bundle (out/shape-worker.js). */
  readonly workerPath: string;
  /** tree-sitter's .wasm files (out/wasm). */
  readonly wasmDir: string;
  /** Silence (no reply to pings) after which a busy worker counts as stuck. */
  readonly runawayMs?: number;
  readonly log?: (level: 'trace' | 'error', message: string) => void;
}

/** Default silence limit: a parse has a 1 s budget of its own, so this is only ever a runaway. */
export const RUNAWAY_MS = 10_000;
/** Starting a worker (loading the bundle and the grammar, warming up) may take this long. */
const STARTUP_MS = 30_000;

interface Pending {
  readonly request: AnalyseRequest;
  readonly settle: (o: ShapeOutcome) => void;
}

/** One long-lived shape worker, created on first use. */
export class ShapeWorker {
  private worker: Worker | undefined;
  private ready = false;
  private lastHeard = 0;
  private working: number | undefined;
  private workingDoc: string | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private nextId = 0;
  private disposed = false;
  private readonly pending = new Map<number, Pending>();
  private readonly runawayMs: number;
  /** Workers started so far (1 unless one was stuck or crashed). */
  workersStarted = 0;

  constructor(private readonly options: ShapeWorkerOptions) {
    this.runawayMs = options.runawayMs ?? RUNAWAY_MS;
  }

  /** Analyse a document's text; settles once, never rejects. */
  analyse(request: Omit<AnalyseRequest, 'type' | 'id'>, cancel?: CancelSignal): Promise<ShapeOutcome> {
    if (this.disposed) return Promise.resolve({ kind: 'abandoned' });
    if (cancel?.isCancellationRequested) return Promise.resolve({ kind: 'abandoned' });
    const id = this.nextId++;
    const full: AnalyseRequest = { type: 'analyse', id, ...request };
    return new Promise<ShapeOutcome>((resolve) => {
      const sub = cancel?.onCancellationRequested(() => {
        if (!this.pending.has(id)) return;
        this.worker?.postMessage({ type: 'cancel', id } satisfies ShapeRequest);
        settle({ kind: 'abandoned' });
      });
      const settle = (o: ShapeOutcome): void => {
        if (!this.pending.delete(id)) return;
        sub?.dispose();
        if (!this.pending.size) this.stopWatchdog();
        resolve(o);
      };
      this.pending.set(id, { request: full, settle });
      this.send(full);
    });
  }

  /** A document changed: the worker edits its tree (and abandons runs of older versions). */
  edit(doc: string, version: number, changes: readonly ShapeTextChange[]): void {
    this.worker?.postMessage({ type: 'edit', doc, version, changes } satisfies ShapeRequest);
  }

  /** Forget one document's tree, or all. */
  forget(doc?: string): void {
    this.worker?.postMessage((doc === undefined ? { type: 'forget' } : { type: 'forget', doc }) satisfies ShapeRequest);
  }

  private send(r: AnalyseRequest): void {
    this.ensureWorker().postMessage(r);
    this.watchdog ??= setInterval(() => this.check(), Math.max(5, Math.min(250, this.runawayMs / 4)));
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.options.workerPath, { workerData: { wasmDir: this.options.wasmDir } });
    this.workersStarted++;
    this.ready = false;
    this.working = this.workingDoc = undefined;
    this.lastHeard = performance.now();
    let crash: string | undefined;
    w.on('message', (m: unknown) => this.worker === w && this.onReply(m));
    w.on('error', (e) => (crash = e instanceof Error ? e.message : String(e)));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failAll(`the shape analyser stopped unexpectedly (${crash ?? `exit code ${code}`})`);
    });
    // Outstanding work must not keep the process alive, but the worker itself must not either.
    w.unref();
    this.worker = w;
    return w;
  }

  private onReply(m: unknown): void {
    this.lastHeard = performance.now();
    const v = validateShapeReply(m);
    if (!v.ok) {
      this.options.log?.('error', `invalid message from the shape worker: ${v.error}`);
      return;
    }
    const r: ShapeReply = v.value;
    switch (r.type) {
      case 'ready':
        this.ready = true;
        this.options.log?.('trace', `shapes: parser loaded in the worker, warmed up in ${r.warmupMs.toFixed(1)} ms`);
        return;
      case 'working':
        this.working = r.id;
        this.workingDoc = this.pending.get(r.id)?.request.doc;
        return;
      case 'pong':
        return;
      case 'analysed':
        return this.pending
          .get(r.id)
          ?.settle({ kind: 'analysed', analysis: withHiddenTrainability(r.analysis), ms: r.ms });
      case 'abandoned':
        return this.pending.get(r.id)?.settle({ kind: 'abandoned' });
      case 'failed':
        return this.pending.get(r.id)?.settle({ kind: 'failed', message: r.message, rejected: r.rejected });
      default: {
        const never: never = r;
        this.options.log?.('error', `unhandled shape reply ${JSON.stringify(never)}`);
      }
    }
  }

  /** Ping a busy worker; terminate one that has been silent past its limit. */
  private check(): void {
    const w = this.worker;
    if (!w || !this.pending.size) return;
    const silent = performance.now() - this.lastHeard;
    if (silent <= (this.ready ? this.runawayMs : Math.max(STARTUP_MS, this.runawayMs))) {
      w.postMessage({ type: 'ping' } satisfies ShapeRequest);
      return;
    }
    this.worker = undefined;
    void w.terminate();
    const message = this.ready
      ? `the shape analysis of ${this.workingDoc ?? 'a document'} ran for more than ${this.runawayMs} ms and was ` +
        'stopped (the analyser restarts for the next request)'
      : `the shape analyser did not start within ${Math.max(STARTUP_MS, this.runawayMs)} ms`;
    this.options.log?.('error', message);
    if (!this.ready) return this.failAll(message);
    if (this.working !== undefined) this.pending.get(this.working)?.settle({ kind: 'failed', message, rejected: true });
    // The others were only waiting their turn: a fresh worker answers them.
    for (const p of [...this.pending.values()]) this.send(p.request);
  }

  private failAll(message: string): void {
    for (const p of [...this.pending.values()]) p.settle({ kind: 'failed', message, rejected: false });
    this.stopWatchdog();
  }

  private stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** Stop the worker; outstanding requests settle as abandoned. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const w = this.worker;
    this.worker = undefined;
    for (const p of [...this.pending.values()]) p.settle({ kind: 'abandoned' });
    this.stopWatchdog();
    if (w) await w.terminate();
  }
}
