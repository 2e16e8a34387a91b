import * as assert from 'node:assert/strict';
import {
  accumulate,
  accuracy,
  emptyConfusion,
  mostConfused,
  perClassAccuracy,
  rowNormalised,
} from '../../src/model/eval/confusion';

describe('confusion matrix', () => {
  // 3 classes; labels/predictions chosen by hand: class 0 right 2/3, class 1 right 1/1, class 2 right 0/2.
  const labels = [0, 0, 0, 1, 2, 2];
  const predicted = [0, 0, 1, 1, 1, 0];

  it('counts true x predicted, rows summing to the class counts', () => {
    const m = emptyConfusion(3);
    accumulate(m, labels, predicted);
    assert.deepEqual(m, [
      [2, 1, 0],
      [0, 1, 0],
      [1, 1, 0],
    ]);
    assert.deepEqual(
      m.map((r) => r.reduce((a, b) => a + b)),
      [3, 1, 2],
    );
  });

  it('derives accuracy, per-class accuracy, rates and the most confused pairs', () => {
    const m = emptyConfusion(3);
    accumulate(m, labels, predicted);
    assert.equal(accuracy(m), 3 / 6);
    assert.deepEqual(perClassAccuracy(m), [2 / 3, 1, 0]);
    assert.deepEqual(rowNormalised(m)[2], [0.5, 0.5, 0]);
    const top = mostConfused(m, 2);
    assert.deepEqual(
      top.map((p) => [p.trueClass, p.predicted, p.count]),
      [
        [0, 1, 1],
        [2, 0, 1],
      ],
    );
  });

  it('rejects mismatched lengths and out-of-range classes', () => {
    const m = emptyConfusion(3);
    assert.throws(() => accumulate(m, [0, 1], [0]), /2 labels but 1 predictions/);
    assert.throws(() => accumulate(m, [0, 3], [0, 0]), /out of range at 1/);
  });
});
