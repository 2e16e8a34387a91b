/**
 * One training run on the PyTorch engine: the run folder as the tfjs engine keeps it (src/runs:
 * config, metrics log, checkpoints pruned the same way, model/ exported in the TensorFlow.js layers
 * format), the training itself in a child Python process (python/nin_torch) that sends one JSON
 * event per stdout line. Every line is validated; anything else on stdout, or the process ending
 * without a final event, is an `error` event that keeps the last checkpoint (the run resumes).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { isCodeModel, validateEvent, type ModelFormat, type TrainConfig, type TrainEvent } from '../../protocol';
import { inferShapes } from '../../model/shapes';
import { specOf, type NinSpec } from '../../model/spec';
import { jobNet } from './jobSpec';
import { codeStart, exportUserModel, modelFolderFormat, pytorchOnly, userCodeRefused } from './userModel';
import { defaultCacheRoot, datasetCacheDir, resolveDatasetFiles } from '../../data/fashionMnist';
import { writeRunConfig } from '../../runs';
import { latestCheckpoint, pruneCheckpoints, readCheckpoint } from '../checkpoint';
import { MAX_SAMPLES, type EngineHooks, type TrainOutcome } from '../engine';
import { appendIfLocked, openRunFolder, refuseCompletedRun, shouldLogError, type RunWriter } from '../runFolder';
import { EVAL_COST_RATIO } from '../recipes';
import { checkDevice, findPython, pythonEnv, type FindPythonOptions, type PythonInfo } from './python';

/** What the PyTorch run needs beyond the tfjs engine's hooks. */
export interface PytorchHooks extends Pick<EngineHooks, 'emit' | 'shouldStop' | 'data' | 'batchEventIntervalMs'> {
  /** Where to find Python. */
  readonly python?: FindPythonOptions;
  /** Writes model/ from the final checkpoint (default: the tfjs network in this process). */
  exportModel?(spec: NinSpec, checkpoint: string, modelDir: string): Promise<void>;
  /**
   * Whether a model built by the reader's code (ModelSource `build: 'code'`) may run: the CLI
   * sets it (its user named the file), the extension from workspace trust
   * (`vscode.workspace.isTrusted`, through PytorchEngineOptions.allowUserCode). Default: no.
   */
  readonly allowUserCode?: boolean;
  /** Sees the child process once it runs (tests kill it mid-epoch). */
  onProcess?(child: ChildProcessWithoutNullStreams): void;
}

const rethrow = (e: unknown): never => {
  throw e;
};

/** Most stderr lines an error message quotes. */
const STDERR_TAIL = 8;

async function defaultExport(spec: NinSpec, checkpoint: string, modelDir: string): Promise<void> {
  // Loaded only here: the tfjs network is needed once, at the end of a run.
  const { exportCheckpointModel } = await import('../checkpointModel.js');
  await exportCheckpointModel(spec, checkpoint, modelDir);
}

/** The start event's fields that the Node side knows (the rest comes from Python). */
function startBase(config: TrainConfig, runId: string, runDir: string, spec: NinSpec) {
  const report = inferShapes(spec);
  if (report.error)
    throw new Error(
      `${config.preset} at ${config.input}x${config.input}: ${report.error.name}: ${report.error.message}`,
    );
  const layers = report.layers.map((l) => ({
    name: l.name,
    kind: l.kind,
    output: [...l.output],
    params: l.params,
    flops: l.flops,
  }));
  return { runId, runDir, config, layers, params: report.params, flops: report.flops };
}

/** Run (or resume) one run on PyTorch; never throws: failures become an `error` event. */
export async function runPytorchTraining(
  asked: TrainConfig,
  resumeRunDir: string | undefined,
  hooks: PytorchHooks,
): Promise<TrainOutcome> {
  const writer: RunWriter = {};
  const emit = (e: TrainEvent): void => {
    appendIfLocked(writer, e);
    hooks.emit(e);
  };
  try {
    const { config, runId, runDir, paths } = await openRunFolder(asked, resumeRunDir, writer);
    const ckDir = paths.checkpoints;
    const resumeFrom = resumeRunDir ? latestCheckpoint(ckDir) : undefined;
    if (resumeRunDir && !resumeFrom) throw new Error(`${ckDir}: no checkpoint to resume from`);
    const completed = resumeFrom ? readCheckpoint(resumeFrom).completedEpochs : 0;
    const exported = modelFolderFormat(paths.model) !== undefined;
    await refuseCompletedRun(runDir, completed, config.epochs, exported);
    const code = isCodeModel(config.model);
    if (code && !hooks.allowUserCode) throw new Error(userCodeRefused(config.model!));
    writeRunConfig(runDir, config);
    const spec = code ? undefined : specOf(config);
    const start = spec ? startBase(config, runId, runDir, spec) : codeStart(config, runId, runDir);
    let found: PythonInfo | undefined;
    const python = async () => (found ??= await findPython(hooks.python).catch(code ? pytorchOnly(config) : rethrow));
    const exportModel = (ck: string, dir: string) => exportRunModel(config, spec, ck, dir, hooks, python);

    if (resumeFrom && completed >= config.epochs) {
      // All epochs trained but killed while exporting: only the export is left.
      const modelFormat = await exportModel(resumeFrom, paths.model);
      const testAcc = readCheckpoint(resumeFrom).lastTestAcc ?? 0;
      emit({ type: 'done', testAcc, runDir, modelDir: paths.model, modelFormat });
      return 'done';
    }
    hooks.emit({ type: 'prepare', message: 'Looking for Python with PyTorch', fraction: -1 });
    await python();
    const device = config.device ?? 'auto';
    checkDevice(found!, device);
    const { paths: dataPaths } = await resolveDatasetFiles({
      ...hooks.data,
      cacheDir: hooks.data?.cacheDir ?? datasetCacheDir(defaultCacheRoot()),
      userDir: config.dataDir || undefined,
      onProgress: (message, fraction) => hooks.emit({ type: 'prepare', message, fraction }),
    });
    hooks.emit({ type: 'prepare', message: `Starting PyTorch ${found!.torch} (${found!.executable})`, fraction: -1 });
    const job = {
      type: 'train',
      config,
      device,
      processes: config.processes ?? 1,
      runDir,
      checkpointDir: ckDir,
      modelDir: paths.model,
      resumeCheckpoint: resumeFrom ?? null,
      dataPaths,
      ...jobNet(config),
      start,
      batchEventIntervalMs: hooks.batchEventIntervalMs ?? 100,
      evalCostRatio: EVAL_COST_RATIO,
      maxSamples: MAX_SAMPLES,
    };
    return await superviseChild(found!, job, { ...hooks, emit }, { runDir, ckDir, exportModel });
  } catch (e) {
    const error: TrainEvent = {
      type: 'error',
      message: e instanceof Error ? e.message : String(e),
      ...(writer.runDir ? { runDir: writer.runDir } : {}),
    };
    (shouldLogError(e) ? emit : hooks.emit)(error);
    return 'error';
  } finally {
    writer.lock?.release();
  }
}

interface RunPlace {
  readonly runDir: string;
  readonly ckDir: string;
  /** Writes model/ from a checkpoint; says in which format. */
  readonly exportModel: (checkpoint: string, modelDir: string) => Promise<ModelFormat>;
}

/** The run's model from a checkpoint: a spec's as TensorFlow.js, a model from code's as userModel.ts decides. */
async function exportRunModel(
  config: TrainConfig,
  spec: NinSpec | undefined,
  checkpoint: string,
  modelDir: string,
  hooks: PytorchHooks,
  python: () => Promise<PythonInfo>,
): Promise<ModelFormat> {
  const tfjs = (s: NinSpec) => (ck: string) => (hooks.exportModel ?? defaultExport)(s, ck, modelDir);
  if (spec) {
    await tfjs(spec)(checkpoint);
    return 'tfjs-layers';
  }
  const m = config.model!;
  const staticSpec = m.layers && { preset: m.name, input: m.input, classes: 10, layers: m.layers };
  return exportUserModel(python, config, checkpoint, modelDir, staticSpec ? tfjs(staticSpec) : async () => undefined);
}

/** Start the child, relay its validated events, and make its end one final event. */
function superviseChild(python: PythonInfo, job: object, hooks: PytorchHooks, place: RunPlace): Promise<TrainOutcome> {
  return new Promise((resolvePromise) => {
    const child = spawn(python.command, ['-u', '-m', 'nin_torch'], {
      env: pythonEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    hooks.onProcess?.(child);
    let outcome: TrainOutcome | undefined;
    let heldDone: Extract<TrainEvent, { type: 'done' }> | undefined;
    let failure: string | undefined;
    let epoch = 0;
    let buf = '';
    const stderr: string[] = [];
    let stopSent = false;
    const stopPoll = setInterval(() => {
      if (!stopSent && hooks.shouldStop()) {
        stopSent = true;
        child.stdin.write('{"type":"stop"}\n');
      }
    }, 50);

    const fail = (message: string): void => {
      if (failure || outcome) return;
      failure = message;
      child.kill('SIGKILL');
    };
    const onLine = (line: string): void => {
      if (failure || outcome || line.trim() === '') return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        return fail(
          `the PyTorch process wrote something that is not an event on its stdout: ${JSON.stringify(line.slice(0, 200))}`,
        );
      }
      const v = validateEvent(raw);
      if (!v.ok) return fail(`the PyTorch process sent an invalid event: ${v.error}`);
      const e = v.value;
      switch (e.type) {
        case 'done':
          heldDone = e; // delivered once the model is exported
          return;
        case 'checkpoint':
          pruneCheckpoints(place.ckDir);
          break;
        case 'batch':
          epoch = e.epoch;
          break;
        case 'stopped':
        case 'error':
          outcome = e.type;
          break;
        case 'start':
        case 'epoch':
        case 'evaluation':
        case 'prepare':
          break;
      }
      hooks.emit(e);
    };
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        onLine(line);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr.push(
        ...d
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim()),
      );
      stderr.splice(0, Math.max(0, stderr.length - STDERR_TAIL));
    });
    child.stdin.on('error', () => undefined); // the child may be gone before it reads
    child.on('error', (e) => fail(`cannot start ${python.command}: ${e.message}`));
    child.on('close', (code, signal) => {
      clearInterval(stopPoll);
      if (buf) onLine(buf);
      void finish(code, signal).then(resolvePromise);
    });
    child.stdin.write(JSON.stringify(job) + '\n');

    const finish = async (code: number | null, signal: NodeJS.Signals | null): Promise<TrainOutcome> => {
      if (outcome) return outcome;
      const kept = latestCheckpoint(place.ckDir);
      const keep = kept
        ? `its last checkpoint (${kept}) is kept: resume the run to continue`
        : 'no checkpoint was written yet';
      if (heldDone && !failure && code === 0) {
        try {
          if (!kept) throw new Error('no final checkpoint to export the model from');
          hooks.emit({ type: 'prepare', message: 'Exporting the model', fraction: -1 });
          const modelFormat = await place.exportModel(kept, heldDone.modelDir);
          hooks.emit({ ...heldDone, modelFormat });
          return 'done';
        } catch (e) {
          hooks.emit({
            type: 'error',
            message: `exporting the model failed: ${(e as Error).message}`,
            runDir: place.runDir,
          });
          return 'error';
        }
      }
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      const where = epoch ? ` in epoch ${epoch}` : '';
      const tail = stderr.length ? `; its last words: ${stderr.slice(-3).join(' | ')}` : '';
      const message = failure
        ? `${failure}; ${keep}`
        : `the PyTorch process ${how}${where} before the run ended; ${keep}${tail}`;
      hooks.emit({ type: 'error', message, runDir: place.runDir });
      return 'error';
    };
  });
}
