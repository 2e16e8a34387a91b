/**
 * The training loop: epochs of seeded batches through a BatchTrainer, test accuracy after each
 * epoch, typed events at a bounded rate, a run folder (config, metrics log, checkpoints, the
 * exported model), cancellation within one batch, and resume from the last checkpoint.
 * Runs wherever it is called: the worker, the CLI, tests. No vscode, no worker_threads here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { accumulate, accuracy, emptyConfusion, type Confusion } from '../model/eval/confusion';
import { type LayerSummary, type PredictionSample, type TrainConfig, type TrainEvent } from '../protocol';
import { inferShapes } from '../model/shapes';
import { networkName, specOf } from '../model/spec';
import { batchCount, batchIndices, epochOrder, makeBatch, SALT, stepSeed, subsetIndices } from '../data/batches';
import {
  defaultCacheRoot,
  datasetCacheDir,
  loadFashionMnist,
  type DatasetOptions,
  type FashionMnist,
  type Split,
} from '../data/fashionMnist';
import type { BatchTrainer, BatchTrainerFactory, TrainerState } from './batchTrainer';
import { latestCheckpoint, pruneCheckpoints, readCheckpoint, writeCheckpoint, type Position } from './checkpoint';
import { assertFiniteWeights, DivergedError } from './divergence';
import { capThreads, checkBatchMemory, memoryLimits } from './guards';
import { resolveThreads } from './parallel/dataParallel';
import { createParallelTrainer } from './parallel/parallelTrainer';
import { SecondsPerImage } from './rate';
import { EVAL_COST_RATIO } from './recipes';
import { writeRunConfig } from '../runs';
import { appendIfLocked, openRunFolder, refuseCompletedRun, shouldLogError, type RunWriter } from './runFolder';

/** Minutes of training between checkpoints inside an epoch, unless the config says otherwise. */
export const DEFAULT_CHECKPOINT_MINUTES = 5;

/** Most prediction samples an evaluation event carries. */
export const MAX_SAMPLES = 200;

/** How the loop talks to the world, and what tests may replace. */
export interface EngineHooks {
  /** Every event of the run, in order (also appended to the run's metrics log). */
  emit(event: TrainEvent): void;
  /** Polled after every batch (and test batch): true stops the run with a checkpoint. */
  shouldStop(): boolean;
  /**
   * Builds the per-batch trainer. Default: data-parallel over `config.threads` worker threads
   * where the backend runs each kernel on one core (wasm, cpu), else the in-thread tfjs trainer.
   */
  createTrainer?: BatchTrainerFactory;
  /** Dataset cache folder and download settings (the user folder comes from the config). */
  readonly data?: Omit<DatasetOptions, 'userDir' | 'onProgress'>;
  /** Minimum milliseconds between batch events (default 100: at most 10 per second). */
  readonly batchEventIntervalMs?: number;
  /** Clock for time-based checkpoints, in milliseconds (tests replace it; default performance.now). */
  now?(): number;
  /** Called after each epoch with the trainer's live tensor count (leak checks). */
  onEpochEnd?(info: { epoch: number; liveTensors: number }): void;
}

/** How a run ended. */
export type TrainOutcome = 'done' | 'stopped' | 'error';

let datasetMemo: { key: string; data: FashionMnist } | undefined;

/** Load Fashion-MNIST once per process (the worker lives as long as the extension). */
async function dataset(config: TrainConfig, hooks: EngineHooks): Promise<FashionMnist> {
  const cacheDir = hooks.data?.cacheDir ?? datasetCacheDir(defaultCacheRoot());
  const key = JSON.stringify([config.dataDir, cacheDir, hooks.data?.systemDir]);
  if (datasetMemo?.key === key) return datasetMemo.data;
  const data = await loadFashionMnist({
    ...hooks.data,
    cacheDir,
    userDir: config.dataDir || undefined,
    onProgress: (message, fraction) => hooks.emit({ type: 'prepare', message, fraction }),
  });
  datasetMemo = { key, data };
  return data;
}

/** Test-set evaluation: accuracy, confusion, a gallery sample (mistakes first). */
export interface Evaluation {
  readonly testAcc: number;
  readonly confusion: Confusion;
  readonly samples: PredictionSample[];
}

/** Evaluate `subset` of `split`; returns undefined when stopped midway. */
export async function evaluate(
  trainer: Pick<BatchTrainer, 'predict'>,
  split: Split,
  subset: Int32Array,
  size: number,
  batchSize: number,
  shouldStop: () => boolean = () => false,
): Promise<Evaluation | undefined> {
  const confusion = emptyConfusion(10);
  const wrong: PredictionSample[] = [];
  const right: PredictionSample[] = [];
  for (let b = 0; b < batchCount(subset.length, batchSize); b++) {
    const idx = batchIndices(subset, b, batchSize);
    const batch = makeBatch(split, idx, size);
    const p = await trainer.predict(batch.x, batch.n);
    accumulate(confusion, batch.labels, p.predicted);
    for (let k = 0; k < batch.n; k++) {
      const list = p.predicted[k] === batch.labels[k] ? right : wrong;
      if (list.length >= MAX_SAMPLES) continue;
      const i = idx[k];
      list.push({
        index: b * batchSize + k,
        label: batch.labels[k],
        predicted: p.predicted[k],
        confidence: p.probabilities[k * 10 + p.predicted[k]],
        pixels: Buffer.from(split.images.subarray(i * 784, (i + 1) * 784)).toString('base64'),
      });
    }
    await yieldToEvents();
    if (shouldStop()) return undefined;
  }
  return { testAcc: accuracy(confusion), confusion, samples: [...wrong, ...right].slice(0, MAX_SAMPLES) };
}

/** Let queued messages (a stop) be handled between batches. */
const yieldToEvents = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Run (or resume) one training run to its end, emitting events; never throws: failures
 * become an `error` event. Returns how the run ended.
 */
export async function runTraining(
  asked: TrainConfig,
  resumeRunDir: string | undefined,
  hooks: EngineHooks,
): Promise<TrainOutcome> {
  const writer: RunWriter = {};
  let trainer: BatchTrainer | undefined;
  const emit = (e: TrainEvent): void => {
    appendIfLocked(writer, e);
    // The run's last record is written: its lock goes before anyone hears the end, since a host
    // that hears it may end this worker at once (a closing window), before any `finally` runs.
    if (e.type === 'done' || e.type === 'stopped') writer.lock?.release();
    hooks.emit(e);
  };
  try {
    // --- the run folder
    const { config, runId, runDir, paths } = await openRunFolder(asked, resumeRunDir, writer);
    const ckDir = paths.checkpoints;
    const resumeFrom = resumeRunDir ? latestCheckpoint(ckDir) : undefined;
    // Killed before its first checkpoint, a run has nothing saved to lose: it resumes from the start.
    const ck = resumeFrom ? readCheckpoint(resumeFrom) : undefined;
    // All epochs trained but no model, or no `done` after it (killed while exporting): the loop below runs no epoch and exports it.
    if (ck)
      await refuseCompletedRun(runDir, ck.completedEpochs, config.epochs, existsSync(join(paths.model, 'model.json')));
    writeRunConfig(runDir, config);

    // --- network, data, trainer
    const spec = specOf(config);
    const report = inferShapes(spec);
    if (report.error)
      throw new Error(
        `${networkName(config)} at ${config.input}x${config.input}: ${report.error.name}: ${report.error.message}`,
      );
    const data = await dataset(config, hooks);
    const trainSet = subsetIndices(data.train.count, config.limitTrain, config.seed, SALT.trainSubset);
    const testSet = subsetIndices(data.test.count, config.limitTest, config.seed, SALT.testSubset);
    const perEpoch = batchCount(trainSet.length, config.batchSize);
    emitPrepare(hooks, `Building ${networkName(config)} at ${config.input}x${config.input}`);
    const threads = capThreads(resolveThreads(config.threads));
    trainer = await (hooks.createTrainer ?? createParallelTrainer)({
      spec,
      optimizer: config.optimizer,
      lr: config.lr,
      backend: config.backend,
      threads: threads.threads,
      seed: config.seed,
    });
    // Weights are small; the batch's activations are what overflow: checked before the first step.
    const instances = trainer.backend === 'tensorflow' ? 1 : threads.threads;
    checkBatchMemory(report, config.batchSize, instances, memoryLimits(trainer.backend));
    if (ck) await trainer.setState(ck.state);

    const layers: LayerSummary[] = report.layers.map((l) => ({
      name: l.name,
      kind: l.kind,
      output: [...l.output],
      params: l.params,
      flops: l.flops,
    }));
    let pos: Position = ck ?? {
      completedEpochs: 0,
      batchesDone: 0,
      partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
    };
    let lastTestAcc = ck?.lastTestAcc ?? 0;
    emit({
      type: 'start',
      runId,
      runDir,
      config,
      backend: trainer.backend,
      backendReason: threads.note ? `${trainer.backendReason}; ${threads.note}` : trainer.backendReason,
      layers,
      params: report.params,
      flops: report.flops,
      trainSize: trainSet.length,
      testSize: testSet.length,
      batchesPerEpoch: perEpoch,
      startEpoch: pos.completedEpochs + 1,
      dataSource: data.source,
    });

    // --- timing for throughput and ETA
    const interval = hooks.batchEventIntervalMs ?? 100;
    const trainRate = new SecondsPerImage();
    let evalSecPerImage = 0;
    const eta = (epoch: number, batchesDoneNow: number): number => {
      const remainingTrain =
        (config.epochs - epoch) * trainSet.length + Math.max(0, trainSet.length - batchesDoneNow * config.batchSize);
      const remainingEval = (config.epochs - epoch + 1) * testSet.length;
      return (
        remainingTrain * trainRate.seconds + remainingEval * (evalSecPerImage || trainRate.seconds * EVAL_COST_RATIO)
      );
    };
    let dirty = false; // trained since the last checkpoint
    const clock = hooks.now ?? (() => performance.now());
    const checkpointMs = (config.checkpointMinutes ?? DEFAULT_CHECKPOINT_MINUTES) * 60_000;
    let lastCheckpointAt = clock();

    const emitStopped = (epoch: number, checkpoint?: string): TrainOutcome => {
      emit({ type: 'stopped', epoch, runDir, checkpoint: checkpoint ?? latestCheckpoint(ckDir) });
      return 'stopped';
    };
    // Every state is checked before it is written: a checkpoint never holds NaN weights, so the
    // latest one on disk is always the last finite state.
    const finiteState = async (at: { epoch: number; batch: number }): Promise<TrainerState> => {
      const state = await trainer!.getState();
      assertFiniteWeights(state, at);
      return state;
    };
    const saveCheckpoint = async (p: Position, checked?: TrainerState): Promise<string> => {
      const at = p.batchesDone
        ? { epoch: p.completedEpochs + 1, batch: p.batchesDone }
        : { epoch: p.completedEpochs, batch: perEpoch };
      const state = checked ?? (await finiteState(at));
      const path = writeCheckpoint(ckDir, { ...p, state, lastTestAcc });
      pruneCheckpoints(ckDir);
      emit({ type: 'checkpoint', epoch: p.completedEpochs, path });
      dirty = false;
      lastCheckpointAt = clock();
      return path;
    };

    for (let epoch = pos.completedEpochs + 1; epoch <= config.epochs; epoch++) {
      const order = epochOrder(trainSet, config.seed, epoch);
      let { lossSum, correct, seen, seconds } = pos.partial;
      let sessionSeen = 0;
      let sessionSeconds = 0;
      let lastEvent = 0;
      for (let b = pos.batchesDone; b < perEpoch; b++) {
        const t0 = performance.now();
        const batch = makeBatch(data.train, batchIndices(order, b, config.batchSize), config.input);
        const r = await trainer.step(batch.x, batch.labels, batch.n, stepSeed(config.seed, epoch, b));
        if (!Number.isFinite(r.loss)) throw new DivergedError({ epoch, batch: b + 1 }, `the loss became ${r.loss}`);
        const dt = (performance.now() - t0) / 1000;
        dirty = true;
        lossSum += r.loss * batch.n;
        correct += r.correct;
        seen += batch.n;
        seconds += dt;
        sessionSeen += batch.n;
        sessionSeconds += dt;
        trainRate.add(dt, batch.n);
        pos = { completedEpochs: epoch - 1, batchesDone: b + 1, partial: { lossSum, correct, seen, seconds } };
        const now = performance.now();
        if (now - lastEvent >= interval || b === perEpoch - 1) {
          emit({
            type: 'batch',
            epoch,
            batch: b + 1,
            batchesPerEpoch: perEpoch,
            loss: r.loss,
            acc: correct / seen,
            imagesPerSecond: sessionSeen / sessionSeconds,
            etaSeconds: eta(epoch, b + 1),
          });
          // Measured after the emit (and its metrics append), so listeners see the spacing too.
          lastEvent = performance.now();
        }
        await yieldToEvents();
        if (hooks.shouldStop()) return emitStopped(epoch, await saveCheckpoint(pos));
        // A crash loses at most checkpointMinutes of training, not the epoch (none after the
        // last batch: the epoch-end checkpoint follows at once).
        if (checkpointMs > 0 && b < perEpoch - 1 && clock() - lastCheckpointAt >= checkpointMs)
          await saveCheckpoint(pos);
      }

      // Checked before evaluating, so that a diverged epoch reports no test accuracy.
      const epochState = await finiteState({ epoch, batch: perEpoch });

      // --- test accuracy after every epoch
      const e0 = performance.now();
      const ev = await evaluate(trainer, data.test, testSet, config.input, config.batchSize, hooks.shouldStop);
      if (!ev) return emitStopped(epoch, dirty ? await saveCheckpoint(pos, epochState) : undefined);
      evalSecPerImage = (performance.now() - e0) / 1000 / Math.max(1, testSet.length);
      lastTestAcc = ev.testAcc;
      emit({
        type: 'epoch',
        epoch,
        trainLoss: seen ? lossSum / seen : 0,
        trainAcc: seen ? correct / seen : 0,
        testAcc: ev.testAcc,
        seconds,
        imagesPerSecond: seconds ? seen / seconds : 0,
      });
      emit({ type: 'evaluation', epoch, testAcc: ev.testAcc, confusion: ev.confusion, samples: ev.samples });
      pos = { completedEpochs: epoch, batchesDone: 0, partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 } };
      dirty = true;
      await saveCheckpoint(pos, epochState);
      hooks.onEpochEnd?.({ epoch, liveTensors: trainer.liveTensors() });
      if (hooks.shouldStop() && epoch < config.epochs) return emitStopped(epoch + 1);
    }

    const modelDir = paths.model;
    emitPrepare(hooks, 'Exporting the model (TensorFlow.js layers format)');
    await finiteState({ epoch: config.epochs, batch: perEpoch });
    await trainer.saveModel(modelDir);
    emit({ type: 'done', testAcc: lastTestAcc, runDir, modelDir });
    return 'done';
  } catch (e) {
    const error: TrainEvent = {
      type: 'error',
      message: e instanceof Error ? e.message : String(e),
      ...(writer.runDir ? { runDir: writer.runDir } : {}),
      ...(e instanceof DivergedError ? { diverged: e.at } : {}),
    };
    try {
      if (shouldLogError(e)) appendIfLocked(writer, error);
    } catch {
      // The disk that failed the run may refuse its log too; the listener still hears why.
    }
    writer.lock?.release();
    hooks.emit(error);
    return 'error';
  } finally {
    writer.lock?.release(); // already released after the last event; here for early exits
    await trainer?.dispose();
  }
}

function emitPrepare(hooks: EngineHooks, message: string): void {
  hooks.emit({ type: 'prepare', message, fraction: -1 });
}
