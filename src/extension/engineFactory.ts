/**
 * The one place the extension gets its TrainingEngine from: runs and calibrations go to the
 * worker engine (TensorFlow.js in one long-lived worker_threads Worker) or, with
 * `nin.backend: pytorch`, to the PyTorch engine (a child Python process per run), each created
 * when first needed; with `auto`, to the faster of the two in this machine's calibration (kept
 * in globalState, shared with the recipe quick pick's estimates). The dataset cache lives in the
 * extension's global storage, so a download survives workspaces and reloads.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { PytorchEngine } from '../train/pytorch/engine';
import { chooseForRun } from '../train/engineChoice';
import { RoutingEngine } from '../train/routingEngine';
import { WorkerEngine } from '../train/workerEngine';
import { pythonExtensionInterpreter } from './pythonInterpreter';
import { readTrainingSettings, resolveFolder } from './settings';
import type { EngineFactory } from './session';

const currentSettings = () => readTrainingSettings((k) => vscode.workspace.getConfiguration('nin').get(k)).settings;

/** Creates the training engine on first use (the session calls it lazily). */
export const engineFactory: EngineFactory = (context) => {
  const cacheDir = join(context.globalStorageUri.fsPath, 'fashion-mnist');
  return new RoutingEngine({
    tfjs: () => new WorkerEngine({ workerPath: join(context.extensionPath, 'out', 'worker.js'), cacheDir }),
    pytorch: () =>
      new PytorchEngine({
        cacheDir,
        device: () => currentSettings().device,
        // A model built by running the reader's code: only in a workspace the user trusts.
        allowUserCode: () => vscode.workspace.isTrusted,
        python: () => {
          const setting = currentSettings().pythonPath;
          // `~/...` to the home folder; a bare name (python3.11) is looked up on the PATH.
          const configured = setting ? resolveFolder(setting, undefined) : '';
          return configured
            ? { configured, configuredBy: 'nin.pythonPath' }
            : { fromPythonExtension: pythonExtensionInterpreter };
        },
      }),
    chooseAuto: (config, measure) => chooseForRun(context.globalState, measure, config),
  });
};
