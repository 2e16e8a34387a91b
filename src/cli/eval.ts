/**
 * `nin eval RUN`: what a run's network learned, on the test set the run evaluated (same subset,
 * same input size, same batch size, same backend), from its exported model or a checkpoint.
 * Prints overall and per-class accuracy and the confusion matrix; `--json` prints
 * `{"testAcc", "perClass", "confusion", ...}`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { selectBackend } from '../backends/backend';
import { isBackendPreference, type BackendPreference } from '../backends/backend-names';
import { SALT, subsetIndices } from '../data/batches';
import { datasetCacheDir, defaultCacheRoot, loadFashionMnist, resolveDatasetFiles } from '../data/fashionMnist';
import { CLASS_NAMES } from '../model/eval/classes';
import { mostConfused, perClassAccuracy } from '../model/eval/confusion';
import { networkName, specOf, type NinSpec } from '../model/spec';
import { isCodeModel, type TrainConfig } from '../protocol';
import { findPython } from '../train/pytorch/python';
import { evaluateUserModel, modelFolderFormat, STATE_DICT_FILE, verifiedStateDict } from '../train/pytorch/userModel';
import { readCheckpoint, latestCheckpoint } from '../train/checkpoint';
import { readMetrics, readRunConfig, runFacts, runPaths } from '../runs';
import { evaluate } from '../train/engine';
import { loadLayersModelFrom, modelPredictor } from '../train/modelIo';
import { TfjsTrainer } from '../train/tfjsTrainer';
import { parseFlags, printJson, UsageError } from './args';

/** Usage text for `eval`. */
export const EVAL_USAGE =
  'nin eval RUN [--checkpoint FILE | --latest-checkpoint] [--backend auto|tensorflow|wasm|cpu] [--python PATH] [--data DIR] [--json]';

/** The final test accuracy the run itself reported, if any. */
async function reportedTestAcc(runDir: string): Promise<number | undefined> {
  return runFacts((await readMetrics(runDir)).events).finalTestAcc;
}

/** Run `eval`; returns the exit code. */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    checkpoint: { type: 'string' },
    'latest-checkpoint': { type: 'boolean', default: false },
    backend: { type: 'string' },
    data: { type: 'string' },
    python: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new UsageError('eval takes one run folder');
  const runDir = resolve(positionals[0]);
  const config = await readRunConfig(runDir);
  const paths = runPaths(runDir);
  // Eval runs the exported model on TensorFlow.js, whichever engine trained the run.
  const backend = (values.backend ?? (config.backend === 'pytorch' ? 'auto' : config.backend)) as BackendPreference;
  if (!isBackendPreference(backend) || backend === 'pytorch')
    throw new UsageError(`--backend must be auto, tensorflow, wasm or cpu, got "${backend}"`);

  // What to evaluate: an explicit checkpoint, else the exported model, else the latest checkpoint.
  const modelDir = paths.model;
  const ckFile = values.checkpoint
    ? resolve(values.checkpoint)
    : values['latest-checkpoint'] || !existsSync(modelDir)
      ? latestCheckpoint(paths.checkpoints)
      : undefined;
  if (!ckFile && !existsSync(modelDir))
    throw new Error(`${runDir}: no exported model (${modelDir}) and no checkpoint to evaluate`);

  if (isCodeModel(config.model) && (ckFile || modelFolderFormat(modelDir) !== 'tfjs-layers'))
    return evalOnPytorch(runDir, config, ckFile, values);
  const choice = await selectBackend(backend);
  const spec = codeModelSpec(config) ?? specOf(config);
  let predictor: Parameters<typeof evaluate>[0];
  let source: string;
  let dispose: () => Promise<void> | void;
  let subsetSize = 0;
  if (ckFile) {
    const ck = readCheckpoint(ckFile);
    const trainer = await TfjsTrainer.create({
      spec,
      optimizer: config.optimizer,
      lr: config.lr,
      backend: choice.name,
      threads: config.threads,
      seed: config.seed,
    });
    await trainer.setState({ weights: ck.state.weights, optimizer: [] });
    predictor = trainer;
    source = ckFile;
    dispose = () => trainer.dispose();
  } else {
    const model = await loadLayersModelFrom(modelDir);
    const want = [null, config.input, config.input, spec.input[0]];
    if (JSON.stringify(model.inputs[0].shape) !== JSON.stringify(want)) {
      throw new Error(
        `${join(modelDir, 'model.json')}: input ${JSON.stringify(model.inputs[0].shape)} does not match the run's config (${JSON.stringify(want)})`,
      );
    }
    predictor = modelPredictor(model);
    source = modelDir;
    dispose = () => {
      model.dispose();
    };
  }
  try {
    const ev = await evaluateOnTfjs();
    return report(runDir, config, ev, subsetSize, source, choice.name, values.json === true);
  } finally {
    await dispose();
  }

  async function evaluateOnTfjs(): Promise<{ testAcc: number; confusion: number[][] }> {
    const data = await loadFashionMnist({
      userDir: values.data ?? (config.dataDir || undefined),
      cacheDir: datasetCacheDir(defaultCacheRoot()),
    });
    const subset = subsetIndices(data.test.count, config.limitTest, config.seed, SALT.testSubset);
    subsetSize = subset.length;
    const ev = await evaluate(predictor, data.test, subset, config.input, config.batchSize);
    if (!ev) throw new Error('evaluation interrupted');
    return ev;
  }
}

/** A model from code that has a spec (exported as TensorFlow.js): that spec. */
function codeModelSpec(config: TrainConfig): NinSpec | undefined {
  const m = config.model;
  return m && isCodeModel(m) && m.layers
    ? { preset: m.name, input: m.input, classes: 10, layers: m.layers }
    : undefined;
}

/** Evaluate a model built by its code in PyTorch (its state dict, or a checkpoint). */
async function evalOnPytorch(
  runDir: string,
  config: TrainConfig,
  ckFile: string | undefined,
  values: Record<string, string | boolean | undefined>,
): Promise<number> {
  if (values.backend !== undefined)
    throw new UsageError(
      `--backend ${String(values.backend)}: ${config.model!.name} is built by its code and evaluates on PyTorch only`,
    );
  const python = await findPython(values.python ? { configured: String(values.python), configuredBy: '--python' } : {});
  const modelDir = runPaths(runDir).model;
  const weights = ckFile ? { checkpoint: ckFile } : { stateDict: verifiedStateDict(modelDir) };
  const { paths } = await resolveDatasetFiles({
    userDir: (values.data as string | undefined) ?? (config.dataDir || undefined),
    cacheDir: datasetCacheDir(defaultCacheRoot()),
  });
  const ev = await evaluateUserModel(python, config, weights, paths);
  const source = ckFile ?? join(modelDir, STATE_DICT_FILE);
  return report(runDir, config, ev, ev.testSize, source, 'pytorch', values.json === true);
}

/** Print an evaluation (text or --json); returns the exit code. */
async function report(
  runDir: string,
  config: TrainConfig,
  ev: { testAcc: number; confusion: number[][] },
  testSize: number,
  source: string,
  backend: string,
  json: boolean,
): Promise<number> {
  const perClass = perClassAccuracy(ev.confusion);
  const runTestAcc = await reportedTestAcc(runDir);
  if (json) {
    printJson({
      testAcc: ev.testAcc,
      perClass,
      confusion: ev.confusion,
      testSize,
      source,
      backend,
      runTestAcc: runTestAcc ?? null,
      mostConfused: mostConfused(ev.confusion, 5),
    });
    return 0;
  }
  const out: string[] = [];
  out.push(
    `run ${runDir}`,
    `evaluated ${source} on ${testSize} test images (${networkName(config)} at ${config.input}x${config.input}, backend ${backend})`,
  );
  out.push(
    `test accuracy ${ev.testAcc.toFixed(4)}${runTestAcc === undefined ? '' : runTestAcc === ev.testAcc ? ' (the run reported the same)' : ` (the run reported ${runTestAcc.toFixed(4)})`}`,
  );
  out.push('', 'per class:');
  perClass.forEach((a, i) =>
    out.push(
      `  ${String(i)} ${CLASS_NAMES[i].padEnd(12)} ${a.toFixed(4)}  (${ev.confusion[i].reduce((x, y) => x + y, 0)} images)`,
    ),
  );
  out.push('', 'confusion (rows: true class, columns: predicted):');
  out.push('      ' + CLASS_NAMES.map((_, j) => String(j).padStart(5)).join(''));
  ev.confusion.forEach((row, i) =>
    out.push(`  ${String(i).padStart(2)}  ` + row.map((c) => String(c).padStart(5)).join('')),
  );
  const pairs = mostConfused(ev.confusion, 5);
  if (pairs.length) {
    out.push('', 'most confused:');
    for (const p of pairs)
      out.push(
        `  ${CLASS_NAMES[p.trueClass]} -> ${CLASS_NAMES[p.predicted]}: ${p.count} (${(p.rate * 100).toFixed(1)}%)`,
      );
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
