/** The training configuration: what defines a run (the run folder's config, src/runs), the article's recipe, and its validator. */
import { BACKEND_PREFERENCES, DEVICES, type BackendPreference, type DevicePreference } from '../backends/backend-names';
import { isLayerSpec, PRESET_NAMES, type LayerSpec, type PresetName } from '../model/spec';
import {
  arrayOf,
  int,
  isNum,
  isStr,
  object,
  oneOf,
  optional,
  shape,
  where,
  type Check,
  type Checks,
  type Validated,
} from './checks';

/** Optimizers: the article's plain SGD, and cheaper recipes that learn visibly on small data. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
/** An optimizer name. */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * How a model read from code is built: `spec` from the analyser's layers (TensorFlow.js or
 * PyTorch, no user code runs), `code` by running the part of the reader's file that builds it
 * (PyTorch only, trusted workspaces only: python/nin_torch/user_model.py).
 */
export const MODEL_BUILDS = ['spec', 'code'] as const;
/** A model's build. */
export type ModelBuild = (typeof MODEL_BUILDS)[number];

/** One layer of a code-built model as the analyser resolved it (for the diagram and the start event). */
export interface ModelLayerShape {
  /** As the code calls it: `self.conv1`, `F.relu`. */
  readonly name: string;
  /** The torch class (`Conv2d`) or op (`relu`). */
  readonly kind: string;
  readonly output: readonly number[];
  readonly params: number;
}

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
  /** Absent in runs recorded before code-built models: `spec`. */
  readonly build?: ModelBuild;
  /**
   * The network as the analyser resolved it (src/pyshape/toSpec.ts): required with `spec`; with
   * `code`, present when the code also resolves statically (then the export may be TensorFlow.js).
   */
  readonly layers?: readonly LayerSpec[];
  /** With `code`: why it cannot be built from the analysis (said when a tfjs engine refuses it). */
  readonly why?: string;
  /** With `code`: the layers the analyser followed through forward(), as far as they resolve. */
  readonly shapes?: readonly ModelLayerShape[];
  /** Parameters (with `code`, 0 when the analyser could not count them; the engine measures them). */
  readonly params: number;
}

/** True when a model runs the reader's code to be built (no TensorFlow.js engine can train it). */
export const isCodeModel = (m: ModelSource | undefined): boolean => m?.build === 'code';

/** What `preset` says when the network is the reader's own (`model`). */
export const MODEL_PRESET = 'model';

/** Everything that defines a training run (stored in its run folder, src/runs). */
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
  /** Worker threads for the wasm engine (CPU threads for PyTorch); 0 = all cores. */
  readonly threads: number;
  /** The PyTorch engine's device (absent: auto); the TensorFlow.js engines ignore it. */
  readonly device?: DevicePreference;
  /** Data-parallel processes of the PyTorch engine (torch.distributed; absent: 1); the TensorFlow.js engines ignore it. */
  readonly processes?: number;
  /** A folder holding the four IDX files, or '' to search the default places. */
  readonly dataDir: string;
  /** Where run folders are created. */
  readonly runsDir: string;
  /** Minutes of training between checkpoints inside an epoch (0: only at epoch ends and stops; absent: 5). */
  readonly checkpointMinutes?: number;
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

/** Most data-parallel processes a run may ask for on one machine. */
export const MAX_PROCESSES = 64;

const isShape3: Check<readonly [number, number, number]> = (v): v is readonly [number, number, number] =>
  arrayOf(int(1), 3, 3)(v);
const isLayer: Check<LayerSpec> = (v): v is LayerSpec => isLayerSpec(v);

const isLayerShape = shape<ModelLayerShape>('layer shape', {
  name: isStr,
  kind: isStr,
  output: arrayOf(int(1)),
  params: int(0),
});

const isModelSource = shape<ModelSource>('model', {
  name: isStr,
  file: isStr,
  source: isStr,
  input: isShape3,
  build: optional(oneOf(MODEL_BUILDS)),
  layers: optional(arrayOf(isLayer, 1)),
  why: optional(where(isStr, (v) => v.trim() !== '')),
  shapes: optional(arrayOf(isLayerShape)),
  params: int(0),
});

/** Why a model's fields do not go together, or undefined: a spec model has its layers and counts its parameters, a code model says why it needs code. */
function modelProblem(m: ModelSource): string | undefined {
  if (m.build === 'code')
    return m.why === undefined
      ? 'a model built by its code says why (`why`) it cannot be built from the analysis'
      : undefined;
  if (m.layers === undefined) return 'a model built from the analysis (build "spec") needs its layers';
  if (m.params < 1) return 'a model built from the analysis has at least one parameter';
  if (m.why !== undefined || m.shapes !== undefined) return '`why` and `shapes` go only with build "code"';
  return undefined;
}

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
  device: optional(oneOf(DEVICES)),
  processes: optional(where(int(1), (v) => v <= MAX_PROCESSES)),
  dataDir: isStr,
  runsDir: isStr,
  checkpointMinutes: optional(where(isNum, (v) => v >= 0)),
};

const checkConfig = object<TrainConfig>('training config', CONFIG_CHECKS);

/** Validate a training config (from a command, a settings object or a run folder's config). */
export function validateConfig(v: unknown): Validated<TrainConfig> {
  const r = checkConfig(v);
  if (!r.ok) return r;
  const c = r.value;
  if ((c.preset === MODEL_PRESET) !== (c.model !== undefined))
    return { ok: false, error: `training config: preset "${MODEL_PRESET}" goes with a model, and only it` };
  const problem = c.model && modelProblem(c.model);
  if (problem) return { ok: false, error: `training config: model: ${problem}` };
  if (c.model && (c.model.input[1] !== c.input || c.model.input[2] !== c.input))
    return {
      ok: false,
      error: `training config: the model's input ${c.model.input.join('x')} is not ${c.input}x${c.input}`,
    };
  return r;
}
