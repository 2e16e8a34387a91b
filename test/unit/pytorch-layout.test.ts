// The engine-neutral weight layout for every layer kind: the network the PyTorch engine builds
// from a spec (python/nin_torch/model.py) names and shapes its weights exactly as the tfjs model
// does, for every preset and for models read from code (real torch, Debian python3-torch).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildNetwork } from '../../src/model/network';
import { PRESET_NAMES, presetSpec, type NinSpec } from '../../src/model/spec';
import { analysePython } from '../../src/pyshape/analyse';
import { loadPythonParser } from '../../src/pyshape/parser';
import { modToSpec } from '../../src/pyshape/toSpec';
import { jobSpec } from '../../src/train/pytorch/jobSpec';
import { ROOT } from './helpers';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** [name, tfjs shape] of every weight the Python side builds for `spec`, or its error. */
function pythonWeights(spec: NinSpec): Array<[string, number[]]> | string {
  const code = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'python'))})`,
    'from nin_torch import model',
    'job = json.loads(sys.stdin.read())',
    'try:',
    '    net, named = model.build(job["spec"], job["rowNames"])',
    '    print(json.dumps([[n, model.tfjs_shape(p)] for n, p in named]))',
    'except ValueError as e:',
    '    print(json.dumps(str(e)))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code], {
    input: JSON.stringify(jobSpec(spec)),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function tfjsWeights(spec: NinSpec): Array<[string, number[]]> {
  const { model } = buildNetwork(spec);
  try {
    return model.weights.map((w) => [w.originalName, [...w.shape] as number[]]);
  } finally {
    model.dispose();
  }
}

describe('PyTorch and tfjs name and shape every weight alike (the engine-neutral layout)', function () {
  this.timeout(120_000);
  before(async function () {
    if (!hasTorch) this.skip();
    await tf.setBackend('cpu');
  });

  for (const preset of PRESET_NAMES) {
    it(`preset ${preset}`, () => assert.deepEqual(pythonWeights(presetSpec(preset)), tfjsWeights(presetSpec(preset))));
  }

  it('models read from code: LeNet (sigmoid, average pooling, linear) and the one-1x1 NiN', async () => {
    const parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
    for (const file of ['lenet.py', 'nin_one1x1.py']) {
      const a = analysePython(parser, readFileSync(join(ROOT, 'test', 'fixtures', 'models', file), 'utf8'));
      const m = a.models.find((x) => x.name === 'net')!;
      const r = modToSpec('net', m.mod, m.input);
      assert.ok(r.ok, file);
      assert.deepEqual(pythonWeights(r.spec), tfjsWeights(r.spec), file);
    }
  });

  it('a layer the PyTorch engine cannot build yet is refused with its reason', () => {
    const spec: NinSpec = {
      preset: 'bn',
      input: [1, 28, 28],
      classes: 10,
      layers: [{ kind: 'batchnorm' }, { kind: 'flatten' }, { kind: 'linear', outFeatures: 10 }],
    };
    assert.match(String(pythonWeights(spec)), /batch norm is not supported by the PyTorch engine yet/);
  });
});
