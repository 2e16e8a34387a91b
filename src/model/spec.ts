/**
 * The NiN network as data. Everything else (shape inference, the tfjs builder, the
 * panel's diagram, the side view) reads this; nothing here depends on tfjs or vscode.
 */

/** Channels, height, width of one image (PyTorch's C x H x W order). */
export type Shape3 = readonly [number, number, number];

/** A conv kxk + ReLU followed by two 1x1 conv + ReLU pairs (the article's `nin_block`). */
export interface NinBlockSpec {
  readonly kind: 'nin_block';
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
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
export type LayerSpec = NinBlockSpec | MaxPoolSpec | DropoutSpec | GapSpec | FlattenSpec;

/** Names of the built-in presets. */
export const PRESET_NAMES = ['seed', 'compact'] as const;
/** A built-in preset's name. */
export type PresetName = (typeof PRESET_NAMES)[number];

/** A whole network: input, layers, and the number of classes the last block must produce. */
export interface NinSpec {
  readonly preset: PresetName;
  readonly input: Shape3;
  readonly classes: number;
  readonly layers: readonly LayerSpec[];
}

const block = (outChannels: number, kernel: number, stride: number, padding: number): NinBlockSpec => ({
  kind: 'nin_block',
  outChannels,
  kernel,
  stride,
  padding,
});
const pool = (kernel: number, stride: number): MaxPoolSpec => ({ kind: 'maxpool', kernel, stride, padding: 0 });
const tail: readonly LayerSpec[] = [{ kind: 'gap' }, { kind: 'flatten' }];

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
    layers: [
      block(32, 5, 1, 2),
      pool(3, 2),
      block(64, 5, 1, 2),
      pool(3, 2),
      block(128, 3, 1, 1),
      pool(3, 2),
      { kind: 'dropout', rate: 0.5 },
      block(10, 3, 1, 1),
      ...tail,
    ],
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
  const base: Record<LayerSpec['kind'], string> = {
    nin_block: 'nin_block',
    maxpool: 'maxpool',
    dropout: 'dropout',
    gap: 'global_avg_pool',
    flatten: 'flatten',
  };
  const total: Record<string, number> = {};
  for (const l of spec.layers) total[l.kind] = (total[l.kind] ?? 0) + 1;
  return spec.layers.map((l) => {
    counts[l.kind] = (counts[l.kind] ?? 0) + 1;
    return total[l.kind] > 1 || l.kind === 'nin_block' || l.kind === 'maxpool'
      ? `${base[l.kind]}_${counts[l.kind]}`
      : base[l.kind];
  });
}
