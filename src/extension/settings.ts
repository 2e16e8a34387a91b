/**
 * The `nin.*` training settings: read, validated and turned into a TrainConfig. No `vscode`
 * import (the host passes a getter and `vscode.l10n.t`), so the rules are unit-tested as they
 * run. An invalid value never crashes a run: it is reported with the setting's full name and
 * its default is used instead; only a network whose shapes collapse blocks a run.
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { BACKEND_PREFERENCES, DEVICES, type BackendPreference, type DevicePreference } from '../backends/backend-names';
import { MAX_PROCESSES, OPTIMIZERS, type OptimizerName, type TrainConfig } from '../protocol/index';
import { inferShapes, type ShapeError } from '../model/shapes';
import { PRESET_NAMES, presetSpec, specOf, type NetworkChoice, type PresetName } from '../model/spec';
import { SETTINGS } from './runFeed';

/** `vscode.l10n.t`'s shape: a message with `{0}` placeholders and its arguments. */
export type Translate = (message: string, ...args: Array<string | number | boolean>) => string;

/** English fallback for tests and the CLI: fills `{0}`, `{1}`, ... in order. */
export const englishT: Translate = (message, ...args) =>
  message.replace(/\{(\d+)\}/g, (m, i: string) => (i in args ? String(args[Number(i)]) : m));

/** The training settings after validation (every field valid). */
export interface TrainingSettings {
  readonly preset: PresetName;
  /** Resolved square input side (the preset's own when the setting is 0). */
  readonly input: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly optimizer: OptimizerName;
  readonly backend: BackendPreference;
  readonly threads: number;
  /** The PyTorch engine's device. */
  readonly device: DevicePreference;
  /** Data-parallel processes of the PyTorch engine (torch.distributed); 1 trains in one process. */
  readonly processes: number;
  /** The Python for the PyTorch engine ('' = the Python extension's, else the PATH's). */
  readonly pythonPath: string;
  /** As written in the setting ('' = the default places). */
  readonly dataFolder: string;
  /** As written in the setting ('' = `.nin/runs` in the workspace, else global storage). */
  readonly runsFolder: string;
  /** Minutes of training between checkpoints inside an epoch (0: only at epoch ends). */
  readonly checkpointMinutes: number;
}

/** One rejected setting value. */
export interface SettingIssue {
  /** Full setting name, e.g. `nin.epochs`. */
  readonly setting: string;
  /** Localized sentence naming the setting, the bad value and the value used instead. */
  readonly message: string;
}

/** Defaults, identical to package.json's (a unit test holds them together). */
export const SETTING_DEFAULTS = {
  preset: 'seed' as PresetName,
  inputSize: 0,
  epochs: 10,
  batchSize: 128,
  learningRate: 0.1,
  optimizer: 'sgd' as OptimizerName,
  backend: 'auto' as BackendPreference,
  threads: 0,
  device: 'auto' as DevicePreference,
  processes: 1,
  pythonPath: '',
  dataFolder: '',
  runsFolder: '',
  checkpointMinutes: 5,
} as const;

/** Limits shared with package.json's `minimum`/`maximum`. */
export const SETTING_LIMITS = {
  inputSize: [0, 512],
  epochs: [1, 1000],
  batchSize: [1, 4096],
  learningRate: [0, 10],
  threads: [0, 256],
  processes: [1, MAX_PROCESSES],
  checkpointMinutes: [0, 1440],
} as const;

type Key = keyof typeof SETTING_DEFAULTS;

/** Read and validate the training settings; `get` returns the raw value of `nin.<key>`. */
export function readTrainingSettings(
  get: (key: string) => unknown,
  t: Translate = englishT,
): { settings: TrainingSettings; issues: SettingIssue[] } {
  const issues: SettingIssue[] = [];
  const take = <T>(key: Key, ok: (v: unknown) => v is T, rule: string): T => {
    const raw = get(SETTINGS[key]);
    if (raw === undefined || raw === null) return SETTING_DEFAULTS[key] as T;
    if (ok(raw)) return raw;
    const setting = `nin.${SETTINGS[key]}`;
    issues.push({
      setting,
      message: t(
        'Setting "{0}": {1}, got {2}; using {3} instead.',
        setting,
        rule,
        JSON.stringify(raw) ?? String(raw),
        JSON.stringify(SETTING_DEFAULTS[key]),
      ),
    });
    return SETTING_DEFAULTS[key] as T;
  };
  const int = (key: keyof typeof SETTING_LIMITS) => {
    const [lo, hi] = SETTING_LIMITS[key];
    return take<number>(
      key,
      (v): v is number => Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi,
      t('it must be a whole number from {0} to {1}', lo, hi),
    );
  };
  const oneOf = <T extends string>(key: Key, list: readonly T[]) =>
    take<T>(
      key,
      (v): v is T => typeof v === 'string' && (list as readonly string[]).includes(v),
      t('it must be one of {0}', list.join(', ')),
    );
  const str = (key: Key) =>
    take<string>(key, (v): v is string => typeof v === 'string', t('it must be a text (a folder path)'));

  const preset = oneOf('preset', PRESET_NAMES);
  const inputSize = int('inputSize');
  const epochs = int('epochs');
  const batchSize = int('batchSize');
  const [, lrMax] = SETTING_LIMITS.learningRate;
  const lr = take<number>(
    'learningRate',
    (v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= lrMax,
    t('it must be a number above 0 and at most {0}', lrMax),
  );
  const optimizer = oneOf('optimizer', OPTIMIZERS);
  const backend = oneOf('backend', BACKEND_PREFERENCES);
  const threads = int('threads');
  const device = oneOf('device', DEVICES);
  const processes = int('processes');
  const pythonPath = take<string>(
    'pythonPath',
    (v): v is string => typeof v === 'string',
    t('it must be a text (the path of a Python interpreter)'),
  ).trim();
  const dataFolder = str('dataFolder').trim();
  const runsFolder = str('runsFolder').trim();
  const checkpointMinutes = int('checkpointMinutes');
  const input = inputSize === 0 ? presetSpec(preset).input[1] : inputSize;
  return {
    settings: {
      preset,
      input,
      epochs,
      batchSize,
      lr,
      optimizer,
      backend,
      threads,
      device,
      processes,
      pythonPath,
      dataFolder,
      runsFolder,
      checkpointMinutes,
    },
    issues,
  };
}

/** Where a network collapses for this preset and input size, if it does. */
export function shapeProblem(c: NetworkChoice): ShapeError | undefined {
  return inferShapes(specOf(c)).error;
}

/** `~/x` to the home folder; relative paths against the workspace folder (when there is one). */
export function resolveFolder(folder: string, workspaceFolder: string | undefined): string {
  if (folder === '~' || folder.startsWith('~/')) return join(homedir(), folder.slice(1));
  if (isAbsolute(folder) || workspaceFolder === undefined) return folder;
  return join(workspaceFolder, folder);
}

/** The runs folder: the setting, else `.nin/runs` in the workspace, else `<globalStorage>/runs`. */
export function resolveRunsDir(runsFolder: string, workspaceFolder: string | undefined, globalStorage: string): string {
  if (runsFolder !== '') {
    const r = resolveFolder(runsFolder, workspaceFolder);
    return isAbsolute(r) ? r : join(globalStorage, r);
  }
  return workspaceFolder !== undefined ? join(workspaceFolder, '.nin', 'runs') : join(globalStorage, 'runs');
}

/** The training config the current settings describe (full data, the article's seed 1). */
export function settingsConfig(s: TrainingSettings, dataDir: string, runsDir: string): TrainConfig {
  return {
    preset: s.preset,
    input: s.input,
    epochs: s.epochs,
    batchSize: s.batchSize,
    lr: s.lr,
    optimizer: s.optimizer,
    limitTrain: 0,
    limitTest: 0,
    backend: s.backend,
    seed: 1,
    threads: s.threads,
    device: s.device,
    ...(s.processes > 1 ? { processes: s.processes } : {}),
    dataDir,
    runsDir,
    checkpointMinutes: s.checkpointMinutes,
  };
}
