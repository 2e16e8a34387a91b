/**
 * What the extension host (and the CLI) needs from the training engine, whatever runs it:
 * the one long-lived worker in the extension, or the engine in-process in tests.
 * Implemented by the worker client; the session and views code against this alone.
 */
import type { TrainConfig, WorkerEvent } from '../protocol';
import type { PresetName } from '../model/spec';
import type { BackendPreference } from '../backends/backend-names';

/** A request to measure training speed for a few seconds. */
export interface CalibrationRequest {
  readonly preset: PresetName;
  readonly input: number;
  readonly batchSize: number;
  readonly backend: BackendPreference;
  readonly threads: number;
}

/** The training engine as seen from the host. */
export interface TrainingEngine {
  /** Start a run, or resume `resumeRunDir` from its last checkpoint. Throws while another run is active. */
  train(config: TrainConfig, resumeRunDir?: string): void;
  /** Ask the current run to stop after its current batch; a checkpoint is kept. */
  stop(): void;
  /** Measure images/s on the real engine (a few seconds); resolves with the measurement. */
  calibrate(request: CalibrationRequest): Promise<{ imagesPerSecond: number; flops: number; backend: string }>;
  /** Listen to every validated event from the worker; returns an unsubscribe function. */
  onEvent(listener: (event: WorkerEvent) => void): () => void;
  /** True between `train` and its done/stopped/error event. */
  readonly busy: boolean;
  /** Terminate the worker. */
  dispose(): Promise<void>;
}
