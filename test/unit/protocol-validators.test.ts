import * as assert from 'node:assert/strict';
import {
  validateClassifyInput,
  validateClassifyMessage,
  validateCommand,
  validateConfig,
  validateEvent,
  validateHostToSideView,
  validatePanelHostMessage,
  validatePanelMessage,
  validateSideViewMessage,
  validateWorkerEvent,
  type TrainConfig,
  type Validated,
} from '../../src/protocol/index';
import { parseFromReplica, parseInit, parseToReplica } from '../../src/train/parallel/messages';
import { parseMetrics } from '../../src/runs/read';
import { presetSpec } from '../../src/model/spec';
import { buildSideViewState } from '../../src/extension/sideView/state';
import { englishT } from '../../src/extension/settings';

/** Object.prototype's names: none of them is a message type anywhere. */
const PROTOTYPE_NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__'];

/** A throwing validator as a Validated one. */
const caught =
  <T>(parse: (v: unknown) => T) =>
  (v: unknown): Validated<T> => {
    try {
      return { ok: true, value: parse(v) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  };

const config: TrainConfig = { preset: 'compact', input: 28, epochs: 1, batchSize: 8, lr: 0.01, optimizer: 'adam', limitTrain: 0, limitTest: 0, backend: 'wasm', seed: 1, threads: 1, dataDir: '', runsDir: '/runs' };
const strings = { Train: 'Train' };

interface Case {
  readonly name: string;
  readonly validate: (v: unknown) => Validated<unknown>;
  /** A valid message of this channel (so that a rejection below is about what was changed). */
  readonly good: Record<string, unknown>;
  /** False for the objects without a `type` (a config, the replica's init data). */
  readonly typed: boolean;
  /** False where the message carries typed arrays (they do not survive JSON). */
  readonly json: boolean;
}

const CASES: Case[] = [
  { name: 'validateConfig', validate: validateConfig, good: { ...config }, typed: false, json: true },
  { name: 'validateEvent', validate: validateEvent, good: { type: 'done', testAcc: 0.5, runDir: '/r', modelDir: '/r/model' }, typed: true, json: true },
  { name: 'validateEvent (nested config)', validate: validateEvent, good: { type: 'start', runId: 'r', runDir: '/r', config: { ...config }, backend: 'wasm', backendReason: 'asked', layers: [{ name: 'gap', kind: 'gap', output: [10, 1, 1], params: 0, flops: 0 }], params: 1, flops: 1, trainSize: 8, testSize: 8, batchesPerEpoch: 1, startEpoch: 1 }, typed: true, json: true },
  { name: 'validateWorkerEvent', validate: validateWorkerEvent, good: { type: 'calibration', preset: 'compact', input: 28, backend: 'wasm', imagesPerSecond: 10, flops: 1 }, typed: true, json: true },
  { name: 'validateCommand', validate: validateCommand, good: { type: 'train', config: { ...config } }, typed: true, json: true },
  { name: 'validatePanelMessage', validate: validatePanelMessage, good: { type: 'showRun', runDir: '/r' }, typed: true, json: true },
  { name: 'validatePanelHostMessage', validate: validatePanelHostMessage, good: { type: 'reveal', blockId: 'nin_block_1' }, typed: true, json: true },
  { name: 'validateSideViewMessage', validate: validateSideViewMessage, good: { type: 'reveal', index: 0, name: 'nin_block_1' }, typed: true, json: true },
  { name: 'validateHostToSideView', validate: validateHostToSideView, good: { type: 'state', state: buildSideViewState({ preset: 'compact', input: 28 }, [], false, englishT) }, typed: true, json: true },
  { name: 'validateClassifyMessage', validate: validateClassifyMessage, good: { type: 'result', top: [{ label: 9, probability: 0.9 }], inverted: false }, typed: true, json: true },
  {
    name: 'validateClassifyInput',
    validate: validateClassifyInput,
    good: { type: 'input', fileName: 'a.png', image: 'data:image/png;base64,AAAA', model: { modelTopology: {}, weightSpecs: [{ name: 'w', shape: [1], dtype: 'float32' }], weightData: 'AAAA' }, inputShape: [28, 28, 1], classNames: Array.from({ length: 10 }, (_, i) => `c${i}`), strings },
    typed: true,
    json: true,
  },
  { name: 'parseFromReplica', validate: caught(parseFromReplica), good: { type: 'grads', id: 1, grads: new Float32Array(2), loss: 1, correct: 0, liveTensors: 0 }, typed: true, json: false },
  { name: 'parseToReplica', validate: caught(parseToReplica), good: { type: 'step', id: 1, weights: new Float32Array(2), x: new Float32Array(4), labels: new Int32Array(1), n: 1, seed: 3 }, typed: true, json: false },
  { name: 'parseInit', validate: caught(parseInit), good: { spec: presetSpec('compact', 28), backend: 'wasm' }, typed: false, json: true },
];

/** `good` with an own enumerable `__proto__` key, as JSON.parse and structured cloning create it. */
function withOwnProto(good: Record<string, unknown>): Record<string, unknown> {
  const o = { ...good };
  Object.defineProperty(o, '__proto__', { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
  return o;
}

describe('every protocol validator: prototype names and fields nobody declared', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it('accepts its valid message (the baseline for the rejections below)', () => {
        const v = c.validate(c.good);
        assert.ok(v.ok, JSON.stringify(v));
      });

      if (c.typed) {
        it("rejects Object.prototype's names as the type, from an object and from JSON", () => {
          for (const type of PROTOTYPE_NAMES) {
            for (const m of [{ ...c.good, type }, { type }, JSON.parse(`{"type":${JSON.stringify(type)}}`)]) {
              const v = c.validate(m);
              assert.equal(v.ok, false, `${c.name} accepted type ${type}`);
              assert.match((v as { error: string }).error, /unknown .*type/, `${c.name}, type ${type}`);
            }
          }
        });
      }

      it('rejects an extra field', () => {
        const v = c.validate({ ...c.good, extra: 1 });
        assert.equal(v.ok, false, `${c.name} accepted an extra field`);
        assert.match((v as { error: string }).error, /unexpected field "extra"/);
      });

      it('rejects an own "__proto__" key (JSON.parse and structured cloning make one)', () => {
        const inputs = [withOwnProto(c.good)];
        if (c.json) inputs.push(JSON.parse(JSON.stringify(c.good).replace(/^\{/, '{"__proto__":{"polluted":true},')));
        for (const m of inputs) {
          assert.ok(Object.hasOwn(m, '__proto__'), 'the probe has an own __proto__ key');
          const v = c.validate(m);
          assert.equal(v.ok, false, `${c.name} accepted an own __proto__ key`);
          assert.match((v as { error: string }).error, /unexpected field "__proto__"/);
        }
      });
    });
  }

  it('a nested object is exact too: a config with an extra field in a train command or a start event', () => {
    const bad = { ...config, extra: true };
    assert.match((validateCommand({ type: 'train', config: bad }) as { error: string }).error, /"train" command: bad or missing field "config"/);
    assert.equal(validateEvent({ ...CASES[2].good, config: bad }).ok, false);
  });

  it('the metrics reader counts prototype names and a __proto__ key as bad lines, not events', () => {
    const done = { type: 'done', testAcc: 0.5, runDir: '/r', modelDir: '/r/model' };
    const text = [JSON.stringify(done), '{"type":"constructor"}', '{"type":"__proto__"}', '{"type":"toString","epoch":1}', `{"__proto__":{},${JSON.stringify(done).slice(1)}`].join('\n');
    const read = parseMetrics(text);
    assert.deepEqual(read.events, [done]);
    assert.equal(read.badLines, 4);
  });
});
