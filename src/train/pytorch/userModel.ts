/**
 * Runs of a model built from the reader's code (ModelSource `build: 'code'`) on the PyTorch
 * engine: the gate (the code runs only where the host allows it: the CLI for a file its user
 * named, the extension in a trusted workspace), the start event's layers from the analysis,
 * and the exported model: TensorFlow.js where the code's network is the analysis's spec
 * (Python named the weights so), else the PyTorch state dict (`model/model.pt` with its
 * SHA-256, written atomically).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFormat, ModelSource, TrainConfig } from '../../protocol';
import { isRec } from '../../protocol/checks';
import { writeFolderAtomically } from '../../files/writes';
import { readCheckpoint } from '../checkpoint';
import { CHECKSUM_FILE, checksumText, verifyChecksums } from '../modelIntegrity';
import { STATE_DICT_FILE } from '../../runs/model';
import type { JobUserModel } from './jobSpec';
import { pythonEnv, type PythonInfo } from './python';

export { modelFolderFormat, STATE_DICT_FILE } from '../../runs/model';

/** The refusal when the host has not allowed the reader's code to run. */
export function userCodeRefused(model: ModelSource): string {
  return (
    `${model.name} is built by running its code (${model.file}): ${model.why ?? ''}; ` +
    'that code runs only in a trusted workspace (trust the workspace, or run `nin train --model` yourself)'
  );
}

/** Rethrows a failure to find Python with torch, saying that this model trains on PyTorch only. */
export function pytorchOnly(config: TrainConfig): (e: unknown) => never {
  return (e) => {
    const m = config.model!;
    throw new Error(`${m.name} is built by its code and trains on PyTorch only: ${(e as Error).message ?? String(e)}`);
  };
}

/** The start event's fields the Node side knows for a model from code (Python adds its measured parameters). */
export function codeStart(config: TrainConfig, runId: string, runDir: string) {
  const m = config.model!;
  const layers = (m.shapes ?? []).map((l) => ({ ...l, output: [...l.output], flops: 0 }));
  return { runId, runDir, config, layers, params: m.params, flops: 0 };
}

/** The job fields of a model from code. */
export function jobUserModel(m: ModelSource): JobUserModel {
  return { name: m.name, file: m.file, source: m.source, input: m.input };
}

/** How to load the state dict, written beside it. */
export function stateDictReadme(m: ModelSource): string {
  return `# ${m.name} (PyTorch state dict)

\`${STATE_DICT_FILE}\` holds the weights of \`${m.name}\` from \`${m.file}\` (the code is in the run's
config, \`model.source\`), as \`torch.save(net.state_dict())\` writes them; \`${CHECKSUM_FILE}\` their
SHA-256 (check with \`sha256sum -c ${CHECKSUM_FILE}\`). The network has no TensorFlow.js
conversion (${m.why ?? 'it is built by its code'}), so Classify Image and the TensorFlow.js
tools cannot load it; \`nin eval RUN\` evaluates it on PyTorch.

Input: NCHW float32 \`[batch, ${m.input.join(', ')}]\`, pixels scaled to [0, 1] and resized (bilinear)
to the run's input size. Output: 10 logits in Fashion-MNIST label order.

\`\`\`python
net = ${m.name}  # built by the file's code
net.load_state_dict(torch.load("${STATE_DICT_FILE}", map_location="cpu"))
\`\`\`
`;
}

/** Run one answer job (export, eval) in Python; the answer's fields, or an Error with its message. */
export function oneJob(python: PythonInfo, job: object, want: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python.command, ['-u', '-m', 'nin_torch'], {
      env: pythonEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new Error(`cannot start ${python.command}: ${e.message}`)));
    child.on('close', (code) => {
      const line = out
        .split('\n')
        .filter((l) => l.trim())
        .pop();
      let answer: unknown;
      try {
        answer = JSON.parse(line ?? '');
      } catch {
        const last = err.trim().split('\n').pop();
        return reject(
          new Error(`the PyTorch process ended (exit code ${code}) without an answer${last ? `: ${last}` : ''}`),
        );
      }
      if (isRec(answer) && answer.type === want) return resolve(answer);
      const message = isRec(answer) && typeof answer.message === 'string' ? answer.message : JSON.stringify(answer);
      reject(new Error(message));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(job) + '\n');
  });
}

/**
 * Export a model from code from its final checkpoint: TensorFlow.js when it has a spec and Python
 * named the checkpoint's weights by it (tfjs names have a `/`, PyTorch's state dict keys never
 * do), else the state dict through Python. Returns the format written.
 */
export async function exportUserModel(
  python: () => Promise<PythonInfo>,
  config: TrainConfig,
  checkpoint: string,
  modelDir: string,
  exportTfjs: (checkpoint: string) => Promise<void>,
): Promise<ModelFormat> {
  const m = config.model!;
  const names = readCheckpoint(checkpoint).state.weights.map((w) => w.name);
  if (m.layers && names.length && names.every((n) => n.includes('/'))) {
    await exportTfjs(checkpoint);
    return 'tfjs-layers';
  }
  const tmp = `${modelDir}.${process.pid}-${Date.now()}.pt`;
  try {
    await oneJob(await python(), { type: 'export', userModel: jobUserModel(m), checkpoint, out: tmp }, 'exported');
    const bytes = readFileSync(tmp);
    writeFolderAtomically(modelDir, {
      [STATE_DICT_FILE]: bytes,
      [CHECKSUM_FILE]: checksumText([{ path: STATE_DICT_FILE, bytes }]),
      'README.md': stateDictReadme(m),
    });
  } finally {
    rmSync(tmp, { force: true });
  }
  return 'torch-state-dict';
}

/** Check a run's state dict against its SHA-256; the file's path. */
export function verifiedStateDict(modelDir: string): string {
  verifyChecksums(modelDir, [STATE_DICT_FILE]);
  if (!existsSync(join(modelDir, CHECKSUM_FILE)))
    throw new Error(`${modelDir}: no ${CHECKSUM_FILE} beside ${STATE_DICT_FILE}`);
  return join(modelDir, STATE_DICT_FILE);
}

/** What a PyTorch evaluation of a model from code answers. */
export interface CodeEvaluation {
  readonly testAcc: number;
  readonly confusion: number[][];
  readonly testSize: number;
  readonly backendReason: string;
}

const isConfusion = (v: unknown): v is number[][] =>
  Array.isArray(v) &&
  v.length === 10 &&
  v.every((r) => Array.isArray(r) && r.length === 10 && r.every((c) => Number.isInteger(c) && c >= 0));

/**
 * Evaluate a run's model from code on its test subset in PyTorch, from its state dict (checked
 * against its SHA-256) or a checkpoint.
 */
export async function evaluateUserModel(
  python: PythonInfo,
  config: TrainConfig,
  weights: { readonly stateDict: string } | { readonly checkpoint: string },
  dataPaths: Record<string, string>,
): Promise<CodeEvaluation> {
  const job = {
    type: 'eval',
    userModel: jobUserModel(config.model!),
    ...weights,
    dataPaths,
    input: config.input,
    limitTest: config.limitTest,
    seed: config.seed,
    batchSize: config.batchSize,
    device: config.device ?? 'auto',
    threads: config.threads,
  };
  const a = await oneJob(python, job, 'evaluated');
  const { testAcc, confusion, testSize, backendReason } = a;
  if (typeof testAcc !== 'number' || !isConfusion(confusion) || typeof testSize !== 'number')
    throw new Error(`the PyTorch process sent an invalid evaluation: ${JSON.stringify(a).slice(0, 200)}`);
  return { testAcc, confusion, testSize, backendReason: typeof backendReason === 'string' ? backendReason : '' };
}
