/**
 * Entry of a gradient replica thread (bundled as out/parallel-replica.js): builds the same
 * network on the same backend, then for each step takes the current weights and a slice of
 * the batch and answers with that slice's gradients. It never updates weights itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../backends/backend';
import { buildNetwork } from '../../model/network';
import { assignFlat, sliceGradients } from './gradients';
import { parseInit, parseToReplica, type FromReplica } from './messages';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('parallel-replica.js must run in a worker thread');
  const send = (m: FromReplica, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  try {
    const init = parseInit(workerData);
    const choice = await selectBackend(init.backend);
    const { model } = buildNetwork(init.spec);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    port.on('message', (raw: unknown) => {
      try {
        const m = parseToReplica(raw);
        if (m.type === 'close') {
          model.dispose();
          port.close();
          return;
        }
        assignFlat(vars, m.weights);
        const r = sliceGradients(model, vars, m.x, m.labels, m.n, m.seed);
        send(
          {
            type: 'grads',
            id: m.id,
            grads: r.grads,
            loss: r.loss,
            correct: r.correct,
            liveTensors: tf.memory().numTensors,
          },
          [r.grads.buffer as ArrayBuffer],
        );
      } catch (e) {
        send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      }
    });
    send({ type: 'ready', backend: choice.name, reason: choice.reason });
  } catch (e) {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

void main();
