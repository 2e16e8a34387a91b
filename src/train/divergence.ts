/**
 * Divergence as a state of its own: a loss or a weight that is no longer a finite number means
 * the run cannot recover (NaN spreads through every later step), so the engine stops it, keeps
 * the last finite checkpoint and exports nothing. The error names where it happened and what to
 * try, because "test accuracy 0.10" after NaN weights reads like a bad network, not a bad lr.
 */
import type { TrainerState } from './batchTrainer';

/** Where a run diverged: the epoch (1-based) and the batch of it (1-based) last trained. */
export interface DivergedAt {
  readonly epoch: number;
  readonly batch: number;
}

/** Thrown by the training loop when a loss or weight is NaN or infinite. */
export class DivergedError extends Error {
  constructor(
    readonly at: DivergedAt,
    what: string,
  ) {
    super(
      `training diverged at epoch ${at.epoch}, batch ${at.batch}: ${what}; ` +
        'try a lower learning rate (--lr, or the nin.learningRate setting)',
    );
  }
}

/** The first weight holding a NaN or an infinity, with how many of its values are not finite. */
export function firstNonFinite(state: TrainerState): { name: string; count: number; size: number } | undefined {
  for (const w of state.weights) {
    let count = 0;
    const v = w.values;
    // x - x is NaN exactly for NaN and +-Infinity: one subtraction per value, no branches taken.
    for (let i = 0; i < v.length; i++) if (v[i] - v[i] !== 0) count++;
    if (count) return { name: w.name, count, size: v.length };
  }
  return undefined;
}

/** Throw a DivergedError when `state` holds a weight that is not finite. */
export function assertFiniteWeights(state: TrainerState, at: DivergedAt): void {
  const bad = firstNonFinite(state);
  if (bad) throw new DivergedError(at, `${bad.count} of the ${bad.size} values of weight ${bad.name} are not finite`);
}
