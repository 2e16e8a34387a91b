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
import { datasetCacheDir, defaultCacheRoot, loadFashionMnist } from '../data/fashionMnist';
import { CLASS_NAMES } from '../model/eval/classes';
import { mostConfused, perClassAccuracy } from '../model/eval/confusion';
import { networkName, specOf } from '../model/spec';
import { readCheckpoint, latestCheckpoint } from '../train/checkpoint';
import { readMetrics, readRunConfig, runFacts, runPaths } from '../runs';
import { evaluate } from '../train/engine';
import { loadLayersModelFrom, modelPredictor } from '../train/modelIo';
import { TfjsTrainer } from '../train/tfjsTrainer';
import { parseFlags, printJson, UsageError } from './args';

/** Usage text for `eval`. */
export const EVAL_USAGE =
  'nin eval RUN [--checkpoint FILE | --latest-checkpoint] [--backend auto|tensorflow|wasm|cpu] [--data DIR] [--json]';

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
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new UsageError('eval takes one run folder');
  const runDir = resolve(positionals[0]);
  const config = await readRunConfig(runDir);
  const paths = runPaths(runDir);
  const backend = (values.backend ?? config.backend) as BackendPreference;
  if (!isBackendPreference(backend))
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

  const choice = await selectBackend(backend);
  const spec = specOf(config);
  let predictor: Parameters<typeof evaluate>[0];
  let source: string;
  let dispose: () => Promise<void> | void;
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
    const data = await loadFashionMnist({
      userDir: values.data ?? (config.dataDir || undefined),
      cacheDir: datasetCacheDir(defaultCacheRoot()),
    });
    const subset = subsetIndices(data.test.count, config.limitTest, config.seed, SALT.testSubset);
    const ev = await evaluate(predictor, data.test, subset, config.input, config.batchSize);
    if (!ev) throw new Error('evaluation interrupted');
    const perClass = perClassAccuracy(ev.confusion);
    const runTestAcc = await reportedTestAcc(runDir);
    if (values.json) {
      printJson({
        testAcc: ev.testAcc,
        perClass,
        confusion: ev.confusion,
        testSize: subset.length,
        source,
        backend: choice.name,
        runTestAcc: runTestAcc ?? null,
        mostConfused: mostConfused(ev.confusion, 5),
      });
      return 0;
    }
    const out: string[] = [];
    out.push(
      `run ${runDir}`,
      `evaluated ${source} on ${subset.length} test images (${networkName(config)} at ${config.input}x${config.input}, backend ${choice.name})`,
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
  } finally {
    await dispose();
  }
}
