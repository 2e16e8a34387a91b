/**
 * PLACEHOLDER until the engine branch lands: the one place main.ts gets its TrainingEngine from.
 * The lead points this at the real worker engine, e.g.
 *
 *   import { createWorkerEngine } from '../model/train/workerEngine';
 *   export const engineFactory: EngineFactory = (context, log) => createWorkerEngine(...);
 *
 * Until then every training or calibration reports "engine not available yet" (never a crash).
 */
import * as vscode from 'vscode';
import type { EngineFactory } from './session';

/** Creates the training engine on first use (the session calls it lazily). */
export const engineFactory: EngineFactory = () => {
  throw new Error(vscode.l10n.t('The NiN training engine is not available yet in this build.'));
};
