/**
 * One TrainingEngine over several: each run and calibration goes to the engine its backend
 * names (`pytorch` to the PyTorch engine, every TensorFlow.js backend to the worker), each
 * created on first use. The session sees one event stream whichever engine trains.
 */
import type { BackendPreference } from '../backends/backend-names';
import type { TrainConfig, WorkerEvent } from '../protocol';
import type { CalibrationRequest, TrainingEngine } from './engineApi';

/** The engines, made when first needed. */
export interface RoutedEngines {
  readonly tfjs: () => TrainingEngine;
  readonly pytorch: () => TrainingEngine;
}

/** Routes by backend; one run at a time across all engines. */
export class RoutingEngine implements TrainingEngine {
  private readonly made: Partial<Record<keyof RoutedEngines, TrainingEngine>> = {};
  private readonly listeners = new Set<(e: WorkerEvent) => void>();
  private active: TrainingEngine | undefined;

  constructor(private readonly engines: RoutedEngines) {}

  private engine(backend: BackendPreference): TrainingEngine {
    const key: keyof RoutedEngines = backend === 'pytorch' ? 'pytorch' : 'tfjs';
    let e = this.made[key];
    if (!e) {
      e = this.made[key] = this.engines[key]();
      e.onEvent((ev) => {
        for (const l of [...this.listeners]) l(ev);
      });
    }
    return e;
  }

  get busy(): boolean {
    return Object.values(this.made).some((e) => e.busy);
  }

  train(config: TrainConfig, resumeRunDir?: string): void {
    if (this.busy) throw new Error('a training run is already in progress');
    const e = this.engine(config.backend);
    e.train(config, resumeRunDir);
    this.active = e;
  }

  stop(): void {
    this.active?.stop();
  }

  calibrate(request: CalibrationRequest): Promise<{ imagesPerSecond: number; flops: number; backend: string }> {
    if (this.busy) return Promise.reject(new Error('cannot calibrate while a run is in progress'));
    return this.engine(request.backend).calibrate(request);
  }

  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    await Promise.all(Object.values(this.made).map((e) => e.dispose()));
    this.listeners.clear();
  }
}
