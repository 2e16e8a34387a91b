import * as assert from 'node:assert/strict';
import { int, isNum, isStr, object, optional, union, type Checks, type UnionChecks } from '../../src/protocol/checks';
import type { StopCommand, TrainCommand, WorkerCommand } from '../../src/protocol/index';

/** A message kind for the probes: one required and one optional field. */
interface Probe {
  readonly a: number;
  readonly b?: string;
}

describe('protocol checks: the compiler keeps checks and interfaces together', () => {
  // Each @ts-expect-error below is a compile-time test: if Checks<T> stopped rejecting the
  // line, the directive would be unused and `tsc -p .` (npm test's typecheck) would fail.
  it('a Checks<T> must name every field, with a narrowing check of its type, and nothing else', () => {
    // @ts-expect-error field b has no check
    const missing: Checks<Probe> = { a: isNum };
    // @ts-expect-error b is a string, checked as a number
    const wrongType: Checks<Probe> = { a: isNum, b: optional(isNum) };
    // @ts-expect-error a is required: a check that lets undefined through does not fit
    const optionalRequired: Checks<Probe> = { a: optional(isNum), b: optional(isStr) };
    // @ts-expect-error a check must narrow: a plain boolean function says nothing about the type
    const notNarrowing: Checks<Probe> = { a: (v: unknown) => typeof v === 'number' && v > 0, b: optional(isStr) };
    // @ts-expect-error c is not a field of Probe
    const extra: Checks<Probe> = { a: isNum, b: optional(isStr), c: isNum };
    const complete: Checks<Probe> = { a: int(1), b: optional(isStr) };

    const validate = object<Probe>('probe', complete);
    assert.deepEqual(validate({ a: 2, b: 'x' }), { ok: true, value: { a: 2, b: 'x' } });
    assert.ok(validate({ a: 2 }).ok);
    assert.deepEqual(validate({ a: 2, b: 3 }), { ok: false, error: 'probe: bad or missing field "b" (3)' });
    assert.deepEqual(validate({ a: 0 }), { ok: false, error: 'probe: bad or missing field "a" (0)' });
    // The rejected tables exist only for the compiler; at run time they are what they say.
    assert.deepEqual([missing, wrongType, optionalRequired, notNarrowing, extra].map((c) => Object.keys(c).length), [1, 2, 2, 2, 3]);
  });

  it('a UnionChecks<U> must have every variant of U and no other', () => {
    const train: Checks<Omit<TrainCommand, 'type'>> = { config: (v): v is TrainCommand['config'] => typeof v === 'object', resumeRunDir: optional(isStr) };
    const calibrate = { preset: (v: unknown): v is 'compact' => v === 'compact', input: int(1), batchSize: int(1), backend: (v: unknown): v is 'wasm' => v === 'wasm', threads: int() };
    // @ts-expect-error the calibrate variant is missing
    const missing: UnionChecks<WorkerCommand> = { train, stop: {} };
    // @ts-expect-error pause is not a WorkerCommand
    const extra: UnionChecks<WorkerCommand> = { train, stop: {}, calibrate, pause: {} };
    // @ts-expect-error stop has no fields besides its type
    const stopWithField: UnionChecks<StopCommand> = { stop: { now: isNum } };
    const validate = union<WorkerCommand>('command', { train, stop: {}, calibrate });
    assert.deepEqual(validate({ type: 'stop' }), { ok: true, value: { type: 'stop' } });
    assert.deepEqual(validate({ type: 'pause' }), { ok: false, error: 'unknown command type "pause"' });
    assert.deepEqual(validate({ type: 'stop', now: 1 }), { ok: false, error: '"stop" command: unexpected field "now"' });
    assert.deepEqual([missing, extra, stopWithField].map((t) => Object.keys(t).length), [2, 4, 1]);
  });

  it('an unprintable bad value still gives an error, not an exception', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const validate = object<Probe>('probe', { a: isNum, b: optional(isStr) });
    assert.deepEqual(validate({ a: cyclic }), { ok: false, error: 'probe: bad or missing field "a" (object)' });
    assert.deepEqual(validate({ a: 10n }), { ok: false, error: 'probe: bad or missing field "a" (bigint)' });
  });
});
