/**
 * The training session: the one owner of the TrainingEngine (created lazily through a factory,
 * so activation never loads TensorFlow.js), one training at a time, the cancellable progress
 * notification, the status-bar item, and the RunFeed the training panel listens to.
 */
import * as vscode from 'vscode';
import type { StartEvent, TrainConfig, TrainEvent, WorkerEvent } from '../protocol/index';
import type { CalibrationRequest, CalibrationResult, TrainingEngine } from '../train/engineApi';
import { COMMANDS, type RunFeed } from './runFeed';
import { percent, prepareMessage, progressMessage, runFraction, statusText } from './sessionFormat';
import { readMetrics, runFacts } from '../runs';

/** Makes the engine on first use (the worker engine in the extension, a fake in tests). */
export type EngineFactory = (
  context: vscode.ExtensionContext,
  log: SessionLog,
) => TrainingEngine | Promise<TrainingEngine>;

/** The part of the output channel the session writes to. */
export type SessionLog = Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error' | 'trace' | 'show'>;

/** Context keys for `when` clauses in package.json. */
export const CONTEXT_KEYS = { training: 'nin.training', canResume: 'nin.canResume', hasRun: 'nin.hasRun' } as const;

/** Events kept for views opened mid-run; beyond this the oldest batch events are dropped. */
const MAX_HISTORY = 100_000;

/** A run that stopped early and can resume from its checkpoint. */
export interface StoppedRun {
  readonly runDir: string;
  readonly checkpoint?: string;
  readonly epoch: number;
}

type Progress = vscode.Progress<{ message?: string; increment?: number }>;

/** The training session; implements the RunFeed the panel listens to. */
export class TrainingSession implements RunFeed, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TrainEvent>();
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  /** Every validated event of the current run, in order. */
  readonly onEvent = this.emitter.event;
  /** Fires when running / current run / resumability change (for views and context keys). */
  readonly onDidChangeState = this.stateEmitter.event;

  private engine: Promise<TrainingEngine> | undefined;
  private unsubscribe: (() => void) | undefined;
  private events: TrainEvent[] = [];
  private runDir: string | undefined;
  private isRunning = false;
  private stopping = false;
  private startEvent: StartEvent | undefined;
  private stoppedRun: StoppedRun | undefined;
  private calibrating: Promise<unknown> | undefined;
  /** Set by shutdown() while a closing window waits for the run to stop. */
  private closing: Promise<void> | undefined;
  /** The log of the run being resumed, read before the engine appends to it. */
  private resumedFrom: { runDir: string; events: TrainEvent[] } | undefined;
  private progress: { report: Progress; done: () => void; fraction: number } | undefined;
  private readonly status: vscode.StatusBarItem;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly factory: EngineFactory,
    private readonly log: SessionLog,
  ) {
    this.status = vscode.window.createStatusBarItem('nin.training', vscode.StatusBarAlignment.Left, 50);
    this.status.name = vscode.l10n.t('NiN Training');
    this.status.command = COMMANDS.showPanel;
    void this.setContext();
  }

  /** Events of the current run so far. */
  get history(): readonly TrainEvent[] {
    return this.events;
  }
  /** Folder of the current or last run. */
  get currentRunDir(): string | undefined {
    return this.runDir;
  }
  /** True from `start` until the run's done/stopped/error event. */
  get running(): boolean {
    return this.isRunning;
  }
  /** The last run that was stopped early (resumable), if any. */
  get lastStopped(): StoppedRun | undefined {
    return this.stoppedRun;
  }

  /** The engine, created on first use; a factory failure is thrown again on the next try. */
  getEngine(): Promise<TrainingEngine> {
    this.engine ??= Promise.resolve()
      .then(() => this.factory(this.context, this.log))
      .then((engine) => {
        this.unsubscribe = engine.onEvent((e) => this.onWorkerEvent(e));
        return engine;
      })
      .catch((e: unknown) => {
        this.engine = undefined;
        throw e;
      });
    return this.engine;
  }

  /** Start a run (or resume `resumeRunDir`); false when one is already running or the engine refuses. */
  async start(config: TrainConfig, resumeRunDir?: string): Promise<boolean> {
    if (this.isRunning) {
      void vscode.window.showWarningMessage(vscode.l10n.t('A NiN training run is already in progress: stop it first.'));
      return false;
    }
    this.isRunning = true;
    this.stopping = false;
    this.events = [];
    this.startEvent = undefined;
    this.stoppedRun = undefined;
    this.resumedFrom = undefined;
    if (resumeRunDir) {
      this.runDir = resumeRunDir;
      try {
        this.resumedFrom = { runDir: resumeRunDir, events: (await readMetrics(resumeRunDir)).events };
      } catch (err) {
        this.log.warn(`could not read the earlier metrics of ${resumeRunDir}: ${(err as Error).message}`);
      }
    }
    this.changed();
    try {
      await this.calibrating?.catch(() => undefined);
      const engine = await this.getEngine();
      this.showProgress(resumeRunDir ? vscode.l10n.t('Resuming NiN training') : vscode.l10n.t('NiN training'));
      this.status.text = `$(loading~spin) ${vscode.l10n.t('NiN: preparing')}`;
      this.status.tooltip = vscode.l10n.t('Show the training panel');
      this.status.show();
      engine.train(config, resumeRunDir);
      this.log.info(`training ${resumeRunDir ? `resumed from ${resumeRunDir}` : 'started'}: ${JSON.stringify(config)}`);
      return true;
    } catch (e) {
      this.finish();
      const message = (e as Error).message ?? String(e);
      this.log.error(`could not start training: ${message}`);
      void this.showError(message);
      return false;
    }
  }

  /** Ask the run to stop after its current batch; the last checkpoint is kept. */
  stop(): void {
    if (!this.isRunning) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No NiN training is running.'));
      return;
    }
    if (this.stopping) return;
    this.stopping = true;
    this.status.text = `$(loading~spin) ${vscode.l10n.t('NiN: stopping')}`;
    this.progress?.report.report({ message: vscode.l10n.t('Stopping after the current batch…') });
    void this.engine?.then((e) => e.stop()).catch(() => undefined);
    this.log.info('stop requested');
  }

  /** Measure the engine's speed (for estimates); refused while a run is in progress. */
  async calibrate(request: CalibrationRequest): Promise<CalibrationResult> {
    if (this.isRunning) throw new Error(vscode.l10n.t('A NiN training run is in progress.'));
    const engine = await this.getEngine();
    const p = engine.calibrate(request);
    this.calibrating = p;
    try {
      return await p;
    } finally {
      if (this.calibrating === p) this.calibrating = undefined;
    }
  }

  /** Show a finished or earlier run: its log becomes the history and is replayed to the views. */
  async openRun(dir: string): Promise<{ events: number; badLines: number }> {
    if (this.isRunning) throw new Error(vscode.l10n.t('A NiN training run is in progress.'));
    const { events, badLines } = await readMetrics(dir);
    this.runDir = dir;
    this.events = events;
    const summary = runFacts(events);
    const lastStopped = [...events].reverse().find((e) => e.type === 'stopped');
    this.stoppedRun =
      summary.status === 'stopped'
        ? {
            runDir: dir,
            checkpoint: summary.checkpoint,
            epoch: lastStopped?.type === 'stopped' ? lastStopped.epoch : summary.epochs,
          }
        : undefined;
    // Views reset on a `start` event, so replaying the log redraws the run in an open panel.
    for (const e of events) this.emitter.fire(e);
    this.changed();
    return { events: events.length, badLines };
  }

  private onWorkerEvent(e: WorkerEvent): void {
    if (e.type === 'calibration') return; // answered through calibrate()'s promise
    if (!this.isRunning) {
      // e.g. a late batch after a failed start; an engine error outside a run is only logged
      if (e.type === 'error') this.log.error(`training engine: ${e.message}`);
      else this.log.warn(`ignored a "${e.type}" event with no run in progress`);
      return;
    }
    this.record(e);
    this.emitter.fire(e);
    switch (e.type) {
      case 'start':
        this.startEvent = e;
        this.runDir = e.runDir;
        this.status.text = `$(loading~spin) ${statusText(e.startEpoch, e.config.epochs, 0)}`;
        this.status.tooltip = vscode.l10n.t(
          '{0} on {1}: {2}. Click to show the training panel.',
          e.config.preset,
          e.backend,
          e.backendReason,
        );
        this.changed();
        break;
      case 'prepare':
        this.progress?.report.report({ message: prepareMessage(e, vscode.l10n.t) });
        break;
      case 'batch':
        this.onBatch(e);
        break;
      case 'epoch':
        this.log.info(
          `epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)}, train ${percent(e.trainAcc)}, test ${percent(e.testAcc)}, ${e.imagesPerSecond.toFixed(1)} images/s`,
        );
        break;
      case 'done':
        this.runDir = e.runDir;
        this.finish();
        this.status.text = `$(pass) NiN ${percent(e.testAcc)}`;
        this.status.tooltip = vscode.l10n.t(
          'Training finished: test accuracy {0}. Click to show the training panel.',
          percent(e.testAcc),
        );
        void this.notify(
          vscode.window.showInformationMessage(
            vscode.l10n.t('NiN training finished: test accuracy {0}.', percent(e.testAcc)),
            vscode.l10n.t('Show Panel'),
          ),
        );
        break;
      case 'stopped':
        this.runDir = e.runDir;
        this.stoppedRun = { runDir: e.runDir, checkpoint: e.checkpoint, epoch: e.epoch };
        this.finish();
        this.status.text = `$(debug-pause) ${vscode.l10n.t('NiN stopped')}`;
        this.status.tooltip = vscode.l10n.t('Stopped in epoch {0}. Click to show the training panel.', e.epoch);
        void this.notify(
          vscode.window.showInformationMessage(
            e.checkpoint
              ? vscode.l10n.t('NiN training stopped in epoch {0}; its last checkpoint is kept.', e.epoch)
              : vscode.l10n.t('NiN training stopped before its first checkpoint.'),
            ...(e.checkpoint ? [vscode.l10n.t('Resume')] : []),
            vscode.l10n.t('Show Panel'),
          ),
        );
        break;
      case 'error':
        if (e.runDir) this.runDir = e.runDir;
        this.log.error(`training failed: ${e.message}`);
        this.finish();
        this.status.text = `$(error) ${vscode.l10n.t('NiN failed')}`;
        this.status.tooltip = e.message;
        void this.showError(e.message);
        break;
    }
  }

  private onBatch(e: Extract<TrainEvent, { type: 'batch' }>): void {
    const epochs = this.startEvent?.config.epochs ?? e.epoch;
    const fraction = runFraction(e, { startEpoch: this.startEvent?.startEpoch ?? 1, epochs });
    this.status.text = `$(loading~spin) ${statusText(e.epoch, epochs, fraction)}`;
    const p = this.progress;
    if (!p || this.stopping) return;
    const increment = Math.max(0, fraction - p.fraction) * 100;
    p.fraction = Math.max(p.fraction, fraction);
    p.report.report({ message: progressMessage(e, epochs, vscode.l10n.t), increment });
  }

  private record(e: TrainEvent): void {
    if (e.type === 'start') {
      // A resumed run: the log as it was before the resume, so a panel opened now sees it all.
      this.events = this.resumedFrom?.runDir === e.runDir ? [...this.resumedFrom.events] : [];
      this.resumedFrom = undefined;
    }
    this.events.push(e);
    if (this.events.length > MAX_HISTORY) {
      const drop = this.events.findIndex((x) => x.type === 'batch');
      if (drop >= 0) this.events.splice(drop, 1);
    }
  }

  private showProgress(title: string): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (report, token) =>
        new Promise<void>((resolve) => {
          this.progress = { report, done: resolve, fraction: 0 };
          token.onCancellationRequested(() => this.stop());
        }),
    );
  }

  private finish(): void {
    this.isRunning = false;
    this.stopping = false;
    this.progress?.done();
    this.progress = undefined;
    this.changed();
  }

  private changed(): void {
    void this.setContext();
    this.stateEmitter.fire();
  }

  private async setContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', CONTEXT_KEYS.training, this.isRunning);
    await vscode.commands.executeCommand(
      'setContext',
      CONTEXT_KEYS.canResume,
      !this.isRunning && !!this.stoppedRun?.checkpoint,
    );
    await vscode.commands.executeCommand('setContext', CONTEXT_KEYS.hasRun, this.runDir !== undefined);
  }

  private async notify(choice: Thenable<string | undefined>): Promise<void> {
    const c = await choice;
    if (c === vscode.l10n.t('Show Panel')) await vscode.commands.executeCommand(COMMANDS.showPanel);
    else if (c === vscode.l10n.t('Resume')) await vscode.commands.executeCommand(COMMANDS.resume);
  }

  private async showError(message: string): Promise<void> {
    const c = await vscode.window.showErrorMessage(
      vscode.l10n.t('NiN training failed: {0}', message),
      vscode.l10n.t('Show Log'),
    );
    if (c === vscode.l10n.t('Show Log')) this.log.show(true);
  }

  /**
   * The window is closing or reloading: a run in progress stops after its current batch and
   * checkpoints (its lock released), waited for at most `timeoutMs`, the part of VS Code's
   * shutdown time an extension can count on. VS Code disposes the subscriptions (this session
   * included) right after calling deactivate, without waiting: dispose() therefore ends the
   * engine only once this is over. A host killed sooner still leaves the last periodic
   * checkpoint to resume from.
   */
  shutdown(timeoutMs: number): Promise<void> {
    const pending = this.engine;
    if (!this.isRunning || !pending) return Promise.resolve();
    this.log.info('the window is closing: stopping the run after its current batch');
    // Set before this returns: dispose() follows at once.
    this.closing = pending
      .then(
        (engine) =>
          new Promise<void>((resolve) => {
            const done = (): void => {
              clearTimeout(timer);
              off();
              resolve();
            };
            const timer = setTimeout(done, timeoutMs);
            // The engine's own events: the session's listeners are gone once it is disposed.
            const off = engine.onEvent((e) => {
              if (e.type === 'stopped' || e.type === 'done' || e.type === 'error') done();
            });
            engine.stop();
          }),
      )
      .catch(() => undefined);
    return this.closing;
  }

  /** Stop listening, end the progress and terminate the engine's worker. */
  dispose(): void {
    this.progress?.done();
    this.unsubscribe?.();
    this.status.dispose();
    this.emitter.dispose();
    this.stateEmitter.dispose();
    const engine = this.engine;
    this.engine = undefined;
    void (this.closing ?? Promise.resolve()).then(() => engine?.then((e) => e.dispose())).catch(() => undefined);
  }
}

/** Create the session and register it for disposal with the extension. */
export function createSession(
  context: vscode.ExtensionContext,
  engineFactory: EngineFactory,
  log: SessionLog,
): TrainingSession {
  const session = new TrainingSession(context, engineFactory, log);
  context.subscriptions.push(session);
  return session;
}
