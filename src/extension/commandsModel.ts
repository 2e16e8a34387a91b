/**
 * Trained models on disk (TensorFlow.js layers format: model.json + weight shards), for
 * "NiN: Export Model..." and "NiN: Classify Image...": find a run's model, check it completely
 * (a corrupt or missing file is an error naming the file, never a crash later), copy it
 * atomically. No `vscode` import: unit-tested on real folders.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CLASS_NAMES } from '../model/eval/classes';
import type { ClassifyInputMessage, TrainConfig } from '../protocol/index';
import { writeError } from '../files/writes';
import { CHECKSUM_FILE, verifyChecksums, weightFile } from '../train/modelIntegrity';

/** A checked model folder. */
export interface ModelFiles {
  readonly dir: string;
  /** Parsed model.json. */
  readonly json: {
    modelTopology: unknown;
    weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  } & Record<string, unknown>;
  /** Weight shard paths relative to the folder, in manifest order. */
  readonly shards: readonly string[];
  /** Input shape without the batch dimension (NHWC), when model.json says it. */
  readonly inputShape?: readonly number[];
  readonly bytes: number;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

function inputShapeOf(topology: unknown): number[] | undefined {
  // Sequential model: config.layers[0].config.batch_input_shape (Keras JSON, snake_case).
  const layers = (topology as { config?: { layers?: { config?: Record<string, unknown> }[] } })?.config?.layers;
  const first = layers?.[0]?.config;
  const shape = (first?.batch_input_shape ?? first?.batchInputShape) as unknown;
  if (Array.isArray(shape) && shape.slice(1).every((v) => Number.isSafeInteger(v))) return shape.slice(1) as number[];
  return undefined;
}

/** Read and check a model folder completely; throws an Error naming the file that is wrong. */
export function readModelFiles(dir: string): ModelFiles {
  const file = join(dir, 'model.json');
  if (!existsSync(file)) throw new Error(`${file}: not found (no exported model in this folder)`);
  let json: ModelFiles['json'];
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (
    typeof json !== 'object' ||
    json === null ||
    typeof json.modelTopology !== 'object' ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new Error(`${file}: not a TensorFlow.js layers model (modelTopology or weightsManifest missing)`);
  }
  const shards: string[] = [];
  let bytes = 0;
  for (const group of json.weightsManifest) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw new Error(`${file}: malformed weightsManifest`);
    let expected = 0;
    for (const w of group.weights) {
      const per = BYTES[w?.dtype];
      if (!per || !Array.isArray(w.shape))
        throw new Error(`${file}: weight ${JSON.stringify(w?.name)} has an unknown dtype or shape`);
      expected += per * w.shape.reduce((a: number, b: number) => a * b, 1);
    }
    let actual = 0;
    for (const p of group.paths) {
      // shards live beside model.json: paths (and symlinks) that leave the folder are refused
      const shard = weightFile(dir, p);
      if (!existsSync(shard)) throw new Error(`${shard}: missing (named in model.json)`);
      actual += statSync(shard).size;
      shards.push(p);
    }
    if (actual !== expected) {
      throw new Error(
        `${join(dir, group.paths[0] ?? '?')}: ${actual} bytes of weights where model.json describes ${expected} (truncated or corrupt)`,
      );
    }
    bytes += actual;
  }
  verifyChecksums(dir, shards);
  return { dir, json, shards, inputShape: inputShapeOf(json.modelTopology), bytes };
}

/** The README written beside an exported model: how to load it and what goes in and out. */
export function modelReadme(model: Pick<ModelFiles, 'inputShape'>, config?: TrainConfig, testAcc?: number): string {
  const [h, w, c] = model.inputShape ?? [config?.input ?? 224, config?.input ?? 224, 1];
  return `# NiN trained on Fashion-MNIST (TensorFlow.js layers format)

${config ? `Trained with the \`${config.preset}\` network at ${config.input}x${config.input}, ${config.optimizer} lr ${config.lr}, batch ${config.batchSize}, ${config.epochs} epochs.` : ''}
${testAcc !== undefined ? `Test accuracy: ${(100 * testAcc).toFixed(2)}%.` : ''}

## Load it

\`\`\`js
// Node (with @tensorflow/tfjs-node): file:// URLs
const tf = require('@tensorflow/tfjs-node');
const model = await tf.loadLayersModel('file://' + __dirname + '/model.json');
// Browser: await tf.loadLayersModel('https://.../model.json');
\`\`\`

## Input and output

- Input: a batch of grayscale images, shape \`[N, ${h}, ${w}, ${c}]\` (NHWC), pixels scaled to [0, 1],
  light garment on a dark background like Fashion-MNIST; the 28x28 images were resized to ${h}x${w}
  bilinearly with half-pixel centres (\`tf.image.resizeBilinear(x, [${h}, ${w}], false, true)\`, PyTorch's
  \`interpolate(..., mode='bilinear', align_corners=False)\`).
- Output: 10 logits (apply \`tf.softmax\` for probabilities), in this class order:
${CLASS_NAMES.map((n, i) => `  ${i}. ${n}`).join('\n')}
`;
}

/**
 * Copy a checked model into `dest` (created if needed): each file through a temp file and a
 * rename, model.json last, so a half-copied model never looks complete. Returns the files written.
 */
export function exportModel(model: ModelFiles, dest: string, readme: string): string[] {
  mkdirSync(dest, { recursive: true });
  const written: string[] = [];
  const put = (name: string, write: (tmp: string) => void) => {
    const target = join(dest, name);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    try {
      write(tmp);
      renameSync(tmp, target);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw writeError(target, e); // names the file (a full disk says so)
    }
    written.push(target);
  };
  for (const shard of model.shards) put(shard, (tmp) => copyFileSync(join(model.dir, shard), tmp));
  if (existsSync(join(model.dir, CHECKSUM_FILE)))
    put(CHECKSUM_FILE, (tmp) => copyFileSync(join(model.dir, CHECKSUM_FILE), tmp));
  put('README.md', (tmp) => writeFileSync(tmp, readme));
  put('model.json', (tmp) => copyFileSync(join(model.dir, 'model.json'), tmp));
  return written;
}

/** Images larger than this are refused (a photo of a garment does not need more). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/** The image's MIME type from its first bytes; throws naming the file when it is not a PNG or JPEG. */
export function imageMime(file: string, bytes: Uint8Array): 'image/png' | 'image/jpeg' {
  if (bytes.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b))
    return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  throw new Error(`${file}: not a PNG or JPEG image`);
}

/** Read an image file for the webview as a data: URL; errors name the file. */
export function readImage(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new Error(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > MAX_IMAGE_BYTES)
    throw new Error(`${file}: ${size} bytes, more than the ${MAX_IMAGE_BYTES} an image may have here`);
  const bytes = readFileSync(file);
  return `data:${imageMime(file, bytes)};base64,${bytes.toString('base64')}`;
}

/** The model as the webview loads it: topology, weight specs and all shards concatenated. */
export function modelPayload(model: ModelFiles): ClassifyInputMessage['model'] {
  const weightSpecs = model.json.weightsManifest.flatMap((g) => g.weights);
  const weightData = Buffer.concat(model.shards.map((p) => readFileSync(join(model.dir, p)))).toString('base64');
  return { modelTopology: model.json.modelTopology, weightSpecs, weightData };
}
