/**
 * Finding Python for the PyTorch engine, with real interpreters: Debian's with torch, a fresh
 * venv without it, one whose torch is too old (a stub package on its path), a path that does
 * not exist, CUDA asked for on a CPU-only torch, and an environment that prints on stdout.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEvent, type TrainConfig, type TrainEvent } from '../../src/protocol/index';
import { epochOrder, subsetIndices } from '../../src/data/batches';
import { checkDevice, clearPythonCache, findPython, pythonEnv } from '../../src/train/pytorch/python';
import { runPytorchTraining } from '../../src/train/pytorch/run';
import { TORCH_PYTHON } from './helpers';

describe('PyTorch engine: finding Python', function () {
  this.timeout(600_000);
  let tmp: string;
  let venvPython: string;
  const oldPath = process.env.PYTHONPATH;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'nin-python-'));
    // A real interpreter without torch: a venv of the system Python, without its site packages.
    execFileSync(TORCH_PYTHON, ['-m', 'venv', '--without-pip', join(tmp, 'venv')]);
    venvPython = join(tmp, 'venv', 'bin', 'python');
  });
  afterEach(() => {
    if (oldPath === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = oldPath;
    clearPythonCache();
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('finds the real torch, its version and devices', async () => {
    const info = await findPython({ configured: TORCH_PYTHON });
    assert.match(info.torch, /^\d+\.\d+/);
    assert.equal(info.executable, TORCH_PYTHON);
    assert.deepEqual(info.cuda, []);
    assert.equal(info.mps, false);
  });

  it('a configured path that does not exist says so and names the setting', async () => {
    await assert.rejects(
      findPython({ configured: join(tmp, 'no-such-python') }),
      /nin\.pythonPath is ".*no-such-python", which was not found: set it to the path of a Python with PyTorch/,
    );
    await assert.rejects(
      findPython({ configured: join(tmp, 'nope'), configuredBy: '--python' }),
      /^Error: --python is/,
    );
  });

  it('no interpreter on the PATH at all, and PATH interpreters without torch, are told apart', async () => {
    await assert.rejects(
      findPython({ pathCandidates: [join(tmp, 'python3'), join(tmp, 'python')] }),
      /no Python found \(tried .*python3, .*python\): install PyTorch/,
    );
    await assert.rejects(
      findPython({ pathCandidates: [venvPython] }),
      /no Python with a usable PyTorch: .*venv\/bin\/python \(Python 3\.\d+\.\d+\) has no torch \(ModuleNotFoundError: No module named 'torch'\): install it there/,
    );
    // The first candidate with torch wins; the Python extension's interpreter comes first.
    const info = await findPython({ pathCandidates: [venvPython, TORCH_PYTHON] });
    assert.equal(info.command, TORCH_PYTHON);
    const fromExt = await findPython({ fromPythonExtension: async () => TORCH_PYTHON, pathCandidates: [venvPython] });
    assert.equal(fromExt.command, TORCH_PYTHON);
  });

  it('a python without torch, configured, says to install it there', async () => {
    await assert.rejects(
      findPython({ configured: venvPython }),
      /which \(Python 3\.\d+\.\d+\) has no torch .*install it there \(pip install torch; see pytorch\.org\)/,
    );
  });

  it('a torch older than 1.12 says to upgrade it', async () => {
    const stub = join(tmp, 'old', 'torch');
    mkdirSync(stub, { recursive: true });
    writeFileSync(join(stub, '__init__.py'), "__version__ = '1.8.1'\n");
    process.env.PYTHONPATH = join(tmp, 'old');
    await assert.rejects(
      findPython({ configured: venvPython }),
      /has torch 1\.8\.1; the PyTorch engine needs torch 1\.12 or later: upgrade it/,
    );
  });

  it('CUDA or MPS asked for where torch has neither', async () => {
    const info = await findPython({ configured: TORCH_PYTHON });
    assert.throws(
      () => checkDevice(info, 'cuda'),
      /device cuda was asked for, but torch .* sees no CUDA GPU: set nin\.device \(CLI: --device\) to auto or cpu/,
    );
    assert.throws(() => checkDevice(info, 'mps'), /device mps was asked for/);
    assert.doesNotThrow(() => checkDevice(info, 'cpu'));
  });

  it('garbage on the process stdout is an error event that quotes it', async () => {
    // A real environment hook that prints at start-up (as some conda or site setups do).
    const site = join(tmp, 'noisy');
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, 'sitecustomize.py'), "print('Welcome to the cluster!')\n");
    process.env.PYTHONPATH = site;
    const events: TrainEvent[] = [];
    const runs = join(tmp, 'runs');
    const config: TrainConfig = {
      preset: 'compact',
      input: 28,
      epochs: 1,
      batchSize: 64,
      lr: 0.003,
      optimizer: 'adam',
      limitTrain: 64,
      limitTest: 64,
      backend: 'pytorch',
      seed: 1,
      threads: 2,
      dataDir: '',
      runsDir: runs,
    };
    const outcome = await runPytorchTraining(config, undefined, {
      emit: (e) => {
        assert.ok(validateEvent(e).ok);
        events.push(e);
      },
      shouldStop: () => false,
      python: { configured: TORCH_PYTHON },
    });
    assert.equal(outcome, 'error');
    const err = events.find((e) => e.type === 'error');
    assert.match(
      err?.type === 'error' ? err.message : '',
      /the PyTorch process wrote something that is not an event on its stdout: "Welcome to the cluster!"/,
    );
  });

  it('Python draws the same subset and epoch order as src/data/batches.ts', () => {
    const script =
      'import json; from nin_torch.rng import subset_indices, epoch_order; s = subset_indices(60000, 1000, 7, 101); print(json.dumps(epoch_order(s, 7, 3).tolist()))';
    const py = JSON.parse(
      execFileSync(TORCH_PYTHON, ['-c', script], { env: pythonEnv(), encoding: 'utf8' }),
    ) as number[];
    assert.deepEqual(py, Array.from(epochOrder(subsetIndices(60000, 1000, 7, 101), 7, 3)));
  });
});
