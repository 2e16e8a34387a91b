/**
 * The PyTorch engine behind the host's TrainingEngine interface: one run at a time in a child
 * Python process (run.ts), calibration in another short one. No vscode: the extension passes
 * how to find Python (its settings and the Python extension's choice) as a function, read
 * at each run so that a changed setting takes effect without a reload.
 */
import { spawn } from 'node:child_process';
import type { TrainConfig, WorkerEvent } from '../../protocol';
import { validateWorkerEvent } from '../../protocol';
import { inferShapes } from '../../model/shapes';
import { presetSpec } from '../../model/spec';
import { jobSpec } from './jobSpec';
import type { DevicePreference } from '../../backends/backend-names';
import type { CalibrationRequest, CalibrationResult, TrainingEngine } from '../engineApi';
import { checkDevice, findPython, pythonEnv, resolvedDevice, type FindPythonOptions } from './python';
import { runPytorchTraining, type PytorchHooks } from './run';

/** What the engine needs from its host. */
export interface PytorchEngineOptions {
  /** Where to find Python; read at every run and calibration. */
  readonly python?: () => FindPythonOptions | Promise<FindPythonOptions>;
  /** The device calibration measures on (runs take theirs from the config). */
  readonly device?: () => DevicePreference;
  /** Dataset cache folder (the extension's global storage). */
  readonly cacheDir?: string;
  /**
   * Whether a run may build its model by running the reader's code (a class with its own
   * forward()); read at each run. The extension passes `() => vscode.workspace.isTrusted`.
   * Absent: never (such a run ends in an error that says why).
   */
  readonly allowUserCode?: () => boolean;
  /** Writes model/ at the end of a run (default: tfjs in this process, loaded only then). */
  readonly exportModel?: PytorchHooks['exportModel'];
}

/** Runs training and calibration on PyTorch in child processes. */
export class PytorchEngine implements TrainingEngine {
  private readonly listeners = new Set<(e: WorkerEvent) => void>();
  private running = false;
  private stopRequested = false;
  private calibrating = false;
  private disposed = false;
  private current: Promise<unknown> | undefined;
  private runToken: object | undefined;

  constructor(private readonly options: PytorchEngineOptions = {}) {}

  get busy(): boolean {
    return this.running;
  }

  private deliver(e: WorkerEvent): void {
    // Not busy once the run's last event is out, as the worker engine (listeners may start the next).
    if (e.type === 'done' || e.type === 'stopped' || e.type === 'error') this.running = false;
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A listener's failure must not stop the others from hearing the run.
      }
    }
  }

  train(config: TrainConfig, resumeRunDir?: string): void {
    if (this.disposed) throw new Error('the training engine was disposed');
    if (this.running) throw new Error('a training run is already in progress');
    if (this.calibrating) throw new Error('a calibration is in progress');
    this.running = true;
    this.stopRequested = false;
    const token = {};
    this.runToken = token;
    this.current = (async () => {
      try {
        const python = await this.options.python?.();
        await runPytorchTraining(config, resumeRunDir, {
          emit: (e) => this.deliver(e),
          shouldStop: () => this.stopRequested,
          data: this.options.cacheDir ? { cacheDir: this.options.cacheDir } : undefined,
          python,
          allowUserCode: this.options.allowUserCode?.() ?? false,
          exportModel: this.options.exportModel,
        });
      } catch (e) {
        this.deliver({ type: 'error', message: (e as Error).message ?? String(e) });
      } finally {
        // A later run may have started once this one's last event was out.
        if (this.runToken === token) this.running = false;
      }
    })();
  }

  stop(): void {
    if (this.running) this.stopRequested = true;
  }

  async calibrate(request: CalibrationRequest): Promise<CalibrationResult> {
    if (this.running) throw new Error('cannot calibrate while a run is in progress');
    if (this.calibrating) throw new Error('a calibration is already in progress');
    this.calibrating = true;
    try {
      const info = await findPython(await this.options.python?.());
      const device = this.options.device?.() ?? 'auto';
      checkDevice(info, device);
      const spec = presetSpec(request.preset, request.input);
      const report = inferShapes(spec);
      if (report.error)
        throw new Error(`${request.preset} at ${request.input}: ${report.error.name}: ${report.error.message}`);
      const job = { type: 'calibrate', ...request, device, ...jobSpec(spec), flops: report.flops };
      const answer = await oneAnswer(info.command, job);
      if (answer.type !== 'calibration')
        throw new Error(answer.type === 'error' ? answer.message : `unexpected "${answer.type}" event`);
      return {
        imagesPerSecond: answer.imagesPerSecond,
        flops: answer.flops,
        backend: answer.backend,
        device: resolvedDevice(info, device),
      };
    } finally {
      this.calibrating = false;
    }
  }

  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop a run in progress (its process checkpoints and exits) and wait for it. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.stop();
    await this.current?.catch(() => undefined);
    this.listeners.clear();
  }
}

/** Run a one-answer job (calibration) and return its validated event. */
function oneAnswer(command: string, job: object): Promise<WorkerEvent> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['-u', '-m', 'nin_torch'], { env: pythonEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new Error(`cannot start ${command}: ${e.message}`)));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.trim());
      let raw: unknown;
      try {
        raw = JSON.parse(line ?? '');
      } catch {
        return reject(
          new Error(
            `the PyTorch process ended (exit code ${code}) without an answer${err ? `: ${err.trim().split('\n').pop()}` : ''}`,
          ),
        );
      }
      const v = validateWorkerEvent(raw);
      if (!v.ok) return reject(new Error(`the PyTorch process sent an invalid answer: ${v.error}`));
      resolve(v.value);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(job) + '\n');
  });
}
