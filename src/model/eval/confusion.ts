/**
 * Confusion-matrix arithmetic for an evaluation: counts, per-class accuracy, row-normalised
 * rates and the most confused pairs. Pure data: the CLI, the worker and the panel share it.
 */

/** confusion[true][predicted] = count. */
export type Confusion = number[][];

/** An empty `classes` x `classes` matrix. */
export function emptyConfusion(classes: number): Confusion {
  return Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
}

/** Add predictions to a matrix in place; labels and predictions must be class indices. */
export function accumulate(m: Confusion, labels: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (labels.length !== predicted.length)
    throw new Error(`${labels.length} labels but ${predicted.length} predictions`);
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predicted[i];
    if (!(t >= 0 && t < m.length && p >= 0 && p < m.length))
      throw new Error(`class index out of range at ${i}: ${t} -> ${p}`);
    m[t][p]++;
  }
}

/** Fraction of correct predictions overall. */
export function accuracy(m: Confusion): number {
  const total = m.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
  return total ? m.reduce((a, row, i) => a + row[i], 0) / total : 0;
}

/** Per-class accuracy (recall): the diagonal over each row's sum; 0 for an empty row. */
export function perClassAccuracy(m: Confusion): number[] {
  return m.map((row, i) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n ? row[i] / n : 0;
  });
}

/** Each row divided by its sum (how each true class was predicted). */
export function rowNormalised(m: Confusion): number[][] {
  return m.map((row) => {
    const n = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (n ? v / n : 0));
  });
}

/** One off-diagonal cell. */
export interface ConfusedPair {
  readonly trueClass: number;
  readonly predicted: number;
  readonly count: number;
  /** count / (images of trueClass) */
  readonly rate: number;
}

/** The `k` largest off-diagonal cells, most frequent first. */
export function mostConfused(m: Confusion, k = 5): ConfusedPair[] {
  const rates = rowNormalised(m);
  const pairs: ConfusedPair[] = [];
  m.forEach((row, t) =>
    row.forEach((count, p) => {
      if (t !== p && count > 0) pairs.push({ trueClass: t, predicted: p, count, rate: rates[t][p] });
    }),
  );
  return pairs.sort((a, b) => b.count - a.count || a.trueClass - b.trueClass).slice(0, k);
}
