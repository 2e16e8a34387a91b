/**
 * The network as data: NiN's blocks, and the plain layers (convolution, pooling, linear,
 * activations, batch norm) its variants and other Fashion-MNIST classifiers are made of.
 * Everything else (shape inference, the tfjs builder, the panel's diagram, the side view)
 * reads this; nothing here depends on tfjs or vscode.
 */

/** Channels, height, width of one image (PyTorch's C x H x W order). */
export type Shape3 = readonly [number, number, number];

/**
 * A conv kxk + ReLU followed by 1x1 conv + ReLU pairs: two in the article's `nin_block`;
 * `mlpConvs` 1 or 0 for the variants that test what the 1x1 convolutions are worth.
 */
export interface NinBlockSpec {
  readonly kind: 'nin_block';
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  /** How many 1x1 convolutions follow the kxk one (default 2, the article's). */
  readonly mlpConvs?: number;
}

/** A plain convolution (PyTorch `Conv2d`, square kernel, symmetric padding), no activation. */
export interface ConvSpec {
  readonly kind: 'conv';
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
}

/** Average pooling (PyTorch `AvgPool2d`, no padding). */
export interface AvgPoolSpec {
  readonly kind: 'avgpool';
  readonly kernel: number;
  readonly stride: number;
}

/** A fully connected layer on a flattened vector (PyTorch `Linear`), no activation. */
export interface LinearSpec {
  readonly kind: 'linear';
  readonly outFeatures: number;
}

/** Activation functions a layer list may hold. */
export type ActivationName = 'relu' | 'sigmoid' | 'tanh';

/** An element-wise activation (PyTorch `ReLU`, `Sigmoid`, `Tanh`). */
export interface ActivationSpec {
  readonly kind: 'activation';
  readonly fn: ActivationName;
}

/** Batch normalisation over channels (PyTorch `BatchNorm2d`) or features (`BatchNorm1d`). */
export interface BatchNormSpec {
  readonly kind: 'batchnorm';
}

/** Max pooling with PyTorch semantics (floor mode). */
export interface MaxPoolSpec {
  readonly kind: 'maxpool';
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
}

/** Dropout, active only while training. */
export interface DropoutSpec {
  readonly kind: 'dropout';
  readonly rate: number;
}

/** Global average pooling to 1x1 (PyTorch `AdaptiveAvgPool2d((1, 1))`). */
export interface GapSpec {
  readonly kind: 'gap';
}

/** Flatten C x 1 x 1 to a vector of class scores. */
export interface FlattenSpec {
  readonly kind: 'flatten';
}

/** One row of the network table. */
export type LayerSpec =
  | NinBlockSpec
  | MaxPoolSpec
  | DropoutSpec
  | GapSpec
  | FlattenSpec
  | ConvSpec
  | AvgPoolSpec
  | LinearSpec
  | ActivationSpec
  | BatchNormSpec;

/** Names of the built-in presets. */
export const PRESET_NAMES = ['seed', 'compact', 'compact-fc', 'compact-no1x1'] as const;
/** A built-in preset's name. */
export type PresetName = (typeof PRESET_NAMES)[number];

/** A whole network: input, layers, and the number of classes the last block must produce. */
export interface NinSpec {
  /** The preset's name, or the model's for a network read from the reader's code. */
  readonly preset: string;
  readonly input: Shape3;
  readonly classes: number;
  readonly layers: readonly LayerSpec[];
}

const block = (
  outChannels: number,
  kernel: number,
  stride: number,
  padding: number,
  mlpConvs?: number,
): NinBlockSpec => ({
  kind: 'nin_block',
  outChannels,
  kernel,
  stride,
  padding,
  ...(mlpConvs === undefined ? {} : { mlpConvs }),
});
const pool = (kernel: number, stride: number): MaxPoolSpec => ({ kind: 'maxpool', kernel, stride, padding: 0 });
const tail: readonly LayerSpec[] = [{ kind: 'gap' }, { kind: 'flatten' }];
const dropout: DropoutSpec = { kind: 'dropout', rate: 0.5 };
/** The compact trunk: three NiN blocks with pooling, then dropout (`mlpConvs` 1x1 convs per block). */
const compactTrunk = (mlpConvs?: number): LayerSpec[] =>
  [block(32, 5, 1, 2), pool(3, 2), block(64, 5, 1, 2), pool(3, 2), block(128, 3, 1, 1), pool(3, 2), dropout].map((l) =>
    l.kind === 'nin_block' && mlpConvs !== undefined ? { ...l, mlpConvs } : l,
  );
const relu: ActivationSpec = { kind: 'activation', fn: 'relu' };
const linear = (outFeatures: number): LinearSpec => ({ kind: 'linear', outFeatures });

const PRESETS: Record<PresetName, NinSpec> = {
  // The article's network (d2l / Lin et al.), for Fashion-MNIST resized to 224x224.
  seed: {
    preset: 'seed',
    input: [1, 224, 224],
    classes: 10,
    layers: [
      block(96, 11, 4, 0),
      pool(3, 2),
      block(256, 5, 1, 2),
      pool(3, 2),
      block(384, 3, 1, 1),
      pool(3, 2),
      { kind: 'dropout', rate: 0.5 },
      block(10, 3, 1, 1),
      ...tail,
    ],
  },
  // Same structure, sized for the native 28x28 images: about 1/11 of the parameters.
  compact: {
    preset: 'compact',
    input: [1, 28, 28],
    classes: 10,
    layers: [...compactTrunk(), block(10, 3, 1, 1), ...tail],
  },
  // The article's claim as an experiment: the classic fully connected head (AlexNet's
  // 4096-4096, as the panel's head comparison, fcHead.ts) instead of the last block + GAP.
  'compact-fc': {
    preset: 'compact-fc',
    input: [1, 28, 28],
    classes: 10,
    layers: [
      ...compactTrunk(),
      { kind: 'flatten' },
      linear(4096),
      relu,
      dropout,
      linear(4096),
      relu,
      dropout,
      linear(10),
    ],
  },
  // NiN blocks without their 1x1 convolutions: what the per-pixel MLP adds.
  'compact-no1x1': {
    preset: 'compact-no1x1',
    input: [1, 28, 28],
    classes: 10,
    layers: [...compactTrunk(0), block(10, 3, 1, 1, 0), ...tail],
  },
};

/** True when `name` is one of the built-in presets. */
export function isPresetName(name: unknown): name is PresetName {
  return typeof name === 'string' && (PRESET_NAMES as readonly string[]).includes(name);
}

/** A preset's spec, optionally with another input size (square side or full C,H,W). */
export function presetSpec(name: PresetName, input?: number | Shape3): NinSpec {
  const base = PRESETS[name];
  if (input === undefined) return base;
  const shape: Shape3 = typeof input === 'number' ? [base.input[0], input, input] : input;
  return { ...base, input: shape };
}

/** What a training config names as its network: a preset at a size, or a model read from code. */
export interface NetworkChoice {
  readonly preset: string;
  readonly input: number;
  readonly model?: {
    readonly name: string;
    readonly input: Shape3;
    readonly layers?: readonly LayerSpec[];
    /** `code`: built by running the reader's code, which only the PyTorch engine does. */
    readonly build?: 'spec' | 'code';
    readonly why?: string;
  };
}

/** The message of an engine that cannot run a model built by its code. */
export function needsPytorch(model: { readonly name: string; readonly why?: string }): string {
  return `${model.name}: this model needs the PyTorch engine: ${model.why ?? 'it is built by running its code'}`;
}

/** The spec of a config's network; throws for a model built by its code (needsPytorch). */
export function specOf(c: NetworkChoice): NinSpec {
  if (c.model) {
    if (c.model.build === 'code' || !c.model.layers) throw new Error(needsPytorch(c.model));
    return { preset: c.model.name, input: c.model.input, classes: 10, layers: c.model.layers };
  }
  if (!isPresetName(c.preset)) throw new Error(`unknown network "${c.preset}" (and no model)`);
  return presetSpec(c.preset, c.input);
}

/**
 * The spec of a config's network where one exists (a preset, a model with its layers, built by
 * its code or not), for drawing it; undefined for a model from code the analysis cannot build.
 */
export function staticSpecOf(c: NetworkChoice): NinSpec | undefined {
  if (c.model && !c.model.layers) return undefined;
  return c.model ? specOf({ ...c, model: { ...c.model, build: 'spec' } }) : specOf(c);
}

/** How a config's network is named to people: the preset, or the model's name. */
export function networkName(c: Pick<NetworkChoice, 'preset' | 'model'>): string {
  return c.model ? c.model.name : c.preset;
}

/** Parse `N` or `C,H,W` (also `CxHxW`, `C*H*W`) into a shape; throws with the offending text. */
export function parseInputShape(text: string, channels = 1): Shape3 {
  const parts = text
    .trim()
    .replace(/^\(|\)$/g, '')
    .split(/\s*[,x*×]\s*/i)
    .filter((p) => p !== '');
  const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (nums.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new Error(`input shape "${text}" must be positive integers: N or C,H,W`);
  }
  if (nums.length === 1) return [channels, nums[0], nums[0]];
  if (nums.length === 3) return [nums[0], nums[1], nums[2]];
  throw new Error(`input shape "${text}" must be N or C,H,W`);
}

/** Stable row names for the layers of a spec: nin_block_1, maxpool_1, ..., global_avg_pool, flatten. */
export function layerNames(spec: NinSpec): string[] {
  const counts: Record<string, number> = {};
  const base = (l: LayerSpec): string => {
    switch (l.kind) {
      case 'gap':
        return 'global_avg_pool';
      case 'activation':
        return l.fn;
      default:
        return l.kind;
    }
  };
  const numbered = new Set(['nin_block', 'maxpool', 'conv', 'avgpool', 'linear']);
  const total: Record<string, number> = {};
  for (const l of spec.layers) total[base(l)] = (total[base(l)] ?? 0) + 1;
  return spec.layers.map((l) => {
    const b = base(l);
    counts[b] = (counts[b] ?? 0) + 1;
    return total[b] > 1 || numbered.has(l.kind) ? `${b}_${counts[b]}` : b;
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown, min = 0): boolean => Number.isSafeInteger(v) && (v as number) >= min;
const hasOnly = (v: Record<string, unknown>, keys: readonly string[]): boolean =>
  Object.keys(v).every((k) => keys.includes(k));

/** The fields of each layer kind and their checks (for specs that arrive from outside: a run's config). */
const LAYER_FIELDS: { [K in LayerSpec['kind']]: Record<string, (v: unknown) => boolean> } = {
  nin_block: {
    outChannels: (v) => isCount(v, 1),
    kernel: (v) => isCount(v, 1),
    stride: (v) => isCount(v, 1),
    padding: (v) => isCount(v),
    mlpConvs: (v) => v === undefined || (isCount(v) && (v as number) <= 2),
  },
  conv: {
    outChannels: (v) => isCount(v, 1),
    kernel: (v) => isCount(v, 1),
    stride: (v) => isCount(v, 1),
    padding: (v) => isCount(v),
  },
  maxpool: { kernel: (v) => isCount(v, 1), stride: (v) => isCount(v, 1), padding: (v) => isCount(v) },
  avgpool: { kernel: (v) => isCount(v, 1), stride: (v) => isCount(v, 1) },
  linear: { outFeatures: (v) => isCount(v, 1) },
  activation: { fn: (v) => v === 'relu' || v === 'sigmoid' || v === 'tanh' },
  batchnorm: {},
  dropout: { rate: (v) => typeof v === 'number' && v >= 0 && v < 1 },
  gap: {},
  flatten: {},
};

/** True when `v` is a well-formed layer (its kind's fields, no others). */
export function isLayerSpec(v: unknown): v is LayerSpec {
  if (!isObj(v) || typeof v.kind !== 'string' || !Object.hasOwn(LAYER_FIELDS, v.kind)) return false;
  const fields = LAYER_FIELDS[v.kind as LayerSpec['kind']];
  return hasOnly(v, ['kind', ...Object.keys(fields)]) && Object.entries(fields).every(([k, ok]) => ok(v[k]));
}
