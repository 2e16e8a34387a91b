// Exported models: a real tfjs layers model of the compact NiN saved the way tfjs saves it
// (model.json + one weight shard), checked, copied with a README, and loaded back to the same
// predictions; corrupt or missing files are errors that name the file.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildNetwork } from '../../src/model/network';
import { presetSpec } from '../../src/model/spec';
import { exportModel, modelReadme, readModelFiles } from '../../src/extension/commandsModel';
import { findRunModel } from '../../src/runs';

/** Save like tfjs-node's file:// handler: model.json + group1-shard1of1.bin. */
async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData as ArrayBuffer;
      writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.from(data));
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({
          modelTopology: a.modelTopology,
          format: 'layers-model',
          generatedBy: 'test',
          convertedBy: null,
          weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const buf = readFileSync(join(dir, json.weightsManifest[0].paths[0]));
  const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }),
  );
}

describe('exported models', () => {
  let dir: string;
  let run: string;
  let model: tfl.LayersModel;
  before(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nin-export-'));
    run = join(dir, 'run1');
    model = buildNetwork(presetSpec('compact', 28)).model;
    await saveModel(model, join(run, 'model'));
  });
  afterEach(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a saved model is found in its run, checked, exported with a README and loads back to the same predictions', async () => {
    assert.equal(await findRunModel(run), join(run, 'model'));
    const files = readModelFiles(join(run, 'model'));
    assert.deepEqual(files.inputShape, [28, 28, 1]);
    assert.equal(files.bytes, 181158 * 4, 'every parameter of the compact network, float32');
    const dest = join(dir, 'out');
    const written = exportModel(files, dest, modelReadme(files));
    assert.deepEqual(readdirSync(dest).sort(), ['README.md', 'group1-shard1of1.bin', 'model.json']);
    assert.equal(written.at(-1), join(dest, 'model.json'), 'model.json is written last');
    assert.match(readFileSync(join(dest, 'README.md'), 'utf8'), /\[N, 28, 28, 1\][\s\S]*Ankle boot/);
    const back = await loadModel(dest);
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 7);
    const a = model.predict(x) as tf.Tensor;
    const b = back.predict(x) as tf.Tensor;
    assert.deepEqual(await b.data(), await a.data());
    tf.dispose([x, a, b]);
    back.dispose();
  });

  it('a truncated weight shard is an error naming the shard', () => {
    truncateSync(join(run, 'model', 'group1-shard1of1.bin'), 1000);
    assert.throws(
      () => readModelFiles(join(run, 'model')),
      /group1-shard1of1\.bin: 1000 bytes of weights where model\.json describes 724632 \(truncated or corrupt\)/,
    );
  });

  it('a missing shard, a broken model.json or no model at all are errors naming the file', async () => {
    rmSync(join(run, 'model', 'group1-shard1of1.bin'));
    assert.throws(() => readModelFiles(join(run, 'model')), /group1-shard1of1\.bin: missing/);
    writeFileSync(join(run, 'model', 'model.json'), '{"modelTopology":');
    assert.throws(() => readModelFiles(join(run, 'model')), /model\.json: not valid JSON/);
    writeFileSync(join(run, 'model', 'model.json'), '{"weightsManifest":[]}');
    assert.throws(() => readModelFiles(join(run, 'model')), /model\.json: not a TensorFlow\.js layers model/);
    assert.throws(() => readModelFiles(join(dir, 'nothing')), /model\.json: not found/);
    assert.equal(await findRunModel(join(dir, 'nothing')), undefined);
  });

  it('refuses weight paths outside the model folder', () => {
    const json = JSON.parse(readFileSync(join(run, 'model', 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../../etc/passwd'];
    writeFileSync(join(run, 'model', 'model.json'), JSON.stringify(json));
    assert.throws(() => readModelFiles(join(run, 'model')), /outside the model folder/);
  });
});
