/**
 * Host <-> training worker: the commands the host sends, and what the worker answers (the
 * engine's events, and calibration answers). Both directions are validated on arrival.
 */
import { BACKEND_PREFERENCES, type BackendName, type BackendPreference } from '../backends/backend-names';
import { PRESET_NAMES, type PresetName } from '../model/spec';
import { int, isNum, optional, isStr, oneOf, union, valid, where, type UnionChecks, type Validated } from './checks';
import { validateConfig, type TrainConfig } from './config';
import { BACKEND_NAMES, EVENT_CHECKS, type TrainEvent } from './events';

/** Start a run (or resume `resumeRunDir` from its last checkpoint). */
export interface TrainCommand {
  readonly type: 'train';
  readonly config: TrainConfig;
  readonly resumeRunDir?: string;
}

/** Stop the current run after the current batch, keeping the last checkpoint. */
export interface StopCommand {
  readonly type: 'stop';
}

/** Measure training images/s for a few seconds (for the recipes' time estimates). */
export interface CalibrateCommand {
  readonly type: 'calibrate';
  readonly preset: PresetName;
  readonly input: number;
  readonly batchSize: number;
  readonly backend: BackendPreference;
  readonly threads: number;
}

/** Everything the host may send the worker. */
export type WorkerCommand = TrainCommand | StopCommand | CalibrateCommand;

/** The answer to a calibrate command: measured steady-state training speed. */
export interface CalibrationEvent {
  readonly type: 'calibration';
  readonly preset: PresetName;
  readonly input: number;
  readonly backend: BackendName;
  readonly imagesPerSecond: number;
  /** Forward FLOPs of one image for the measured network, to scale to other recipes. */
  readonly flops: number;
}

/** Everything the worker may send the host: run events and calibration answers. */
export type WorkerEvent = TrainEvent | CalibrationEvent;

const checkCommand = union<WorkerCommand>('command', {
  train: { config: valid(validateConfig), resumeRunDir: optional(isStr) },
  stop: {},
  calibrate: {
    preset: oneOf(PRESET_NAMES),
    input: int(1),
    batchSize: int(1),
    backend: oneOf(BACKEND_PREFERENCES),
    threads: int(0),
  },
});

const WORKER_EVENT_CHECKS: UnionChecks<WorkerEvent> = {
  ...EVENT_CHECKS,
  calibration: {
    preset: oneOf(PRESET_NAMES),
    input: int(1),
    backend: oneOf(BACKEND_NAMES),
    imagesPerSecond: where(isNum, (v) => v > 0),
    flops: isNum,
  },
};
const checkWorkerEvent = union<WorkerEvent>('event', WORKER_EVENT_CHECKS);

/** Validate a message from the worker: a run event or a calibration answer. */
export function validateWorkerEvent(v: unknown): Validated<WorkerEvent> {
  return checkWorkerEvent(v);
}

/** Validate a command arriving at the worker. */
export function validateCommand(v: unknown): Validated<WorkerCommand> {
  return checkCommand(v);
}
