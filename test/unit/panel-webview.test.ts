// The webview's data side without a browser: the run series, decimation, and the string
// tables (every webview string is sent by the host; every diagram label can be translated).
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASS_NAMES } from '../../src/model/eval/classes';
import type { TrainEvent } from '../../src/protocol/index';
import { lowerBound, minMaxDecimate } from '../../src/webview/panel/decimate';
import { RunSeries, SMOOTHING } from '../../src/webview/panel/series';
import { statusText } from '../../src/webview/panel/statusText';
import { ROOT } from './helpers';

const batch = (epoch: number, b: number, loss: number, bpe = 10): TrainEvent => ({
  type: 'batch',
  epoch,
  batch: b,
  batchesPerEpoch: bpe,
  loss,
  acc: 0.5,
  imagesPerSecond: 100,
  etaSeconds: 5,
});
const start = (startEpoch: number): TrainEvent => ({
  type: 'start',
  runId: 'r',
  runDir: '/r',
  config: {
    preset: 'compact',
    input: 28,
    epochs: 3,
    batchSize: 8,
    lr: 0.1,
    optimizer: 'sgd',
    limitTrain: 80,
    limitTest: 0,
    backend: 'cpu',
    seed: 1,
    threads: 0,
    dataDir: '',
    runsDir: '',
  },
  backend: 'cpu',
  backendReason: 'test',
  layers: [],
  params: 1,
  flops: 1,
  trainSize: 80,
  testSize: 10,
  batchesPerEpoch: 10,
  startEpoch,
});

describe('panel webview: run series', () => {
  it('x is the fractional epoch; smoothing is a debiased EMA', () => {
    const s = new RunSeries();
    s.apply(start(1));
    s.apply(batch(1, 5, 2));
    s.apply(batch(1, 10, 1));
    assert.deepEqual([...s.x.view()], [0.5, 1]);
    assert.equal(s.smooth.at(0), 2, 'the first smoothed point is the first loss (bias corrected)');
    const ema = (SMOOTHING * (1 - SMOOTHING) * 2 + (1 - SMOOTHING) * 1) / (1 - SMOOTHING ** 2);
    assert.ok(Math.abs(s.smooth.at(1) - ema) < 1e-12);
    assert.equal(s.status, 'running');
  });

  it('a resumed run drops the epochs it redoes; a duplicate point is ignored; a new run clears', () => {
    const s = new RunSeries();
    s.apply(start(1));
    for (let e = 1; e <= 2; e++) for (let b = 1; b <= 10; b++) s.apply(batch(e, b, 3 - e));
    s.apply({ type: 'epoch', epoch: 1, trainLoss: 2, trainAcc: 0.5, testAcc: 0.6, seconds: 1, imagesPerSecond: 1 });
    s.apply({ type: 'epoch', epoch: 2, trainLoss: 1, trainAcc: 0.7, testAcc: 0.8, seconds: 1, imagesPerSecond: 1 });
    s.apply({ type: 'stopped', epoch: 2, runDir: '/r' });
    assert.equal(s.status, 'stopped');
    s.apply(start(2));
    assert.equal(s.x.length, 10);
    assert.deepEqual(
      s.epochs.map((e) => e.epoch),
      [1],
    );
    s.apply(batch(2, 1, 1));
    s.apply(batch(2, 1, 1));
    assert.equal(s.x.length, 11);
    s.apply(start(1));
    assert.equal(s.x.length, 0);
    assert.equal(s.epochs.length, 0);
  });

  it('a diverged run reads "diverged", not "failed", and keeps the message naming where', () => {
    const s = new RunSeries();
    s.apply(start(1));
    s.apply(batch(1, 3, 2));
    const message = 'training diverged at epoch 1, batch 4: the loss became NaN; try a lower learning rate';
    s.apply({ type: 'error', message, runDir: '/r', diverged: { epoch: 1, batch: 4 } });
    assert.equal(s.status, 'diverged');
    assert.equal(s.message, message);
    assert.equal(statusText(s.status), 'diverged');
    const crashed = new RunSeries();
    crashed.apply({ type: 'error', message: 'disk full' });
    assert.equal(crashed.status, 'error');
    assert.equal(statusText(crashed.status), 'failed');
  });

  it('grows past its initial capacity without losing points', () => {
    const s = new RunSeries();
    for (let i = 1; i <= 5000; i++) s.apply(batch(1, i, i, 5000));
    assert.equal(s.loss.length, 5000);
    assert.equal(s.loss.at(4999), 5000);
    assert.equal(s.loss.view()[1234], 1235);
  });
});

describe('panel webview: min-max decimation', () => {
  const n = 100_000;
  const xs = Float64Array.from({ length: n }, (_, i) => i / 1000);
  const ys = Float64Array.from(
    { length: n },
    (_, i) => Math.sin(i / 500) + (i === 54_321 ? 50 : 0) - (i === 12_345 ? 40 : 0),
  );

  it('keeps at most two points per bucket, including the spikes', () => {
    const d = minMaxDecimate(xs, [ys, ys], 500);
    assert.ok(d.x.length <= 1002, String(d.x.length));
    assert.ok(d.ys[0].includes(ys[54_321]));
    assert.ok(d.ys[0].includes(ys[12_345]));
    assert.deepEqual(d.ys[0], d.ys[1]);
    for (let i = 1; i < d.x.length; i++) assert.ok(d.x[i] > d.x[i - 1], 'x stays sorted');
    assert.equal(d.x[0], 0);
  });

  it('a zoomed range is decimated alone, with one point beyond each edge', () => {
    const d = minMaxDecimate(xs, [ys], 100, 10, 20);
    assert.ok(d.x[0] < 10 && d.x[0] >= 9.99);
    assert.ok(d.x.at(-1)! >= 20 && d.x.at(-1)! <= 20.01);
    assert.ok(d.x.length <= 204, String(d.x.length));
  });

  it('short series pass through untouched', () => {
    const d = minMaxDecimate([1, 2, 3], [[5, 6, 7]], 10);
    assert.deepEqual(d, { x: [1, 2, 3], ys: [[5, 6, 7]] });
    assert.equal(lowerBound([1, 2, 2, 3], 2), 1);
  });
});

// The string literals `re` captures in `text`, unescaped.
const literalsIn = (text: string, re: RegExp): string[] =>
  [...text.matchAll(re)].map((m) => m[1].replace(/\\'/g, "'").replace(/\\\\/g, '\\'));
const panelDir = join(ROOT, 'src', 'extension', 'panel');
// The English keys listed in strings.ts's WEBVIEW_STRINGS table.
const webviewTable = (): string[] => {
  const table = /export const WEBVIEW_STRINGS = \[([^]*?)\] as const;/.exec(
    readFileSync(join(panelDir, 'strings.ts'), 'utf8'),
  );
  assert.ok(table, 'strings.ts has no WEBVIEW_STRINGS table');
  return literalsIn(table[1], /'((?:\\.|[^'\\])*)'/g);
};

describe('panel strings: the host sends every webview string', () => {
  const literals = (file: string, re: RegExp): string[] => literalsIn(readFileSync(file, 'utf8'), re);
  const webviewDir = join(ROOT, 'src', 'webview', 'panel');
  const used = readdirSync(webviewDir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => literals(join(webviewDir, f), /\bs\(\s*'((?:\\.|[^'\\])*)'/g));
  const sent = webviewTable();
  // webviewStrings() passes each table entry through vscode.l10n.t; the diagram's are literal calls.
  const localized = [
    ...sent,
    ...literals(join(panelDir, 'strings.ts'), /vscode\.l10n\.t\(\s*'((?:\\.|[^'\\])*)',?\s*\)/g),
  ];

  it('every s(...) in the webview is in webviewStrings(), each listed once', () => {
    assert.ok(used.length > 60, `found ${used.length}`);
    assert.ok(sent.length > 80, `found ${sent.length}`);
    for (const k of used) assert.ok(sent.includes(k), `src/extension/panel/strings.ts lacks "${k}"`);
    assert.equal(new Set(sent).size, sent.length, 'a string is listed twice');
  });

  it('every diagram label template is listed for vscode.l10n', () => {
    const labels = literals(join(ROOT, 'src', 'model', 'diagram.ts'), /\bt\(\s*'((?:\\.|[^'\\])*)'/g);
    assert.ok(labels.length >= 15);
    for (const k of labels) assert.ok(localized.includes(k), `diagram label "${k}" missing from strings.ts`);
  });
});

describe('panel strings: Simplified Chinese', () => {
  const zh = JSON.parse(readFileSync(join(ROOT, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
  const keys = [
    ...webviewTable(),
    ...CLASS_NAMES,
    ...readdirSync(panelDir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => literalsIn(readFileSync(join(panelDir, f), 'utf8'), /vscode\.l10n\.t\(\s*'((?:\\.|[^'\\])*)'/g)),
  ];
  const placeholders = (t: string): string[] => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  it('every panel string has a translation with the same placeholders', () => {
    assert.ok(keys.length > 100, String(keys.length));
    for (const k of keys) {
      assert.ok(k in zh, `missing zh-cn for "${k}"`);
      assert.deepEqual(placeholders(zh[k]), placeholders(k), k);
    }
  });

  it("uses the article's terms: 池化, Dropout, 全局平均池化, 1×1卷积, NiN基础块", () => {
    assert.match(zh['Max pooling {k}×{k}, stride {s}'], /池化/);
    assert.match(zh['Dropout {rate}'], /^Dropout/);
    assert.match(zh['Global average pooling'], /全局平均池化/);
    assert.match(zh['1×1 conv, {c} channels + ReLU'], /1×1卷积/);
    assert.match(zh['NiN block {n}'], /NiN基础块/);
    assert.match(zh['NiN (global average pooling)'], /全局平均池化/);
  });
});
