/**
 * The seam between the training session (which owns the worker) and the views that show a
 * run (the training panel): the panel only listens, and acts through command IDs.
 */
import type * as vscode from 'vscode';
import type { TrainEvent } from '../protocol/index';

/** What a view needs from the training session. */
export interface RunFeed {
  /** Fires for every event of the current run, in order (already validated). */
  readonly onEvent: vscode.Event<TrainEvent>;
  /** The run folder of the current or last run, if any; its metrics log holds the history. */
  readonly currentRunDir: string | undefined;
  /** Events of the current run so far, for a view opened mid-run. */
  readonly history: readonly TrainEvent[];
  /** True while a run is in progress. */
  readonly running: boolean;
}

/** Command IDs contributed by the extension (package.json `contributes.commands`). */
export const COMMANDS = {
  train: 'nin.train',
  stop: 'nin.stop',
  resume: 'nin.resume',
  showPanel: 'nin.showPanel',
  showArchitecture: 'nin.showArchitecture',
  openRun: 'nin.openRun',
  revealBlock: 'nin.revealBlock',
  setInputShape: 'nin.setInputShape',
  trainModel: 'nin.trainModel',
  showModel: 'nin.showModel',
} as const;

/** Setting keys under `nin.` (package.json `contributes.configuration`). */
export const SETTINGS = {
  preset: 'preset',
  inputSize: 'inputSize',
  epochs: 'epochs',
  batchSize: 'batchSize',
  learningRate: 'learningRate',
  optimizer: 'optimizer',
  backend: 'backend',
  threads: 'threads',
  device: 'device',
  processes: 'pytorch.processes',
  pythonPath: 'pythonPath',
  dataFolder: 'dataFolder',
  runsFolder: 'runsFolder',
  checkpointMinutes: 'checkpointMinutes',
  hoverInputShape: 'hover.inputShape',
  hoverInlayHints: 'hover.inlayHints',
  codeLens: 'codeLens',
} as const;
