/** The training configuration: what defines a run (its config.json), the article's recipe, and its validator. */
import { BACKEND_PREFERENCES, type BackendPreference } from '../backends/backend-names';
import { PRESET_NAMES, type PresetName } from '../model/spec';
import { int, isNum, isStr, object, oneOf, where, type Checks, type Validated } from './checks';

/** Optimizers: the article's plain SGD, and cheaper recipes that learn visibly on small data. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
/** An optimizer name. */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Everything that defines a training run (stored as the run's config.json). */
export interface TrainConfig {
  readonly preset: PresetName;
  /** Square input side the 28x28 images are resized to (224 in the article). */
  readonly input: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly optimizer: OptimizerName;
  /** Use only the first N training / test images (after a seeded shuffle); 0 = all. */
  readonly limitTrain: number;
  readonly limitTest: number;
  readonly backend: BackendPreference;
  readonly seed: number;
  /** Worker threads for the wasm engine; 0 = all cores. */
  readonly threads: number;
  /** A folder holding the four IDX files, or '' to search the default places. */
  readonly dataDir: string;
  /** Where run folders are created. */
  readonly runsDir: string;
}

/** The article's recipe (d2l): SGD, lr 0.1, batch 128, 10 epochs, 224x224. */
export const ARTICLE_RECIPE: Omit<TrainConfig, 'dataDir' | 'runsDir'> = {
  preset: 'seed',
  input: 224,
  epochs: 10,
  batchSize: 128,
  lr: 0.1,
  optimizer: 'sgd',
  limitTrain: 0,
  limitTest: 0,
  backend: 'auto',
  seed: 1,
  threads: 0,
};

const CONFIG_CHECKS: Checks<TrainConfig> = {
  preset: oneOf(PRESET_NAMES),
  input: int(1),
  epochs: int(1),
  batchSize: int(1),
  lr: where(isNum, (v) => v > 0),
  optimizer: oneOf(OPTIMIZERS),
  limitTrain: int(0),
  limitTest: int(0),
  backend: oneOf(BACKEND_PREFERENCES),
  seed: int(0),
  threads: int(0),
  dataDir: isStr,
  runsDir: isStr,
};

const checkConfig = object<TrainConfig>('training config', CONFIG_CHECKS);

/** Validate a training config (from a command, a settings object or a run's config.json). */
export function validateConfig(v: unknown): Validated<TrainConfig> {
  return checkConfig(v);
}
