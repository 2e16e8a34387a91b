/** The training configuration: what defines a run (its config.json), the article's recipe, and its validator. */
import { BACKEND_PREFERENCES, type BackendPreference } from '../backends/backend-names';
import { isLayerSpec, PRESET_NAMES, type LayerSpec, type PresetName } from '../model/spec';
import { arrayOf, int, isNum, isStr, object, oneOf, optional, shape, where, type Check, type Checks, type Validated } from './checks';

/** Optimizers: the article's plain SGD, and cheaper recipes that learn visibly on small data. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
/** An optimizer name. */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** A network read from the reader's code: what it is, and the code it came from. */
export interface ModelSource {
  /** As the analyser names it: `net`, `nin()`, `Net()`. */
  readonly name: string;
  /** The file (or notebook) it was read from. */
  readonly file: string;
  /** That file's text when the run started, so that a later edit does not change what the run was. */
  readonly source: string;
  /** Its input, C x H x W (H and W are the config's `input`). */
  readonly input: readonly [number, number, number];
  /** The network as the analyser resolved it (src/pyshape/toSpec.ts). */
  readonly layers: readonly LayerSpec[];
  readonly params: number;
}

/** What `preset` says when the network is the reader's own (`model`). */
export const MODEL_PRESET = 'model';

/** Everything that defines a training run (stored as the run's config.json). */
export interface TrainConfig {
  /** A built-in network, or `model` for the reader's own (then `model` says which). */
  readonly preset: PresetName | typeof MODEL_PRESET;
  readonly model?: ModelSource;
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

const isShape3: Check<readonly [number, number, number]> = (v): v is readonly [number, number, number] => arrayOf(int(1), 3, 3)(v);
const isLayer: Check<LayerSpec> = (v): v is LayerSpec => isLayerSpec(v);

const isModelSource = shape<ModelSource>('model', {
  name: isStr,
  file: isStr,
  source: isStr,
  input: isShape3,
  layers: arrayOf(isLayer, 1),
  params: int(1),
});

const CONFIG_CHECKS: Checks<TrainConfig> = {
  preset: oneOf([...PRESET_NAMES, MODEL_PRESET]),
  model: optional(isModelSource),
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
  const r = checkConfig(v);
  if (!r.ok) return r;
  const c = r.value;
  if ((c.preset === MODEL_PRESET) !== (c.model !== undefined))
    return { ok: false, error: `training config: preset "${MODEL_PRESET}" goes with a model, and only it` };
  if (c.model && (c.model.input[1] !== c.input || c.model.input[2] !== c.input))
    return { ok: false, error: `training config: the model's input ${c.model.input.join('x')} is not ${c.input}x${c.input}` };
  return r;
}
