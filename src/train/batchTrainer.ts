/**
 * The per-batch step of training, behind a small interface so that the engine loop (epochs,
 * events, checkpoints) does not care how a step runs: in this thread with tfjs
 * (`tfjsTrainer.ts`), or spread over replica threads (data-parallel wasm). Everything that
 * crosses this interface is plain typed arrays, so an implementation may live in other threads.
 *
 * Keep this file stable: other implementations code against it.
 */
import type { BackendName, BackendPreference } from '../backends/backend-names';
import type { OptimizerName } from '../protocol';
import type { NinSpec } from '../model/spec';

/** How to build a trainer. */
export interface TrainerOptions {
  /** The network (its `input` is the size batches arrive at). */
  readonly spec: NinSpec;
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly backend: BackendPreference;
  /** Threads for engines that can use several (0 = all cores); others ignore it. */
  readonly threads: number;
  /** Seed for weight initialisation where the implementation supports it. */
  readonly seed: number;
}

/** One training step's outcome. */
export interface StepResult {
  /** Mean softmax cross-entropy over the batch (before the update). */
  readonly loss: number;
  /** How many of the batch's images the network classified right (before the update). */
  readonly correct: number;
}

/** Inference outcome for `n` images. */
export interface Predictions {
  /** Softmax probabilities, row-major `n x classes`. */
  readonly probabilities: Float32Array;
  /** argmax per image. */
  readonly predicted: Int32Array;
}

/** A named float32 array (a weight or an optimizer slot). */
export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** Everything needed to continue training exactly where it was: weights and optimizer state. */
export interface TrainerState {
  /** Model weights in the model's weight order, named by their layer-relative names. */
  readonly weights: readonly NamedArray[];
  /**
   * Optimizer slots in the optimizer's own order (tfjs `Optimizer.getWeights()`: iterations
   * first, then e.g. Adam's first and second moments per variable). Empty before the first step.
   */
  readonly optimizer: readonly NamedArray[];
}

/**
 * One training engine for one network. Batches arrive ready: NHWC float32 pixels in [0, 1],
 * already resized to `spec.input` (x.length = n * H * W * C), labels as class indices.
 */
export interface BatchTrainer {
  /** The backend that actually runs, and why it was chosen (one line a user can read). */
  readonly backend: BackendName;
  readonly backendReason: string;
  /**
   * Forward + cross-entropy + backward + optimizer update, with dropout active; `seed` fixes this
   * step's random draws (the dropout masks), so that one seed gives one run.
   */
  step(x: Float32Array, labels: Int32Array, n: number, seed: number): Promise<StepResult>;
  /** Inference (dropout off). */
  predict(x: Float32Array, n: number): Promise<Predictions>;
  /** A copy of the weights and the optimizer state (for checkpoints). */
  getState(): Promise<TrainerState>;
  /** Restore a state from `getState` (names and shapes must match; throws naming the first mismatch). */
  setState(state: TrainerState): Promise<void>;
  /** Write the current model to `dir` in the TensorFlow.js layers format (model.json + weights.bin). */
  saveModel(dir: string): Promise<void>;
  /** Live tfjs tensors this trainer's thread holds (for leak checks); stable across steps. */
  liveTensors(): number;
  /** Free the model, optimizer and any threads. */
  dispose(): Promise<void>;
}

/** Builds a trainer; the engine takes one of these so that tests and other engines can plug in. */
export type BatchTrainerFactory = (options: TrainerOptions) => Promise<BatchTrainer>;
