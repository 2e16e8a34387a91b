/**
 * The TensorFlow.js layers format on disk (model.json + weights.bin) without tfjs-node's
 * `file://` handler, which is unavailable where tfjs-node cannot install. Writes are atomic:
 * the folder is written beside the target and renamed into place.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFolderAtomically } from '../files/writes';
import { CHECKSUM_FILE, checksumText, verifyChecksums, weightFile } from './modelIntegrity';
import type { Predictions } from './batchTrainer';

/** The weights file name inside an exported model folder. */
export const WEIGHTS_FILE = 'weights.bin';

/** How to load an exported model, written beside it. */
export const MODEL_README = `# NiN model (TensorFlow.js layers format)

\`model.json\` holds the architecture and the weights manifest, \`${WEIGHTS_FILE}\` the float32 weights,
\`weights.sha256\` their SHA-256 (check with \`sha256sum -c weights.sha256\`).
Input: NHWC float32 \`[batch, H, W, 1]\`, pixels scaled to [0, 1] and resized (bilinear) to the
run's input size (see the run's config). Output: 10 logits (apply softmax for probabilities), in
Fashion-MNIST label order: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker,
Bag, Ankle boot.

\`\`\`js
// Node with @tensorflow/tfjs-node:
const tf = require('@tensorflow/tfjs-node');
const model = await tf.loadLayersModel('file:///absolute/path/to/model/model.json');
// Browser: serve this folder and use tf.loadLayersModel('https://.../model.json').
// Pure JS without a file handler: read both files and use tf.io.fromMemory (see
// src/train/modelIo.ts, loadLayersModelFrom).
const probs = tf.softmax(model.predict(x));
\`\`\`
`;

/** Save a layers model to `dir` (model.json, weights.bin, weights.sha256, README.md), atomically. */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('model.save produced no weights');
  const data = Array.isArray(artifacts.weightData)
    ? tf.io.concatenateArrayBuffers(artifacts.weightData)
    : artifacts.weightData;
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
  };
  const weights = new Uint8Array(data);
  writeFolderAtomically(dir, {
    'model.json': JSON.stringify(modelJson),
    [WEIGHTS_FILE]: weights,
    [CHECKSUM_FILE]: checksumText([{ path: WEIGHTS_FILE, bytes: weights }]),
    'README.md': MODEL_README,
  });
}

/** Load a model saved by `saveLayersModel`; errors name the file and what is wrong. */
export async function loadLayersModelFrom(dir: string): Promise<tfl.LayersModel> {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) throw new Error(`${jsonPath}: missing (no exported model in ${dir})`);
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new Error(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  const manifest = json.weightsManifest;
  if (!json.modelTopology || !Array.isArray(manifest) || manifest.length === 0)
    throw new Error(`${jsonPath}: not a TensorFlow.js layers model (no topology or weights manifest)`);
  const weightSpecs = manifest.flatMap((g) => g.weights);
  const paths = manifest.flatMap((g) => (Array.isArray(g.paths) ? g.paths : []));
  // Refused before any is read: a path out of the folder (or a symlink out of it).
  for (const p of paths) if (!existsSync(weightFile(dir, p))) throw new Error(`${join(dir, p)}: missing weights file`);
  const buffers = manifest.flatMap((g) =>
    g.paths.map((p) => {
      const file = weightFile(dir, p);
      const b = readFileSync(file);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    }),
  );
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  const expected = weightSpecs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1) * 4, 0);
  if (weightData.byteLength !== expected) {
    throw new Error(
      `${join(dir, manifest[0].paths[0])}: ${weightData.byteLength} bytes of weights, the manifest needs ${expected} (truncated or corrupt)`,
    );
  }
  verifyChecksums(dir, paths); // the right size, but are they the bytes that were exported?
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs, weightData }),
  );
}

/** Inference with a loaded layers model, shaped like BatchTrainer.predict (for evaluating exports). */
export function modelPredictor(model: tfl.LayersModel): {
  predict(x: Float32Array, n: number): Promise<Predictions>;
} {
  const shape = model.inputs[0].shape; // [null, H, W, C]
  const [h, w, c] = [shape[1] ?? 0, shape[2] ?? 0, shape[3] ?? 0];
  return {
    async predict(x, n) {
      if (x.length !== n * h * w * c)
        throw new Error(`the model takes ${h}x${w}x${c} images; got ${x.length / n} values per image`);
      return predictClasses(model, () => tf.tensor4d(x, [n, h, w, c]));
    },
  };
}

/**
 * Softmax probabilities and argmax of `model` on the batch `input` makes (inside the tidy scope,
 * so the input tensor is freed with the logits); shared by the trainer and exported models.
 */
export async function predictClasses(model: tfl.LayersModel, input: () => tf.Tensor4D): Promise<Predictions> {
  const [probs, arg] = tf.tidy(() => {
    const logits = model.predict(input()) as tf.Tensor2D;
    return [tf.softmax(logits), tf.argMax(logits, 1)];
  });
  try {
    const [p, a] = await Promise.all([probs.data(), arg.data()]);
    return { probabilities: Float32Array.from(p as Float32Array), predicted: Int32Array.from(a as Int32Array) };
  } finally {
    tf.dispose([probs, arg]);
  }
}
