/**
 * Messages between the training thread and its gradient replicas (worker_threads). Private to
 * data-parallel training; validated on arrival like every message that crosses a thread, by
 * the protocol's one mechanism (src/protocol/checks.ts).
 */
import { BACKEND_PREFERENCES, type BackendPreference } from '../../backends/backend-names';
import {
  arrayOf,
  instanceOf,
  int,
  isNum,
  isStr,
  object,
  oneOf,
  orThrow,
  partly,
  union,
  where,
  type Check,
} from '../../protocol/checks';
import type { LayerSpec, NinSpec } from '../../model/spec';

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
  | {
      readonly type: 'grads';
      readonly id: number;
      readonly grads: Float32Array;
      readonly loss: number;
      readonly correct: number;
      readonly liveTensors: number;
    }
  | { readonly type: 'error'; readonly message: string };

/** A layer has a kind; the rest is the trainer's own spec, which the replica builds as the trainer did. */
const isLayer = partly<{ readonly kind: LayerSpec['kind'] }>({
  kind: isStr as Check<LayerSpec['kind']>,
}) as Check<LayerSpec>;
const isSpec = partly<NinSpec>({
  preset: isStr,
  input: where(arrayOf(int(1)), (d) => d.length === 3) as Check<NinSpec['input']>,
  classes: int(1),
  layers: arrayOf(isLayer),
});
const checkInit = object<ReplicaInit>('replica init data', { spec: isSpec, backend: oneOf(BACKEND_PREFERENCES) });
const checkToReplica = union<ToReplica>('message', {
  step: {
    id: int(),
    weights: instanceOf(Float32Array),
    x: instanceOf(Float32Array),
    labels: instanceOf(Int32Array),
    n: int(1),
    seed: isNum,
  },
  close: {},
});
const checkFromReplica = union<FromReplica>('replica message', {
  ready: { backend: isStr, reason: isStr },
  grads: {
    id: int(),
    grads: instanceOf(Float32Array),
    // NaN or Infinity when training diverges: the trainer reports that, so it is not a bad message.
    loss: (v): v is number => typeof v === 'number',
    correct: int(),
    liveTensors: int(),
  },
  error: { message: isStr },
});

/** Validate a message from a replica; throws with what is wrong. */
export function parseFromReplica(v: unknown): FromReplica {
  return orThrow(checkFromReplica(v), 'invalid replica message');
}

/** Validate a message to a replica; throws with what is wrong. */
export function parseToReplica(v: unknown): ToReplica {
  const m = orThrow(checkToReplica(v), 'invalid message for a replica');
  if (m.type === 'step' && m.labels.length !== m.n)
    throw new Error(`invalid message for a replica: "step" has ${m.n} images and ${m.labels.length} labels`);
  return m;
}

/** Validate the replica's workerData (the spec is the trainer's own, built by this process). */
export function parseInit(v: unknown): ReplicaInit {
  return orThrow(checkInit(v), 'invalid replica init data');
}
