/**
 * `nin train`: the training engine in this process, for terminals and CI. A progress bar with
 * ETA on stderr (when it is a terminal), a summary on stdout; `--json` prints every event as
 * one JSON line instead. Exit 0 when done, 1 on error (a diverged run included); after SIGINT
 * (Ctrl-C), SIGTERM or SIGHUP the run stops after its batch, writes a checkpoint and exits
 * 128 + the signal's number (130, 143, 129); a second signal aborts at once.
 */
import { constants } from 'node:os';
import { join } from 'node:path';
import { DEVICES, isBackendPreference, isDevicePreference } from '../backends/backend-names';
import { datasetCacheDir, defaultCacheRoot } from '../data/fashionMnist';
import {
  ARTICLE_RECIPE,
  isCodeModel,
  MAX_PROCESSES,
  MODEL_PRESET,
  OPTIMIZERS,
  type OptimizerName,
  type TrainConfig,
  type TrainEvent,
} from '../protocol/index';
import { isPresetName, needsPytorch, networkName, PRESET_NAMES, presetSpec, type PresetName } from '../model/spec';
import { readRunConfig } from '../runs';
import { runTraining } from '../train/engine';
import { runPytorchTraining } from '../train/pytorch/run';
import { PytorchEngine } from '../train/pytorch/engine';
import type { FindPythonOptions } from '../train/pytorch/python';
import { calibrate } from '../train/calibrate';
import {
  chooseForRun,
  choiceReason,
  fileCalibrationStore,
  type EngineChoice,
  type Measure,
} from '../train/engineChoice';
import { intFlag, parseFlags, printJson, UsageError } from './args';
import { readModelArg } from './model';

/** Usage text for `train`. */
export const TRAIN_USAGE =
  'nin train [--preset seed|compact|compact-fc|compact-no1x1 | --model FILE[:NAME]] [--input N] [--epochs E] [--batch-size B] [--lr X] [--optimizer sgd|momentum|adam] [--limit-train N] [--limit-test N] [--build spec|code] [--engine tfjs|pytorch|auto] [--backend auto|tensorflow|wasm|cpu|pytorch] [--device auto|cuda|mps|cpu] [--python PATH] [--processes N] [--threads N] [--data DIR] [--seed S] [--runs DIR] [--resume RUN] [--checkpoint-minutes M] [--json]';

/** Where runs go unless --runs says otherwise (relative to the working directory). */
export const DEFAULT_RUNS_DIR = '.nin/runs';

function numFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

function minutesFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`--checkpoint-minutes must be a number >= 0 (0: only at epoch ends), got "${value}"`);
  return n;
}

function processesFlag(value: string | undefined): number | undefined {
  const n = intFlag('processes', value, 1);
  if (n !== undefined && n > MAX_PROCESSES)
    throw new UsageError(`--processes must be at most ${MAX_PROCESSES}, got ${n}`);
  return n;
}

/** The ways a recipe differs from the article's, in words (empty when it is the article's). */
export function deviations(c: TrainConfig): string[] {
  const out: string[] = [];
  if (c.preset !== ARTICLE_RECIPE.preset) out.push(`the ${networkName(c)} network`);
  if (c.input !== ARTICLE_RECIPE.input) out.push(`${c.input}x${c.input} input`);
  if (c.optimizer !== ARTICLE_RECIPE.optimizer) out.push(`${c.optimizer} optimizer`);
  if (c.lr !== ARTICLE_RECIPE.lr) out.push(`lr ${c.lr}`);
  if (c.batchSize !== ARTICLE_RECIPE.batchSize) out.push(`batch ${c.batchSize}`);
  if (c.epochs !== ARTICLE_RECIPE.epochs) out.push(`${c.epochs} epochs`);
  if (c.limitTrain) out.push(`${c.limitTrain} training images`);
  if (c.limitTest) out.push(`${c.limitTest} test images`);
  return out;
}

/** Build the run's config from the flags (on top of the run's own config when resuming). */
export async function configFromFlags(values: Record<string, string | boolean | undefined>): Promise<{
  config: TrainConfig;
  resume?: string;
  /** `--engine auto`: measure both engines and train on the faster (as the extension's `nin.backend: auto`). */
  chooseEngine?: boolean;
}> {
  const s = (k: string) => values[k] as string | undefined;
  const resume = s('resume');
  if (resume !== undefined && resume.trim() === '')
    throw new UsageError('--resume needs a run folder, got an empty value');
  const preset = s('preset');
  if (preset !== undefined && !isPresetName(preset))
    throw new UsageError(`--preset must be one of ${PRESET_NAMES.join(', ')}, got "${preset}"`);
  const modelArg = s('model');
  const build = s('build');
  if (build !== undefined && build !== 'spec' && build !== 'code')
    throw new UsageError(`--build must be spec or code, got "${build}"`);
  if (build !== undefined && modelArg === undefined)
    throw new UsageError('--build goes with --model (how the network read from code is built)');
  if (modelArg !== undefined && (preset !== undefined || resume))
    throw new UsageError('--model trains a network read from code: it goes without --preset and --resume');
  const optimizer = s('optimizer');
  if (optimizer !== undefined && !(OPTIMIZERS as readonly string[]).includes(optimizer))
    throw new UsageError(`--optimizer must be one of ${OPTIMIZERS.join(', ')}, got "${optimizer}"`);
  const engine = s('engine');
  if (engine !== undefined && engine !== 'tfjs' && engine !== 'pytorch' && engine !== 'auto')
    throw new UsageError(`--engine must be tfjs, pytorch or auto, got "${engine}"`);
  let backend = s('backend');
  if (backend !== undefined && !isBackendPreference(backend))
    throw new UsageError(`--backend must be auto, tensorflow, wasm, cpu or pytorch, got "${backend}"`);
  if (engine === 'auto') {
    if (backend !== undefined && backend !== 'auto')
      throw new UsageError(`--engine auto chooses the engine and its backend; it goes without --backend ${backend}`);
    backend = 'auto';
  } else if (engine === 'pytorch') {
    if (backend !== undefined && backend !== 'pytorch')
      throw new UsageError(`--engine pytorch runs PyTorch; --backend ${backend} is a TensorFlow.js backend`);
    backend = 'pytorch';
  } else if (engine === 'tfjs' && backend === 'pytorch') {
    throw new UsageError('--engine tfjs cannot run --backend pytorch');
  } else if (engine === 'tfjs' && backend === undefined) {
    backend = 'auto';
  }
  const device = s('device');
  if (device !== undefined && !isDevicePreference(device))
    throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got "${device}"`);
  const given: Partial<Record<keyof TrainConfig, unknown>> = {
    preset,
    // With --model, --input is the model's C,H,W (read by readModelArg).
    input: modelArg === undefined ? intFlag('input', s('input')) : undefined,
    epochs: intFlag('epochs', s('epochs')),
    batchSize: intFlag('batch-size', s('batch-size')),
    lr: numFlag('lr', s('lr')),
    optimizer: optimizer as OptimizerName | undefined,
    limitTrain: intFlag('limit-train', s('limit-train'), 0),
    limitTest: intFlag('limit-test', s('limit-test'), 0),
    backend,
    threads: intFlag('threads', s('threads'), 0),
    device,
    processes: processesFlag(s('processes')),
    seed: intFlag('seed', s('seed'), 0),
    dataDir: s('data'),
    runsDir: s('runs'),
    checkpointMinutes: minutesFlag(s('checkpoint-minutes')),
  };
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
  const chooseEngine = engine === 'auto' ? { chooseEngine: true } : {};
  if (resume) {
    // The run's recipe, with what the flags change (the engine refuses recipe changes by name).
    return { config: { ...(await readRunConfig(resume)), ...defined }, resume, ...chooseEngine };
  }
  const base = { ...ARTICLE_RECIPE, dataDir: '', runsDir: DEFAULT_RUNS_DIR };
  if (modelArg !== undefined) {
    // The model's own input (its `# input shape:` comment, or what its layers admit) unless --input says.
    const model = await readModelArg(modelArg, s('input'), build === 'code' ? 'always' : 'fallback');
    if (isCodeModel(model) && build === 'spec')
      throw new UsageError(`--build spec: ${model.name} cannot be built from the analysis: ${model.why}`);
    const config: TrainConfig = { ...base, ...defined, preset: MODEL_PRESET, model, input: model.input[1] };
    // A network built by its code trains only on PyTorch: --engine auto has nothing to choose.
    if (isCodeModel(model) && engine === 'auto') return { config: { ...config, backend: 'pytorch' } };
    if (isCodeModel(model) && backend !== 'pytorch')
      throw new UsageError(`--model: ${needsPytorch(model)} (add --engine pytorch)`);
    return { config, ...chooseEngine };
  }
  const p = (defined.preset ?? ARTICLE_RECIPE.preset) as PresetName;
  // Without --input, a preset trains at its own size: 224 for the article's, 28 for compact.
  const input = defined.input ?? presetSpec(p).input[1];
  return { config: { ...base, ...defined, preset: p, input }, ...chooseEngine };
}

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** The human-readable view: a redrawn progress line on a TTY, plain lines otherwise. */
function humanView(tty: boolean): (e: TrainEvent) => void {
  let epochs = 0;
  let drawn = false;
  const clear = () => {
    if (drawn) process.stderr.write('\r\x1b[2K');
    drawn = false;
  };
  return (e) => {
    switch (e.type) {
      case 'prepare':
        if (tty) {
          clear();
          process.stderr.write(e.message + (e.fraction >= 0 ? ` ${(e.fraction * 100).toFixed(0)}%` : ''));
          drawn = true;
        }
        break;
      case 'start': {
        clear();
        epochs = e.config.epochs;
        const c = e.config;
        process.stdout.write(
          `run ${e.runDir}\n` +
            `${c.model ? `${c.model.name} from ${c.model.file}` : `${c.preset} NiN`} at ${c.input}x${c.input}: ${e.params.toLocaleString('en-US')} parameters; ${e.trainSize} training / ${e.testSize} test images, ` +
            `batch ${c.batchSize}, ${c.optimizer} lr ${c.lr}, ${c.epochs} epochs${e.startEpoch > 1 ? ` (resuming at epoch ${e.startEpoch})` : ''}\n` +
            `backend ${e.backend}: ${e.backendReason}\n` +
            (e.dataSource ? `data: ${e.dataSource}\n` : ''),
        );
        const dev = deviations(c);
        if (dev.length)
          process.stdout.write(
            `note: not the article's recipe (SGD lr 0.1, batch 128, 10 epochs, 224x224, full data): ${dev.join(', ')}\n`,
          );
        break;
      }
      case 'batch': {
        if (!tty) break;
        const width = 24;
        const done = Math.round((e.batch / e.batchesPerEpoch) * width);
        clear();
        process.stderr.write(
          `epoch ${e.epoch}/${epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${e.batch}/${e.batchesPerEpoch} ` +
            `loss ${e.loss.toFixed(3)} acc ${e.acc.toFixed(3)} ${e.imagesPerSecond.toFixed(1)} img/s ETA ${duration(e.etaSeconds)}`,
        );
        drawn = true;
        break;
      }
      case 'epoch':
        clear();
        process.stdout.write(
          `epoch ${e.epoch}/${epochs}: train loss ${e.trainLoss.toFixed(4)}, train acc ${e.trainAcc.toFixed(4)}, test acc ${e.testAcc.toFixed(4)}, ` +
            `${e.seconds.toFixed(1)} s, ${e.imagesPerSecond.toFixed(1)} images/s\n`,
        );
        break;
      case 'checkpoint':
      case 'evaluation':
        break;
      case 'done':
        clear();
        process.stdout.write(
          `done: test accuracy ${e.testAcc.toFixed(4)}\nrun folder ${e.runDir}\nmodel ${e.modelDir} (${e.modelFormat === 'torch-state-dict' ? 'PyTorch state dict' : 'TensorFlow.js layers format'})\n`,
        );
        break;
      case 'stopped':
        clear();
        process.stdout.write(
          `stopped in epoch ${e.epoch}${e.checkpoint ? `; checkpoint ${e.checkpoint}` : ''}\nresume with: nin train --resume ${e.runDir}\n`,
        );
        break;
      case 'error':
        clear();
        process.stderr.write(`error: ${e.message}\n`);
        break;
    }
  };
}

/** Where `--engine auto` keeps its calibrations (a week, as the extension's). */
export function cliCalibrationFile(): string {
  return join(defaultCacheRoot(), 'calibration.json');
}

/**
 * `--engine auto`: PyTorch's calibration, then TensorFlow.js's (in this process), each from the
 * cache file while fresh; says on stderr what it measures, since that takes tens of seconds.
 */
async function chooseCliEngine(config: TrainConfig, python: FindPythonOptions): Promise<EngineChoice> {
  const file = cliCalibrationFile();
  const store = fileCalibrationStore(file);
  const pytorch = new PytorchEngine({ python: () => python, device: () => config.device ?? 'auto' });
  const measure: Measure = (r) => {
    process.stderr.write(`--engine auto: measuring ${r.backend} on ${r.preset}@${r.input} (cached in ${file})\n`);
    return r.backend === 'pytorch' ? pytorch.calibrate(r) : calibrate(r);
  };
  return chooseForRun(store, measure, config);
}

/** Signals that stop a run with a checkpoint: Ctrl-C, a kill or container stop, a closed terminal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** Run `train`; returns the exit code. */
export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    preset: { type: 'string' },
    input: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    optimizer: { type: 'string' },
    'limit-train': { type: 'string' },
    'limit-test': { type: 'string' },
    backend: { type: 'string' },
    engine: { type: 'string' },
    device: { type: 'string' },
    python: { type: 'string' },
    processes: { type: 'string' },
    threads: { type: 'string' },
    data: { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string' },
    resume: { type: 'string' },
    'checkpoint-minutes': { type: 'string' },
    model: { type: 'string' },
    build: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const flags = await configFromFlags(values);
  const { resume } = flags;
  let config = flags.config;
  if ((config.processes ?? 1) > 1 && config.backend !== 'pytorch' && !flags.chooseEngine)
    throw new UsageError('--processes trains data-parallel with torch.distributed: it goes with --engine pytorch');
  const json = values.json === true;
  const python = values.python as string | undefined;
  const pythonOptions = python ? { configured: python, configuredBy: '--python' } : {};
  const shown = json ? (e: TrainEvent) => printJson(e) : humanView(Boolean(process.stderr.isTTY));
  let view = shown;
  if (flags.chooseEngine) {
    const choice = await chooseCliEngine(config, pythonOptions);
    config = { ...config, backend: choice.backend };
    view = (e) => shown(e.type === 'start' ? { ...e, backendReason: choiceReason(choice, e.backendReason) } : e);
  }

  // The first signal wins: its number makes the exit code once the checkpoint is written.
  let stopSignal: StopSignal | undefined;
  const onSignal = (signal: StopSignal): void => {
    const code = 128 + constants.signals[signal];
    if (stopSignal) {
      process.stderr.write(`\n${signal} again: aborted without a checkpoint\n`);
      process.exit(code);
    }
    stopSignal = signal;
    process.stderr.write(
      `\n${signal}: stopping after this batch and saving a checkpoint (again to abort without it)\n`,
    );
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  const stopRequested = (): boolean => stopSignal !== undefined;
  try {
    const hooks = {
      emit: view,
      shouldStop: stopRequested,
      data: { cacheDir: datasetCacheDir(defaultCacheRoot()) },
    };
    const outcome =
      config.backend === 'pytorch'
        ? await runPytorchTraining(config, resume, {
            ...hooks,
            python: pythonOptions,
            // The user named the file (--model) or the run (--resume): its code may build the model.
            allowUserCode: true,
          })
        : await runTraining(config, resume, hooks);
    if (outcome === 'stopped') return 128 + constants.signals[stopSignal ?? 'SIGINT'];
    return outcome === 'done' ? 0 : 1;
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  }
}
