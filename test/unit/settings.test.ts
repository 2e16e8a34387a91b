import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/protocol/index';
import {
  SETTING_DEFAULTS,
  SETTING_LIMITS,
  englishT,
  readTrainingSettings,
  resolveRunsDir,
  resolveFolder,
  settingsConfig,
  shapeProblem,
} from '../../src/extension/settings';
import { SETTINGS } from '../../src/extension/runFeed';
import { ROOT } from './helpers';

const read = (values: Record<string, unknown>) => readTrainingSettings((k) => values[k]);

describe('settings: nin.* read into a training config', () => {
  it('no settings give the article recipe on the seed network at 224x224', () => {
    const { settings, issues } = read({});
    assert.deepEqual(issues, []);
    assert.equal(settings.preset, 'seed');
    assert.equal(settings.input, 224);
    assert.equal(settings.epochs, 10);
    assert.equal(settings.batchSize, 128);
    assert.equal(settings.lr, 0.1);
    assert.equal(settings.optimizer, 'sgd');
    const cfg = settingsConfig(settings, '', '/runs');
    assert.ok(validateConfig(cfg).ok, JSON.stringify(validateConfig(cfg)));
  });

  it('inputSize 0 follows the preset: compact is 28x28', () => {
    assert.equal(read({ preset: 'compact' }).settings.input, 28);
    assert.equal(read({ preset: 'compact', inputSize: 56 }).settings.input, 56);
  });

  it('valid values pass through', () => {
    const { settings, issues } = read({
      epochs: 3,
      batchSize: 64,
      learningRate: 0.002,
      optimizer: 'adam',
      backend: 'wasm',
      threads: 4,
      device: 'cuda',
      'pytorch.processes': 3,
      pythonPath: ' /opt/py/bin/python ',
      dataFolder: ' /d ',
      runsFolder: 'r',
      checkpointMinutes: 2,
    });
    assert.deepEqual(issues, []);
    assert.deepEqual(
      { ...settings },
      {
        preset: 'seed',
        input: 224,
        epochs: 3,
        batchSize: 64,
        lr: 0.002,
        optimizer: 'adam',
        backend: 'wasm',
        threads: 4,
        device: 'cuda',
        processes: 3,
        pythonPath: '/opt/py/bin/python',
        dataFolder: '/d',
        runsFolder: 'r',
        checkpointMinutes: 2,
      },
    );
  });

  const bad: [string, unknown, string][] = [
    ['epochs', 0, 'nin.epochs'],
    ['epochs', 2.5, 'nin.epochs'],
    ['epochs', '10', 'nin.epochs'],
    ['batchSize', -1, 'nin.batchSize'],
    ['batchSize', 1e9, 'nin.batchSize'],
    ['learningRate', 0, 'nin.learningRate'],
    ['learningRate', Number.NaN, 'nin.learningRate'],
    ['learningRate', 'fast', 'nin.learningRate'],
    ['optimizer', 'rmsprop', 'nin.optimizer'],
    ['backend', 'webgl', 'nin.backend'],
    ['preset', 'alexnet', 'nin.preset'],
    ['inputSize', -3, 'nin.inputSize'],
    ['threads', 1.5, 'nin.threads'],
    ['runsFolder', 42, 'nin.runsFolder'],
    ['dataFolder', {}, 'nin.dataFolder'],
    ['device', 'tpu', 'nin.device'],
    ['pythonPath', 3, 'nin.pythonPath'],
    ['pytorch.processes', 0, 'nin.pytorch.processes'],
    ['pytorch.processes', 65, 'nin.pytorch.processes'],
    ['pytorch.processes', 1.5, 'nin.pytorch.processes'],
    ['checkpointMinutes', -1, 'nin.checkpointMinutes'],
    ['checkpointMinutes', 0.5, 'nin.checkpointMinutes'],
  ];
  for (const [key, value, setting] of bad) {
    it(`rejects ${setting} = ${JSON.stringify(value) ?? String(value)}, names the setting and uses the default`, () => {
      const { settings, issues } = read({ [key]: value });
      assert.equal(issues.length, 1, JSON.stringify(issues));
      assert.equal(issues[0].setting, setting);
      assert.match(issues[0].message, new RegExp(`"${setting.replace('.', '\\.')}"`));
      assert.match(issues[0].message, /using .* instead/);
      // everything else is still valid and the config stays runnable
      assert.ok(validateConfig(settingsConfig(settings, '', '/runs')).ok);
    });
  }

  it('nin.pytorch.processes above 1 goes into the config (validated); 1 leaves the config as it was', () => {
    const two = settingsConfig(read({ 'pytorch.processes': 2 }).settings, '', '/runs');
    assert.equal(two.processes, 2);
    assert.ok(validateConfig(two).ok);
    assert.equal('processes' in settingsConfig(read({}).settings, '', '/runs'), false);
    assert.equal(validateConfig({ ...two, processes: 0 }).ok, false);
    assert.equal(validateConfig({ ...two, processes: 65 }).ok, false);
  });

  it('reports every bad setting, not just the first', () => {
    const { issues } = read({ epochs: -1, optimizer: 'x', backend: 1 });
    assert.deepEqual(
      issues.map((i) => i.setting),
      ['nin.epochs', 'nin.optimizer', 'nin.backend'],
    );
  });

  it('messages go through the translator with the setting as an argument', () => {
    const seen: string[] = [];
    readTrainingSettings(
      (k) => (k === 'epochs' ? 0 : undefined),
      (m, ...a) => (seen.push(m), englishT(m, ...a)),
    );
    assert.ok(seen.includes('Setting "{0}": {1}, got {2}; using {3} instead.'), seen.join(' | '));
  });

  it('a collapsing input size is found, naming the layer where it breaks', () => {
    assert.equal(shapeProblem({ preset: 'seed', input: 224 }), undefined);
    assert.equal(shapeProblem({ preset: 'compact', input: 28 }), undefined);
    const e = shapeProblem({ preset: 'seed', input: 28 });
    assert.ok(e, 'seed at 28x28 collapses');
    assert.match(e.name, /^(nin_block|maxpool)_\d$/);
    assert.match(e.message, new RegExp(`^${e.name}:`));
  });

  it('runs folder: the setting, else .nin/runs in the workspace, else global storage', () => {
    assert.equal(resolveRunsDir('', '/ws', '/gs'), join('/ws', '.nin', 'runs'));
    assert.equal(resolveRunsDir('', undefined, '/gs'), join('/gs', 'runs'));
    assert.equal(resolveRunsDir('out/runs', '/ws', '/gs'), join('/ws', 'out', 'runs'));
    assert.equal(resolveRunsDir('out/runs', undefined, '/gs'), join('/gs', 'out', 'runs'));
    assert.equal(resolveRunsDir('/abs', '/ws', '/gs'), '/abs');
    assert.equal(resolveRunsDir('~/runs', '/ws', '/gs'), join(homedir(), 'runs'));
    assert.equal(resolveFolder('data', '/ws'), join('/ws', 'data'));
  });

  it('package.json declares every nin.* training setting with the same default, limits and a description', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const props = pkg.contributes.configuration.properties as Record<string, Record<string, unknown>>;
    for (const [key, def] of Object.entries(SETTING_DEFAULTS)) {
      const p = props[`nin.${SETTINGS[key as keyof typeof SETTINGS]}`];
      assert.ok(p, `nin.${key} in package.json`);
      assert.deepEqual(p.default, def, `default of nin.${key}`);
      assert.ok(p.markdownDescription ?? p.description, `description of nin.${key}`);
      const lim = SETTING_LIMITS[key as keyof typeof SETTING_LIMITS];
      if (lim && key !== 'learningRate') assert.deepEqual([p.minimum, p.maximum], [...lim], `limits of nin.${key}`);
    }
  });
});
