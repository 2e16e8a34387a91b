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

/** What a calibration measured. */
export interface CalibrationResult {
  readonly imagesPerSecond: number;
  /** Forward FLOPs of one image of the measured network. */
  readonly flops: number;
  /** The backend that ran (what `auto` chose among the TensorFlow.js ones; `pytorch`). */
  readonly backend: string;
  /** The PyTorch engine's device (`cpu`, `cuda`, `mps`); absent for TensorFlow.js. */
  readonly device?: string;
}

/** The training engine as seen from the host. */
export interface TrainingEngine {
  /** Start a run, or resume `resumeRunDir` from its last checkpoint. Throws while another run is active. */
  train(config: TrainConfig, resumeRunDir?: string): void;
  /** Ask the current run to stop after its current batch; a checkpoint is kept. */
  stop(): void;
  /** Measure images/s on the real engine (a few seconds); resolves with the measurement. */
  calibrate(request: CalibrationRequest): Promise<CalibrationResult>;
  /** Listen to every validated event from the worker; returns an unsubscribe function. */
  onEvent(listener: (event: WorkerEvent) => void): () => void;
  /** True between `train` and its done/stopped/error event. */
  readonly busy: boolean;
  /** Terminate the worker. */
  dispose(): Promise<void>;
}
