/**
 * The exported model of a run trained elsewhere (the PyTorch engine): the tfjs network of the
 * spec with a checkpoint's weights, saved in the TensorFlow.js layers format. Checkpoint
 * weights are in the engine-neutral layout (checkpoint.ts), which is the tfjs model's own.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildNetwork } from '../model/network';
import type { NinSpec } from '../model/spec';
import { readCheckpoint } from './checkpoint';
import { saveLayersModel } from './modelIo';

const shapeText = (s: readonly (number | null)[]): string => `[${s.join(',')}]`;

/** Write `modelDir` from the spec and the checkpoint at `checkpointPath`; errors name the mismatch. */
export async function exportCheckpointModel(spec: NinSpec, checkpointPath: string, modelDir: string): Promise<void> {
  await tf.ready();
  const ck = readCheckpoint(checkpointPath);
  const { model } = buildNetwork(spec);
  try {
    const ws = model.weights;
    if (ck.state.weights.length !== ws.length)
      throw new Error(
        `${checkpointPath}: ${ck.state.weights.length} weights, the ${spec.preset} network has ${ws.length}`,
      );
    const values = ws.map((w, i) => {
      const s = ck.state.weights[i];
      if (s.name !== w.originalName || shapeText(s.shape) !== shapeText(w.shape))
        throw new Error(
          `${checkpointPath}: weight ${i} is ${s.name} ${shapeText(s.shape)}, the network's ${w.originalName} ${shapeText(w.shape)}`,
        );
      return tf.tensor(s.values, [...s.shape]);
    });
    model.setWeights(values);
    tf.dispose(values);
    await saveLayersModel(model, modelDir);
  } finally {
    model.dispose();
  }
}
