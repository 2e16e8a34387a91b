/**
 * `nin train --data DIR` uses DIR alone: a file missing there stops the run with its name
 * before any training, and without --data the run's first lines say where the data came from.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_DIR, FILES } from '../../src/data/fashionMnist';
import { runCli } from './helpers';

describe('nin train: where the data comes from', function () {
  this.timeout(120_000);
  let root: string;
  const small = (): string[] => [
    'train',
    '--preset',
    'compact',
    '--input',
    '16',
    '--batch-size',
    '32',
    '--limit-train',
    '32',
    '--limit-test',
    '32',
    '--epochs',
    '1',
    '--backend',
    'wasm',
    '--runs',
    join(root, 'runs'),
  ];
  before(() => (root = mkdtempSync(join(tmpdir(), 'nin-cli-data-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('--data DIR with a file missing: exit 1 naming the file and DIR, no training (the Debian folder has the file)', () => {
    const dir = join(root, 'three');
    mkdirSync(dir);
    for (const f of [FILES.trainImages, FILES.trainLabels, FILES.testImages])
      symlinkSync(join(DEBIAN_DIR, `${f.name}.gz`), join(dir, `${f.name}.gz`));
    const r = runCli([...small(), '--data', dir]);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}`);
    assert.match(r.stderr, new RegExp(`t10k-labels-idx1-ubyte: not found in ${dir}`));
    assert.doesNotMatch(r.stdout, /epoch 1\/1/);
  });

  it('without --data: the run says it reads the Debian folder; with a complete --data DIR: that folder', () => {
    const r = runCli(small());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^data: Fashion-MNIST from ${DEBIAN_DIR} \\(the Debian dataset folder\\)$`, 'm'));
    const dir = join(root, 'four');
    mkdirSync(dir);
    for (const f of Object.values(FILES)) symlinkSync(join(DEBIAN_DIR, `${f.name}.gz`), join(dir, `${f.name}.gz`));
    const named = runCli([...small(), '--data', dir]);
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, new RegExp(`^data: Fashion-MNIST from ${dir} \\(the data folder you named\\)$`, 'm'));
  });
});
