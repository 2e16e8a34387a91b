/**
 * The one place the extension gets its TrainingEngine from: the worker engine (one long-lived
 * worker_threads Worker, created when the session first needs it). The dataset cache lives in
 * the extension's global storage, so a download survives workspaces and reloads.
 */
import { join } from 'node:path';
import { WorkerEngine } from '../train/workerEngine';
import type { EngineFactory } from './session';

/** Creates the training engine on first use (the session calls it lazily). */
export const engineFactory: EngineFactory = (context) =>
  new WorkerEngine({
    workerPath: join(context.extensionPath, 'out', 'worker.js'),
    cacheDir: join(context.globalStorageUri.fsPath, 'fashion-mnist'),
  });
