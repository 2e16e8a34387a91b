/**
 * The bundled CLI with a tfjs-node found at run time. tfjs-node cannot install here (its install
 * downloads libtensorflow), so a stand-in takes its place at the one boundary that matters: like
 * tfjs-node, it loads tfjs-core and the cpu backend from node_modules (its own copies, not the
 * bundle's) and registers a backend named 'tensorflow' on them. The bundle must train on that
 * backend (one engine shared through tfjs's globals, scripts/build.mjs) and print none of the
 * warnings a second copy's kernel registrations would.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEvent, type TrainEvent } from '../../src/protocol/index';
import { ROOT } from './helpers';

const STAND_IN = `// Stand-in for @tensorflow/tfjs-node (test/unit/native-sharing.test.ts).
const paths = [process.env.NIN_REPO];
const core = require(require.resolve('@tensorflow/tfjs-core', { paths }));
const cpu = require(require.resolve('@tensorflow/tfjs-backend-cpu', { paths }));
core.registerBackend('tensorflow', () => new cpu.MathBackendCPU(), 3);
for (const k of core.getKernelsForBackend('cpu')) core.registerKernel({ ...k, backendName: 'tensorflow' });
module.exports = core;
`;

describe('the bundle with tfjs-node present', function () {
  this.timeout(120_000);
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'nin-native-'));
    const pkg = join(root, 'node_modules', '@tensorflow', 'tfjs-node');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }),
    );
    writeFileSync(join(pkg, 'index.js'), STAND_IN);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("trains on the backend tfjs-node's own tfjs-core registers, without duplicate-registration warnings", () => {
    const args = [
      'train',
      '--backend',
      'tensorflow',
      '--preset',
      'compact',
      '--input',
      '16',
      '--batch-size',
      '8',
      '--limit-train',
      '8',
      '--limit-test',
      '8',
      '--epochs',
      '1',
      '--json',
      '--runs',
      join(root, 'runs'),
    ];
    const r = spawnSync(process.execPath, [join(ROOT, 'out', 'cli.js'), ...args], {
      encoding: 'utf8',
      timeout: 100_000,
      // NODE_PATH: found only at run time, as a tfjs-node outside the extension's folder would be.
      env: { ...process.env, NODE_PATH: join(root, 'node_modules'), NIN_REPO: ROOT },
    });
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}\n${r.stdout.slice(-2000)}`);
    const events = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const v = validateEvent(JSON.parse(l));
        assert.ok(v.ok, l);
        return v.value as TrainEvent;
      });
    const start = events.find((e) => e.type === 'start');
    assert.ok(start?.type === 'start' && start.backend === 'tensorflow', JSON.stringify(start));
    assert.equal(events.at(-1)?.type, 'done');
    assert.doesNotMatch(r.stderr, /already registered|Overriding the gradient|has already been set/);
  });
});
