// The shape analysis runs in its own worker (out/shape-worker.js), never on the extension
// host's thread: while a 1.4 MB file is parsed and analysed (a parse of most of a second), a
// 10 ms timer on the host keeps firing; 5 MB of random bytes are refused within a second with a
// message naming the file; a runaway analysis is cut by restarting the worker, naming the file;
// a hover's wait ends at its budget or its cancellation, and an answer for an older version is dropped. The vscode stand-in is only the API
// surface the service reads (no editor runs in plain Node); the worker, parser and analyser are real.
import '../fixtures/pyshape/vscode-mock';
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as vscode from 'vscode';
import { ShapeService, type ShapeServiceOptions, type ShapeSource } from '../../src/extension/language/service';
import { fileUri } from '../fixtures/pyshape/vscode-mock';
import { generateLongFile } from '../fixtures/pyshape/generate';
import { ROOT } from './helpers';

const source = (path: string, text: string): ShapeSource & { version: number } => ({
  uri: fileUri(path) as unknown as vscode.Uri,
  version: 1,
  isClosed: false,
  getText: () => text,
});

const makeService = (limits?: ShapeServiceOptions): ShapeService =>
  new ShapeService(
    {
      extensionUri: fileUri(ROOT),
      workspaceState: { get: <T>(_k: string, d: T): T => d, update: async (): Promise<void> => undefined },
    } as unknown as vscode.ExtensionContext,
    undefined,
    limits,
  );

/** A 10 ms timer on this thread: the longest gap between its ticks says how long the thread was held. */
function ticker(): { stop(): { ticks: number; maxGapMs: number } } {
  let last = performance.now();
  let maxGapMs = 0;
  let ticks = 0;
  const t = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 10);
  return {
    stop: () => {
      clearInterval(t);
      return { ticks, maxGapMs: Math.max(maxGapMs, performance.now() - last) };
    },
  };
}

const ARTICLE = readFileSync(join(ROOT, 'test', 'fixtures', 'pyshape', 'article_nin.py'), 'utf8');
// About 1.4 MB: its parse alone holds a thread for 0.3 to 0.7 s here.
const LONG = generateLongFile(38_000);
// About 140 kB: a parse of a few hundred ms, well within its budget.
const MEDIUM = generateLongFile(4_000);

describe('pyshape: the analysis worker keeps the host free', () => {
  let service: ShapeService;
  before(async () => {
    service = makeService();
    assert.ok(await service.analyse(source('/virtual/warm.py', ARTICLE)));
  });
  after(() => service.dispose());

  it('a 1.4 MB file is parsed and analysed while a 10 ms timer on the host keeps ticking', async () => {
    const t0 = performance.now();
    const tick = ticker();
    // On a loaded machine the parse may pass its 1 s budget: refused then, with the reason.
    const whole = await service.analyse(source('/virtual/long.py', LONG)).catch((e: Error) => e);
    const { ticks, maxGapMs } = tick.stop();
    const ms = performance.now() - t0;
    if (whole instanceof Error) assert.match(whole.message, /parsing took more than 1000 ms/);
    else assert.ok(whole && whole.analysis.models.length > 1000, `${whole?.analysis.models.length} models`);
    assert.ok(ms > 300, `the analysis took ${ms.toFixed(0)} ms: too short to show anything`);
    // On the host thread, the parse alone would hold the timer for its whole length.
    assert.ok(
      maxGapMs < 250,
      `the host was held for ${maxGapMs.toFixed(0)} ms (${ticks} ticks in ${ms.toFixed(0)} ms)`,
    );
  });

  it('5 MB of random bytes saved as .py: refused within a second, naming the file and why', async () => {
    const doc = source('/virtual/random.py', randomBytes(5 * 1024 * 1024).toString('latin1'));
    const t0 = performance.now();
    const tick = ticker();
    await assert.rejects(
      service.analyse(doc),
      /\/virtual\/random\.py: \d+ characters, more than the \d+ the analyser reads/,
    );
    const hover = await service.analyseRange(doc, 10, 11);
    const { maxGapMs } = tick.stop();
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `answered in ${ms.toFixed(0)} ms`);
    assert.equal(hover.incomplete, 'failed');
    assert.deepEqual(hover.analysis.events, []);
    assert.ok(maxGapMs < 250, `the host was held for ${maxGapMs.toFixed(0)} ms`);
  });

  it('a hover stops waiting when cancelled, and at its budget; an answer for an older version is dropped', async () => {
    const doc = source('/virtual/hover-long.py', LONG);
    let cancel: () => void = () => undefined;
    const token = {
      isCancellationRequested: false,
      onCancellationRequested: (l: () => void) => {
        cancel = () => ((token.isCancellationRequested = true), l());
        return { dispose: () => undefined };
      },
    };
    const at = LONG.indexOf('(96, 256', LONG.length >> 1) - 3;
    const asked = service.analyseRange(doc, at, at + 1, token as unknown as vscode.CancellationToken);
    setTimeout(() => cancel(), 20);
    const t0 = performance.now();
    const cancelled = await asked;
    assert.equal(cancelled.incomplete, 'cancelled');
    assert.ok(performance.now() - t0 < 200, `the cancelled hover waited ${(performance.now() - t0).toFixed(0)} ms`);

    const hurried = makeService({ requestBudgetMs: 20 });
    const medium = source('/virtual/hover-medium.py', MEDIUM);
    const near = MEDIUM.indexOf('(96, 256', MEDIUM.length >> 1) - 3;
    try {
      const first = await hurried.analyseRange(medium, near, near + 1);
      assert.equal(first.incomplete, 'budget');
      // Once the worker holds the tree, answers come within the budget.
      for (let i = 0; i < 300 && (await hurried.analyseRange(medium, near, near + 1)).incomplete; i++)
        await new Promise((r) => setTimeout(r, 50));
      const later = await hurried.analyseRange(medium, near, near + 1);
      assert.equal(later.incomplete, undefined);
      assert.equal(later.analysis.models.length, 1);
      // A new version drops it: the document changed since.
      medium.version++;
      assert.equal((await hurried.analyseRange(medium, near, near + 1)).incomplete, 'budget');
    } finally {
      hurried.dispose();
    }
  });

  it('a runaway analysis is cut: the worker restarts, the message names the file, the next file is answered', async () => {
    const strict = makeService({ runawayMs: 200 });
    try {
      assert.ok(await strict.analyse(source('/virtual/before.py', ARTICLE)));
      assert.equal(strict.workersStarted, 1);
      // The parse of 1.4 MB holds the worker far longer than 200 ms without a reply to its pings.
      await assert.rejects(
        strict.analyse(source('/virtual/runaway.py', LONG)),
        /the shape analysis of file:\/\/\/virtual\/runaway\.py ran for more than 200 ms and was stopped/,
      );
      const after = await strict.analyse(source('/virtual/after.py', ARTICLE));
      assert.ok(after && after.analysis.models.length > 0);
      assert.equal(strict.workersStarted, 2);
    } finally {
      strict.dispose();
    }
  });
});
