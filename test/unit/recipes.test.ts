import * as assert from 'node:assert/strict';
import { ARTICLE_RECIPE, validateConfig } from '../../src/protocol/index';
import {
  RECIPES,
  deviations,
  forwardFlops,
  recipeConfig,
  runSize,
  TRAIN_IMAGES,
  TEST_IMAGES,
} from '../../src/train/recipes';

describe('recipes offered by NiN: Train', () => {
  const byId = Object.fromEntries(RECIPES.map((r) => [r.id, r]));

  it('the first recipe is the article recipe exactly: seed 224x224, SGD 0.1, batch 128, 10 epochs, all data', () => {
    const a = RECIPES[0];
    assert.equal(a.id, 'article');
    for (const k of ['preset', 'input', 'epochs', 'batchSize', 'lr', 'optimizer', 'limitTrain', 'limitTest'] as const) {
      assert.equal(a[k], ARTICLE_RECIPE[k], k);
    }
    assert.deepEqual(deviations(a), []);
  });

  it('the cheaper recipes say how they deviate from the article', () => {
    assert.deepEqual(deviations(byId.seed96), ['input']);
    assert.deepEqual(deviations(byId.compact28), ['preset', 'input']);
    assert.deepEqual(deviations(byId.quick), ['preset', 'input', 'epochs', 'batchSize', 'optimizer', 'lr', 'subset']);
    assert.equal(byId.quick.optimizer, 'adam');
    assert.equal(byId.quick.lr, 0.002);
    assert.ok(byId.quick.limitTrain >= 1000 && byId.quick.limitTrain <= 10000);
  });

  it('recipes are ordered from the dearest to the cheapest (FLOPs x images)', () => {
    const cost = RECIPES.map((r) => {
      const s = runSize(r);
      assert.ok(s, `${r.id} does not collapse`);
      return s.flops * s.epochs * (s.trainImages + s.testImages);
    });
    for (let i = 1; i < cost.length; i++)
      assert.ok(cost[i] < cost[i - 1], `${RECIPES[i].id} cheaper than ${RECIPES[i - 1].id}`);
  });

  it('every recipe makes a valid training config with the machine settings', () => {
    for (const r of RECIPES) {
      const c = recipeConfig(r, { backend: 'wasm', threads: 2, dataDir: '/d', runsDir: '/r' });
      const v = validateConfig(c);
      assert.ok(v.ok, JSON.stringify(v));
      assert.equal(c.backend, 'wasm');
      assert.equal(c.seed, ARTICLE_RECIPE.seed);
    }
  });

  it('run sizes: whole splits unless limited; FLOPs from the shape inference', () => {
    assert.deepEqual(runSize(byId.article), {
      flops: forwardFlops('seed', 224),
      epochs: 10,
      trainImages: TRAIN_IMAGES,
      testImages: TEST_IMAGES,
    });
    const q = runSize(byId.quick);
    assert.equal(q?.trainImages, byId.quick.limitTrain);
    assert.equal(q?.testImages, byId.quick.limitTest);
    assert.equal(forwardFlops('seed', 20), undefined, 'a collapsing network has no FLOPs');
  });
});
