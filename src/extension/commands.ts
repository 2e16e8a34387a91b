/**
 * The NiN commands: Train (recipe quick pick), Stop, Resume, Open Run, Show Architecture, and
 * fallbacks for the panel's commands while the panel is not registered.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { MODEL_PRESET, type ModelSource } from '../protocol/config';
import { recipeConfig } from '../train/recipes';
import { pickRecipe } from './recipesPick';
import { COMMANDS } from './runFeed';
import type { TrainingSession } from './session';
import { percent } from './sessionFormat';
import { classifyImage } from './commandsClassify';
import { exportModel, modelReadme, readModelFiles } from './commandsModel';
import {
  findRunModel,
  listRuns,
  readMetrics,
  RUN_FILES,
  runFacts,
  modelFolderFormat,
  runPaths,
  STATE_DICT_FILE,
  tryReadRunConfig,
  type RunInfo,
} from '../runs';
import { readHostSettings, reportSettingIssues } from './settingsHost';

type Log = Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error'>;

/** Commands of the after-training views (package.json `contributes.commands`). */
export const MODEL_COMMANDS = { exportModel: 'nin.exportModel', classifyImage: 'nin.classifyImage' } as const;

/** View ID of the architecture side view (package.json `contributes.views`). */
export const ARCHITECTURE_VIEW = 'nin.architecture';

/** Register the session's commands. */
export function registerCommands(context: vscode.ExtensionContext, session: TrainingSession, log: Log): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.train, () => train(context, session, log)),
    vscode.commands.registerCommand(COMMANDS.stop, () => session.stop()),
    vscode.commands.registerCommand(COMMANDS.resume, (runDir?: unknown) =>
      resume(context, session, log, typeof runDir === 'string' ? runDir : undefined),
    ),
    vscode.commands.registerCommand(COMMANDS.openRun, () => openRun(context, session, log)),
    vscode.commands.registerCommand(COMMANDS.showArchitecture, () =>
      vscode.commands.executeCommand(`${ARCHITECTURE_VIEW}.focus`),
    ),
    vscode.commands.registerCommand(MODEL_COMMANDS.classifyImage, (arg?: unknown) =>
      classifyImage(context, log, (title) => pickModelRun(context, session, title), arg),
    ),
    vscode.commands.registerCommand(MODEL_COMMANDS.exportModel, (runDir?: unknown) =>
      exportModelCommand(context, session, log, typeof runDir === 'string' ? runDir : undefined),
    ),
  );
}

async function busy(session: TrainingSession): Promise<boolean> {
  if (!session.running) return false;
  const show = vscode.l10n.t('Show Panel');
  const stop = vscode.l10n.t('Stop Training');
  const c = await vscode.window.showWarningMessage(
    vscode.l10n.t('A NiN training run is already in progress: one at a time.'),
    show,
    stop,
  );
  if (c === show) await vscode.commands.executeCommand(COMMANDS.showPanel);
  else if (c === stop) session.stop();
  return true;
}

/** `processes` for a config: the setting when it asks for more than one (one process needs no field). */
function processesOf(s: { readonly processes: number }): { processes?: number } {
  return s.processes > 1 ? { processes: s.processes } : {};
}

/** A network read from the reader's code, to train instead of a preset (src/extension/commandsTrainModel.ts). */
export interface CodeModel {
  /** The model as it is now: what the recipe estimates are for. */
  readonly model: ModelSource;
  /** The model read again once a recipe is picked (the file's text at the start), or undefined with the reason shown. */
  readonly atStart: () => Promise<ModelSource | undefined>;
}

/** NiN: Train — pick a recipe (with estimates), then start it; with `code`, for that model. */
export async function train(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  log: Log,
  code?: CodeModel,
): Promise<void> {
  if (await busy(session)) return;
  const host = readHostSettings(context);
  void reportSettingIssues(host.issues, log);
  const picked = await pickRecipe(context, session, host.settings, log, code?.model);
  if (!picked) return;
  const machine = {
    backend: host.settings.backend,
    threads: host.settings.threads,
    device: host.settings.device,
    dataDir: host.dataDir,
    runsDir: host.runsDir,
  };
  let config = { ...recipeConfig(picked.fields, machine), ...processesOf(host.settings) };
  if (code) {
    const model = await code.atStart();
    if (!model) return;
    config = { ...config, preset: MODEL_PRESET, model, input: model.input[1] };
    // A network built by running its code trains where that code runs: the PyTorch engine.
    if (model.build === 'code' && config.backend !== 'pytorch') {
      log.info(`${model.name} is built by its code: training on the PyTorch engine (${model.why ?? ''})`);
      config = { ...config, backend: 'pytorch' };
    }
  }
  log.info(`recipe "${picked.id}"${code ? ` for ${code.model.name} from ${code.model.file}` : ''}`);
  if (await session.start(config)) await vscode.commands.executeCommand(COMMANDS.showPanel);
}

function runItem(r: RunInfo): vscode.QuickPickItem & { run: RunInfo } {
  const status = {
    done: vscode.l10n.t('finished'),
    stopped: vscode.l10n.t('stopped'),
    error: vscode.l10n.t('failed'),
    diverged: vscode.l10n.t('diverged'),
    incomplete: vscode.l10n.t('incomplete'),
  }[r.status];
  const c = r.config;
  return {
    run: r,
    label: r.name,
    description: c
      ? vscode.l10n.t('{0} NiN {1}×{1}, {2} lr {3}, {4} epochs', c.preset, c.input, c.optimizer, c.lr, c.epochs)
      : vscode.l10n.t('no valid {0}', RUN_FILES.config),
    detail: [
      status,
      vscode.l10n.t('{0} epochs done', r.epochs),
      r.finalTestAcc !== undefined ? vscode.l10n.t('test accuracy {0}', percent(r.finalTestAcc)) : '',
      new Date(r.modified).toLocaleString(),
    ]
      .filter(Boolean)
      .join(' · '),
  };
}

/** NiN: Resume Training — the last stopped run, else pick one with a checkpoint. */
async function resume(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  log: Log,
  runDir?: string,
): Promise<void> {
  if (await busy(session)) return;
  const host = readHostSettings(context);
  void reportSettingIssues(host.issues, log);
  let dir = runDir ?? session.lastStopped?.runDir;
  if (!dir) {
    // A diverged run would diverge again on its own recipe: it needs a new run, not a resume.
    const runs = (await listRuns([host.runsDir], log)).filter(
      (r) => r.status !== 'done' && r.status !== 'diverged' && r.checkpoint && r.config,
    );
    if (!runs.length) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('No stopped run with a checkpoint in {0}.', host.runsDir),
      );
      return;
    }
    const item =
      runs.length === 1
        ? runItem(runs[0])
        : await vscode.window.showQuickPick(runs.map(runItem), {
            title: vscode.l10n.t('NiN: Resume Training'),
            matchOnDescription: true,
          });
    if (!item) return;
    dir = item.run.runDir;
  }
  const saved = await tryReadRunConfig(dir, log);
  if (!saved) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('Cannot resume {0}: its {1} is missing or invalid.', dir, RUN_FILES.config),
    );
    return;
  }
  // The run keeps its recipe; the machine-specific fields follow the current settings.
  const config = {
    ...saved,
    backend: host.settings.backend,
    threads: host.settings.threads,
    device: host.settings.device,
    dataDir: host.dataDir,
    processes: host.settings.processes,
  };
  if (await session.start(config, dir)) await vscode.commands.executeCommand(COMMANDS.showPanel);
}

/** NiN: Open Run... — show an earlier run in the panel. */
async function openRun(context: vscode.ExtensionContext, session: TrainingSession, log: Log): Promise<void> {
  if (await busy(session)) return;
  const { runsDir } = readHostSettings(context);
  const runs = await listRuns([runsDir], log);
  if (!runs.length) {
    const trainNow = vscode.l10n.t('Train');
    if (
      (await vscode.window.showInformationMessage(vscode.l10n.t('No NiN runs in {0} yet.', runsDir), trainNow)) ===
      trainNow
    ) {
      await vscode.commands.executeCommand(COMMANDS.train);
    }
    return;
  }
  const item = await vscode.window.showQuickPick(runs.map(runItem), {
    title: vscode.l10n.t('NiN: Open Run'),
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!item) return;
  const { events, badLines } = await session.openRun(item.run.runDir);
  log.info(
    `opened run ${item.run.runDir}: ${events} events${badLines ? `, ${badLines} unreadable lines skipped` : ''}`,
  );
  if (badLines)
    void vscode.window.showWarningMessage(
      vscode.l10n.t('{0} lines of the metrics log of {1} could not be read and were skipped.', badLines, item.run.name),
    );
  await vscode.commands.executeCommand(COMMANDS.showPanel);
}

/** A finished run with a model: the given one, the current one, or one picked from the runs folder. */
export async function pickModelRun(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  title: string,
  runDir?: string,
): Promise<{ runDir: string; modelDir: string } | undefined> {
  for (const dir of [runDir, session.running ? undefined : session.currentRunDir]) {
    const modelDir = dir ? await findRunModel(dir) : undefined;
    if (dir && modelDir) return { runDir: dir, modelDir };
    if (dir && modelFolderFormat(runPaths(dir).model) === 'torch-state-dict') {
      // A network built by its code has no TensorFlow.js model to copy or run here.
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          '{0}: this run exported a PyTorch state dict ({1}), not a TensorFlow.js model: the network was built by its code. Evaluate it with `nin eval`.',
          title,
          join(runPaths(dir).model, STATE_DICT_FILE),
        ),
      );
      return undefined;
    }
  }
  const { runsDir } = readHostSettings(context);
  const runs = (
    await Promise.all((await listRuns([runsDir])).map(async (r) => ({ r, modelDir: await findRunModel(r.runDir) })))
  ).filter((x): x is { r: RunInfo; modelDir: string } => x.modelDir !== undefined);
  if (!runs.length) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('No trained model in {0} yet: finish a run with NiN: Train first.', runsDir),
    );
    return undefined;
  }
  const item = await vscode.window.showQuickPick(
    runs.map((x) => ({ ...runItem(x.r), modelDir: x.modelDir })),
    { title, matchOnDescription: true },
  );
  return item && { runDir: item.run.runDir, modelDir: item.modelDir };
}

/** NiN: Export Model... — copy a run's model (TensorFlow.js layers format) with a README where the user chooses. */
async function exportModelCommand(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  log: Log,
  runDir?: string,
): Promise<void> {
  const picked = await pickModelRun(context, session, vscode.l10n.t('NiN: Export Model'), runDir);
  if (!picked) return;
  let model;
  try {
    model = readModelFiles(picked.modelDir);
  } catch (e) {
    log.error(`export: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Cannot export the model: {0}', (e as Error).message));
    return;
  }
  const target = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Export the NiN model to this folder'),
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: vscode.l10n.t('Export Here'),
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  if (!target?.[0]) return;
  try {
    const config = await tryReadRunConfig(picked.runDir, log);
    const testAcc = runFacts((await readMetrics(picked.runDir, log)).events).finalTestAcc;
    const files = exportModel(model, target[0].fsPath, modelReadme(model, config, testAcc));
    log.info(
      `exported ${picked.modelDir} to ${target[0].fsPath}: ${files.length} files, ${model.bytes} bytes of weights`,
    );
    const reveal = vscode.l10n.t('Reveal');
    if (
      (await vscode.window.showInformationMessage(
        vscode.l10n.t('Model exported to {0} (model.json, weights, README.md).', target[0].fsPath),
        reveal,
      )) === reveal
    ) {
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(files[files.length - 1]));
    }
  } catch (e) {
    log.error(`export: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Cannot export the model: {0}', (e as Error).message));
  }
}
