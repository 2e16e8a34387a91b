/**
 * What the training engine emits, worker -> host: the run's events, also the CLI's --json lines
 * and the lines of a run's metrics log (src/runs). These `type` names are persisted: renaming one would
 * make every earlier run's log unreadable.
 */
import { BACKEND_NAMES, type BackendName } from '../backends/backend-names';
import {
  arrayOf,
  int,
  isNum,
  isStr,
  optional,
  shape,
  union,
  valid,
  oneOf,
  type Checks,
  type UnionChecks,
  type Validated,
} from './checks';
import { validateConfig, type TrainConfig } from './config';

/** One row of the architecture as the worker built it. */
export interface LayerSummary {
  readonly name: string;
  readonly kind: string;
  readonly output: readonly number[];
  readonly params: number;
  readonly flops: number;
}

/** Training started (or resumed). */
export interface StartEvent {
  readonly type: 'start';
  readonly runId: string;
  readonly runDir: string;
  readonly config: TrainConfig;
  readonly backend: BackendName;
  readonly backendReason: string;
  readonly layers: readonly LayerSummary[];
  readonly params: number;
  readonly flops: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly batchesPerEpoch: number;
  /** 1-based epoch the run starts at (> 1 when resumed). */
  readonly startEpoch: number;
  /** Where the data came from, in words (absent in logs written before it was reported). */
  readonly dataSource?: string;
}

/** Progress within an epoch, at a bounded rate. */
export interface BatchEvent {
  readonly type: 'batch';
  readonly epoch: number;
  readonly batch: number;
  readonly batchesPerEpoch: number;
  readonly loss: number;
  /** Running training accuracy within this epoch. */
  readonly acc: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

/** An epoch finished and was evaluated on the test set. */
export interface EpochEvent {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly testAcc: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

/** A checkpoint was written atomically. */
export interface CheckpointEvent {
  readonly type: 'checkpoint';
  readonly epoch: number;
  readonly path: string;
}

/** The formats of an exported model: TensorFlow.js layers (model.json), or a PyTorch state dict (model.pt). */
export const MODEL_FORMATS = ['tfjs-layers', 'torch-state-dict'] as const;
/** A model format. */
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** The run finished all its epochs. */
export interface DoneEvent {
  readonly type: 'done';
  readonly testAcc: number;
  readonly runDir: string;
  readonly modelDir: string;
  /** What modelDir holds (absent: `tfjs-layers`, as every run before models from code). */
  readonly modelFormat?: ModelFormat;
}

/** The run was stopped by the user; it can resume from its last checkpoint. */
export interface StoppedEvent {
  readonly type: 'stopped';
  readonly epoch: number;
  readonly runDir: string;
  readonly checkpoint?: string;
}

/** Something failed; the message names what. */
export interface ErrorEvent {
  readonly type: 'error';
  readonly message: string;
  readonly runDir?: string;
  /** Set when the run diverged (a loss or weight became NaN or infinite): where it happened. */
  readonly diverged?: DivergedAt;
}

/** Where a run diverged: the epoch and the batch of it last trained (both 1-based). */
export interface DivergedAt {
  readonly epoch: number;
  readonly batch: number;
}

/** Long preparation (dataset download/verification) progress. */
export interface PrepareEvent {
  readonly type: 'prepare';
  readonly message: string;
  /** 0..1, or -1 when unknown. */
  readonly fraction: number;
}

/** One test image with the model's answer (for the gallery of what the network learned). */
export interface PredictionSample {
  /** Index into the evaluated test set. */
  readonly index: number;
  readonly label: number;
  readonly predicted: number;
  /** Softmax probability of the predicted class. */
  readonly confidence: number;
  /** The 28x28 grayscale pixels, row-major, base64 of 784 bytes (0-255). */
  readonly pixels: string;
}

/** The test set evaluated after an epoch (emitted after the epoch event; the last one is the run's result). */
export interface EvaluationEvent {
  readonly type: 'evaluation';
  readonly epoch: number;
  readonly testAcc: number;
  /** confusion[true][predicted] counts over the evaluated test set (10x10). */
  readonly confusion: readonly (readonly number[])[];
  /** A bounded sample of test images (mistakes first, then correct ones), at most a few hundred. */
  readonly samples: readonly PredictionSample[];
}

/** Everything the training engine emits. */
export type TrainEvent =
  | EvaluationEvent
  | StartEvent
  | BatchEvent
  | EpochEvent
  | CheckpointEvent
  | DoneEvent
  | StoppedEvent
  | ErrorEvent
  | PrepareEvent;

const LAYER_CHECKS: Checks<LayerSummary> = {
  name: isStr,
  kind: isStr,
  output: arrayOf(isNum),
  params: isNum,
  flops: isNum,
};
const SAMPLE_CHECKS: Checks<PredictionSample> = {
  index: int(),
  label: int(),
  predicted: int(),
  confidence: isNum,
  pixels: isStr,
};

/** The checks of every engine event (the worker's channel adds calibration answers to them). */
export const EVENT_CHECKS: UnionChecks<TrainEvent> = {
  start: {
    runId: isStr,
    runDir: isStr,
    config: valid(validateConfig),
    backend: oneOf(BACKEND_NAMES),
    backendReason: isStr,
    layers: arrayOf(shape('layer', LAYER_CHECKS)),
    params: isNum,
    flops: isNum,
    trainSize: int(),
    testSize: int(),
    batchesPerEpoch: int(),
    startEpoch: int(1),
    dataSource: optional(isStr),
  },
  batch: {
    epoch: int(1),
    batch: int(),
    batchesPerEpoch: int(),
    loss: isNum,
    acc: isNum,
    imagesPerSecond: isNum,
    etaSeconds: isNum,
  },
  epoch: { epoch: int(1), trainLoss: isNum, trainAcc: isNum, testAcc: isNum, seconds: isNum, imagesPerSecond: isNum },
  checkpoint: { epoch: int(0), path: isStr },
  done: { testAcc: isNum, runDir: isStr, modelDir: isStr, modelFormat: optional(oneOf(MODEL_FORMATS)) },
  stopped: { epoch: int(0), runDir: isStr, checkpoint: optional(isStr) },
  error: {
    message: isStr,
    runDir: optional(isStr),
    diverged: optional(shape('diverged', { epoch: int(0), batch: int(0) })),
  },
  prepare: { message: isStr, fraction: isNum },
  evaluation: {
    epoch: int(0),
    testAcc: isNum,
    confusion: arrayOf(arrayOf(int(), 10, 10), 10, 10),
    samples: arrayOf(shape('sample', SAMPLE_CHECKS)),
  },
};
const checkEvent = union<TrainEvent>('event', EVENT_CHECKS);

/** Validate an event from the worker (or a line of a metrics log). */
export function validateEvent(v: unknown): Validated<TrainEvent> {
  return checkEvent(v);
}

/** Validate an epoch event (the runs overlay's curves carry only these). */
export function validateEpochEvent(v: unknown): Validated<EpochEvent> {
  const r = checkEvent(v);
  return !r.ok || r.value.type === 'epoch'
    ? (r as Validated<EpochEvent>)
    : { ok: false, error: `"${r.value.type}" event where an epoch event belongs` };
}
