/**
 * Training recipes offered by "NiN: Train" and their time estimates. Pure arithmetic: the host
 * measures the real engine for a few seconds (engine.calibrate) and this module scales the
 * measurement to each recipe by its FLOPs and number of images.
 *
 * The cost model: a training step costs about three forward passes (forward, and a backward
 * pass about twice as expensive), an evaluation image one forward pass; per image, time is
 * `overhead + FLOPs / speed`, fitted through the calibration points (one point: proportional).
 */
import { ARTICLE_RECIPE, type OptimizerName, type TrainConfig } from '../protocol/index';
import { inferShapes } from '../model/shapes';
import { staticSpecOf, type NetworkChoice, type PresetName } from '../model/spec';

/** Fashion-MNIST's split sizes. */
export const TRAIN_IMAGES = 60_000;
export const TEST_IMAGES = 10_000;

/** Identifiers of the built-in recipes. */
export type RecipeId = 'article' | 'seed96' | 'compact28' | 'quick';

/** The fields of a TrainConfig that a recipe fixes (machine and folders come from the settings). */
export type RecipeFields = Pick<
  TrainConfig,
  'preset' | 'model' | 'input' | 'epochs' | 'batchSize' | 'lr' | 'optimizer' | 'limitTrain' | 'limitTest'
>;

/** A built-in recipe. */
export interface Recipe extends RecipeFields {
  readonly id: RecipeId;
}

const article: RecipeFields = {
  preset: ARTICLE_RECIPE.preset,
  input: ARTICLE_RECIPE.input,
  epochs: ARTICLE_RECIPE.epochs,
  batchSize: ARTICLE_RECIPE.batchSize,
  lr: ARTICLE_RECIPE.lr,
  optimizer: ARTICLE_RECIPE.optimizer,
  limitTrain: 0,
  limitTest: 0,
};

/** The article's recipe first, then cheaper ones, cheapest last. */
export const RECIPES: readonly Recipe[] = [
  { id: 'article', ...article },
  // The article's network and training, on 96x96 inputs: about (96/224)^2 = 18% of the FLOPs.
  { id: 'seed96', ...article, input: 96 },
  // The same structure sized for the native 28x28 images, with the article's training.
  { id: 'compact28', ...article, preset: 'compact', input: 28 },
  // Seconds to a minute: does the whole pipeline learn at all?
  {
    id: 'quick',
    ...article,
    preset: 'compact',
    input: 28,
    epochs: 2,
    batchSize: 64,
    lr: 0.002,
    optimizer: 'adam',
    limitTrain: 4000,
    limitTest: 1000,
  },
];

/** A way in which a recipe departs from the article's. */
export type Deviation = 'preset' | 'input' | 'epochs' | 'batchSize' | 'optimizer' | 'lr' | 'subset';

/** How a recipe (or the current settings) departs from the article's recipe; [] = the article's. */
export function deviations(r: RecipeFields): Deviation[] {
  const out: Deviation[] = [];
  if (r.preset !== article.preset) out.push('preset');
  if (r.input !== article.input) out.push('input');
  if (r.epochs !== article.epochs) out.push('epochs');
  if (r.batchSize !== article.batchSize) out.push('batchSize');
  if (r.optimizer !== article.optimizer) out.push('optimizer');
  if (r.lr !== article.lr) out.push('lr');
  if (r.limitTrain > 0 || r.limitTest > 0) out.push('subset');
  return out;
}

/** A recipe made into a full config with the machine's settings. */
export function recipeConfig(
  r: RecipeFields,
  machine: Pick<TrainConfig, 'backend' | 'threads' | 'device' | 'dataDir' | 'runsDir'>,
): TrainConfig {
  const { preset, input, epochs, batchSize, lr, optimizer, limitTrain, limitTest } = r;
  return {
    preset,
    input,
    epochs,
    batchSize,
    lr,
    optimizer: optimizer as OptimizerName,
    limitTrain,
    limitTest,
    seed: ARTICLE_RECIPE.seed,
    ...machine,
  };
}

/** Forward FLOPs of one image, or undefined when the network collapses at this size. */
export function forwardFlops(preset: PresetName, input: number): number | undefined {
  return networkFlops({ preset, input });
}

/**
 * Forward FLOPs of one image of a config's network (a preset or a model), or undefined when it
 * collapses or is a model from code that the analysis cannot build (its FLOPs are not known).
 */
export function networkFlops(c: NetworkChoice): number | undefined {
  const spec = staticSpecOf(c);
  if (!spec) return undefined;
  const r = inferShapes(spec);
  return r.error ? undefined : r.flops;
}

/** Images actually used: a limit of 0 means the whole split. */
export function imagesUsed(limit: number, total: number): number {
  return limit > 0 ? Math.min(limit, total) : total;
}

/** One measurement: training speed of a network with `flops` forward FLOPs per image. */
export interface CalibrationPoint {
  readonly flops: number;
  readonly imagesPerSecond: number;
}

/** The calibration kept per backend (in the extension's globalState). */
export interface Calibration {
  /** The backend that actually ran (what `auto` chose). */
  readonly backend: string;
  /** The PyTorch engine's device (`cpu`, `cuda`, `mps`); absent for TensorFlow.js. */
  readonly device?: string;
  readonly points: readonly CalibrationPoint[];
  /** When it was measured (ms since the epoch). */
  readonly at: number;
}

/** How estimates name the engine a calibration measured: `wasm`, `pytorch (cpu)`. */
export function engineLabel(c: Pick<Calibration, 'backend' | 'device'>): string {
  return c.device ? `${c.backend} (${c.device})` : c.backend;
}

/** Per-image training time model `overhead + flops * perFlop` (seconds). */
export interface CostModel {
  readonly overhead: number;
  readonly perFlop: number;
}

/**
 * Fit the per-image cost through the calibration points: two or more points give a line through
 * the cheapest and the dearest; one point (or a fit with a negative overhead or slope, from noisy
 * measurements) gives time proportional to FLOPs through the dearest point, which is the closer
 * one to the expensive recipes whose estimates matter most.
 */
export function costModel(points: readonly CalibrationPoint[]): CostModel {
  const valid = points.filter((p) => p.flops > 0 && p.imagesPerSecond > 0 && Number.isFinite(p.imagesPerSecond));
  if (!valid.length) throw new Error('calibration has no valid measurement');
  const sorted = [...valid].sort((a, b) => a.flops - b.flops);
  const lo = sorted[0];
  const hi = sorted[sorted.length - 1];
  const tHi = 1 / hi.imagesPerSecond;
  if (hi.flops > lo.flops) {
    const perFlop = (tHi - 1 / lo.imagesPerSecond) / (hi.flops - lo.flops);
    const overhead = tHi - perFlop * hi.flops;
    if (perFlop > 0 && overhead >= 0) return { overhead, perFlop };
  }
  return { overhead: 0, perFlop: tHi / hi.flops };
}

/** Seconds to train one image (forward + backward) with `flops` forward FLOPs. */
export function trainSecondsPerImage(model: CostModel, flops: number): number {
  return model.overhead + model.perFlop * flops;
}

/** What an estimate needs to know about a run. */
export interface RunSize {
  readonly flops: number;
  readonly epochs: number;
  readonly trainImages: number;
  readonly testImages: number;
}

/** Evaluating an image costs one forward pass: about a third of a training step. */
export const EVAL_COST_RATIO = 1 / 3;

/** Estimated seconds for a whole run: every epoch trains on the training images and evaluates the test images. */
export function estimateSeconds(model: CostModel, run: RunSize): number {
  const perImage = trainSecondsPerImage(model, run.flops);
  return run.epochs * (run.trainImages + EVAL_COST_RATIO * run.testImages) * perImage;
}

/** The size of a recipe's run, or undefined when its network collapses. */
export function runSize(r: RecipeFields): RunSize | undefined {
  const flops = networkFlops(r);
  if (flops === undefined) return undefined;
  return {
    flops,
    epochs: r.epochs,
    trainImages: imagesUsed(r.limitTrain, TRAIN_IMAGES),
    testImages: imagesUsed(r.limitTest, TEST_IMAGES),
  };
}

/** What to measure: the cheap network first, then a mid-sized one if a batch of it stays short. */
export const CALIBRATION_TARGETS: readonly { preset: PresetName; input: number }[] = [
  { preset: 'compact', input: 28 },
  { preset: 'seed', input: 96 },
];

/**
 * The batch calibration aims for: the recipes' batch, because per-image cost falls with the
 * batch (the engine shrinks it when a step would take too long).
 */
export const CALIBRATION_BATCH = 128;

/** The batch whose predicted time decides whether the second point is affordable. */
export const CALIBRATION_PROBE_BATCH = 32;

/** Skip the second calibration point when a CALIBRATION_PROBE_BATCH batch of it would take longer than this. */
export const MAX_CALIBRATION_BATCH_SECONDS = 4;

/** Whether measuring `target` is affordable given the points so far (predicted batch time). */
export function affordable(
  points: readonly CalibrationPoint[],
  targetFlops: number,
  batch = CALIBRATION_PROBE_BATCH,
): boolean {
  if (!points.length) return true;
  return trainSecondsPerImage(costModel(points), targetFlops) * batch <= MAX_CALIBRATION_BATCH_SECONDS;
}

/** A calibration older than this is measured again (the machine or its load may have changed). */
export const CALIBRATION_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** True when a cached calibration is still usable at `now`. */
export function calibrationFresh(c: Calibration | undefined, now: number): c is Calibration {
  return !!c && c.points.length > 0 && now - c.at >= 0 && now - c.at < CALIBRATION_MAX_AGE_MS;
}

/** Validate a calibration read back from storage. */
export function isCalibration(v: unknown): v is Calibration {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c.backend === 'string' &&
    (c.device === undefined || typeof c.device === 'string') &&
    typeof c.at === 'number' &&
    Array.isArray(c.points) &&
    c.points.every(
      (p: unknown) =>
        typeof p === 'object' &&
        p !== null &&
        typeof (p as CalibrationPoint).flops === 'number' &&
        (p as CalibrationPoint).flops > 0 &&
        typeof (p as CalibrationPoint).imagesPerSecond === 'number' &&
        (p as CalibrationPoint).imagesPerSecond > 0,
    )
  );
}

/** A duration split for display: rounded to whole minutes above 10 minutes, to 5 s above a minute. */
export function splitDuration(seconds: number): { hours: number; minutes: number; seconds: number } {
  let s = Math.max(0, Math.round(seconds));
  if (s >= 600) s = Math.round(s / 60) * 60;
  else if (s >= 60) s = Math.round(s / 5) * 5;
  return { hours: Math.floor(s / 3600), minutes: Math.floor((s % 3600) / 60), seconds: s % 60 };
}
