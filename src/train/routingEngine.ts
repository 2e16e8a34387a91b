/**
 * One TrainingEngine over several: each run and calibration goes to the engine its backend
 * names (`pytorch` to the PyTorch engine, every TensorFlow.js backend to the worker), each
 * created on first use. With `auto` and a chooser, a run goes to the engine the chooser picks
 * (engineChoice.ts: the faster in this machine's calibration), and its backend line says why.
 * The session sees one event stream whichever engine trains.
 */
import type { BackendPreference } from '../backends/backend-names';
import type { TrainConfig, WorkerEvent } from '../protocol';
import type { CalibrationRequest, CalibrationResult, TrainingEngine } from './engineApi';
import { choiceReason, type EngineChoice, type Measure } from './engineChoice';

/** The engines, made when first needed, and how `auto` chooses between them. */
export interface RoutedEngines {
  readonly tfjs: () => TrainingEngine;
  readonly pytorch: () => TrainingEngine;
  /** Picks the engine of an `auto` run, measuring through `measure` what it lacks; absent: `auto` is TensorFlow.js's. */
  readonly chooseAuto?: (config: TrainConfig, measure: Measure) => Promise<EngineChoice>;
}

type Key = 'tfjs' | 'pytorch';

/** Routes by backend; one run at a time across all engines. */
export class RoutingEngine implements TrainingEngine {
  private readonly made: Partial<Record<Key, TrainingEngine>> = {};
  private readonly listeners = new Set<(e: WorkerEvent) => void>();
  private active: TrainingEngine | undefined;
  /** Set while an `auto` run waits for its engine to be chosen. */
  private choosing: { stop: boolean } | undefined;
  /** The current `auto` run's engine and choice, to explain on its start event. */
  private chose: { key: Key; choice: EngineChoice } | undefined;
  private disposed = false;

  constructor(private readonly engines: RoutedEngines) {}

  private engine(backend: BackendPreference): TrainingEngine {
    const key: Key = backend === 'pytorch' ? 'pytorch' : 'tfjs';
    let e = this.made[key];
    if (!e) {
      e = this.made[key] = this.engines[key]();
      e.onEvent((ev) => this.deliver(key, ev));
    }
    return e;
  }

  private deliver(key: Key, ev: WorkerEvent): void {
    const chose = this.chose?.key === key ? this.chose : undefined;
    if (chose && ev.type === 'start') ev = { ...ev, backendReason: choiceReason(chose.choice, ev.backendReason) };
    if (chose && (ev.type === 'done' || ev.type === 'stopped' || ev.type === 'error')) this.chose = undefined;
    for (const l of [...this.listeners]) l(ev);
  }

  get busy(): boolean {
    return this.choosing !== undefined || Object.values(this.made).some((e) => e.busy);
  }

  train(config: TrainConfig, resumeRunDir?: string): void {
    if (this.busy) throw new Error('a training run is already in progress');
    this.chose = undefined;
    const choose = this.engines.chooseAuto;
    if (config.backend !== 'auto' || !choose) {
      const e = this.engine(config.backend);
      e.train(config, resumeRunDir);
      this.active = e;
      return;
    }
    const choosing = (this.choosing = { stop: false });
    for (const l of [...this.listeners])
      l({ type: 'prepare', message: 'Choosing the faster engine (nin.backend auto)', fraction: -1 });
    const measure: Measure = (r) => this.engine(r.backend).calibrate(r);
    void choose(config, measure)
      .catch((e: unknown): EngineChoice => ({
        backend: 'auto',
        label: 'TensorFlow.js',
        why: `the engines could not be compared (${e instanceof Error ? e.message : String(e)})`,
      }))
      .then((choice) => {
        this.choosing = undefined;
        if (this.disposed) return;
        if (choosing.stop) {
          this.deliver('tfjs', { type: 'error', message: 'stopped before training began (while choosing the engine)' });
          return;
        }
        const key: Key = choice.backend === 'pytorch' ? 'pytorch' : 'tfjs';
        this.chose = { key, choice };
        try {
          const e = this.engine(choice.backend);
          this.active = e;
          e.train({ ...config, backend: choice.backend }, resumeRunDir);
        } catch (e) {
          this.chose = undefined;
          this.deliver(key, { type: 'error', message: e instanceof Error ? e.message : String(e) });
        }
      });
  }

  stop(): void {
    if (this.choosing) this.choosing.stop = true;
    else this.active?.stop();
  }

  calibrate(request: CalibrationRequest): Promise<CalibrationResult> {
    if (this.busy) return Promise.reject(new Error('cannot calibrate while a run is in progress'));
    return this.engine(request.backend).calibrate(request);
  }

  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all(Object.values(this.made).map((e) => e.dispose()));
    this.listeners.clear();
  }
}
