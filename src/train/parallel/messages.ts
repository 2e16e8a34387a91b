/**
 * Messages between the training thread and its gradient replicas (worker_threads). Private to
 * data-parallel training; validated on arrival like every message that crosses a thread.
 */
import { isBackendPreference, type BackendPreference } from '../../backends/backend-names';
import type { NinSpec } from '../../model/spec';

/** Sent once, as workerData: what to build. */
export interface ReplicaInit {
  readonly spec: NinSpec;
  readonly backend: BackendPreference;
}

/** Compute the gradients of the mean loss over one slice of a batch at the given weights. */
export interface ReplicaStep {
  readonly type: 'step';
  readonly id: number;
  /** All trainable weights, concatenated in the model's trainable-weight order. */
  readonly weights: Float32Array;
  /** NHWC pixels of this slice. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly n: number;
  /** This slice's dropout seed. */
  readonly seed: number;
}

/** Main thread to replica. */
export type ToReplica = ReplicaStep | { readonly type: 'close' };

/** Replica to main thread. */
export type FromReplica =
  | { readonly type: 'ready'; readonly backend: string; readonly reason: string }
  | { readonly type: 'grads'; readonly id: number; readonly grads: Float32Array; readonly loss: number; readonly correct: number; readonly liveTensors: number }
  | { readonly type: 'error'; readonly message: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Validate a message from a replica; throws with what is wrong. */
export function parseFromReplica(v: unknown): FromReplica {
  if (!isObj(v)) throw new Error('replica message is not an object');
  switch (v.type) {
    case 'ready':
      if (typeof v.backend === 'string' && typeof v.reason === 'string') return v as FromReplica;
      break;
    case 'grads':
      if (isNum(v.id) && v.grads instanceof Float32Array && typeof v.loss === 'number' && isNum(v.correct) && isNum(v.liveTensors)) return v as FromReplica;
      break;
    case 'error':
      if (typeof v.message === 'string') return v as FromReplica;
      break;
  }
  throw new Error(`invalid replica message of type ${String(v.type)}`);
}

/** Validate a message to a replica; throws with what is wrong. */
export function parseToReplica(v: unknown): ToReplica {
  if (!isObj(v)) throw new Error('message is not an object');
  if (v.type === 'close') return { type: 'close' };
  if (
    v.type === 'step' &&
    isNum(v.id) &&
    v.weights instanceof Float32Array &&
    v.x instanceof Float32Array &&
    v.labels instanceof Int32Array &&
    isNum(v.n) &&
    v.n > 0 &&
    v.labels.length === v.n &&
    isNum(v.seed)
  ) {
    return v as unknown as ReplicaStep;
  }
  throw new Error(`invalid message of type ${String(v.type)} for a replica`);
}

/** Validate the replica's workerData. */
export function parseInit(v: unknown): ReplicaInit {
  if (!isObj(v) || !isObj(v.spec) || !Array.isArray((v.spec as { layers?: unknown }).layers) || !isBackendPreference(v.backend)) {
    throw new Error('invalid replica init data');
  }
  return v as unknown as ReplicaInit;
}
