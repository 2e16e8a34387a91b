/**
 * The shape analysis worker: one long-lived `worker_threads` Worker that parses and analyses
 * the editor's Python documents, so that no parse (a 1 MB file holds a thread for most of a
 * second) and no analysis runs on the extension host's thread. It keeps each document's syntax
 * tree between versions (edits arrive as they happen, so reparses are incremental), runs
 * whole-file analyses in slices so that a hover's focused request is answered in between, and
 * abandons a run whose document changed or whose asker cancelled. Every request is validated on
 * arrival and answered once. Bundled to out/shape-worker.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { validateShapeRequest, type AnalyseRequest, type ShapeReply, type ShapeRequest } from '../protocol/index';
import { analyseSteps, analyseTree, type Analysis } from './analyse';
import { trainabilities } from './trainability';

/** The analysis with each model's trainability, which needs the models' `mod` that stays here. */
const withTrainability = (a: Analysis, text: string): Analysis => ({ ...a, trainability: trainabilities(a, text) });
import { DocumentTrees } from './documents';
import { loadPythonParser, type SyntaxTree } from './parser';
import { SourceRejected } from './textGuard';
import { warmUp } from './warmup';

/** What the host passes when it creates the worker. */
export interface ShapeWorkerData {
  /** The folder holding tree-sitter's .wasm files (out/wasm). */
  readonly wasmDir: string;
}

/** Longest stretch of a whole-file analysis before other requests get their turn. */
const SLICE_MS = 8;

const port = parentPort;
if (!port) throw new Error('the shape worker must run in a worker_threads Worker');
const { wasmDir } = workerData as ShapeWorkerData;

const post = (r: ShapeReply): void => port.postMessage(r);
const cancelled = new Set<number>();
let announced = -1;

/** Tell the host which request the worker is on, when that changes. */
function workingOn(id: number): void {
  if (announced === id) return;
  announced = id;
  post({ type: 'working', id });
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const trees: Promise<DocumentTrees> = loadPythonParser(wasmDir).then(async (parser) => {
  // Compile the analyser's code paths on a small sample before the first real request, one
  // round per turn so pings are answered in between.
  let ms = 0;
  for (let round = 0; round < 3; round++) {
    ms += warmUp(parser, 1);
    await nextTurn();
  }
  post({ type: 'ready', warmupMs: ms });
  return new DocumentTrees(parser);
});
// A failed load is reported to every request that waits for it.
trees.catch(() => undefined);

async function analyse(r: AnalyseRequest): Promise<void> {
  try {
    const t = await trees;
    if (cancelled.has(r.id)) return post({ type: 'abandoned', id: r.id });
    workingOn(r.id);
    const slice = performance.now();
    const tree = r.options.notebook ? t.treeOfText(r.doc, r.version, r.text) : t.tree(r.doc, r.version, r.text);
    if (!r.sliced) {
      const analysis = withTrainability(analyseTree(tree, r.text, r.options), r.text);
      return post({ type: 'analysed', id: r.id, analysis, ms: performance.now() - slice });
    }
    const result = await runSliced(r, t, tree, slice);
    post(result ? { type: 'analysed', id: r.id, ...result } : { type: 'abandoned', id: r.id });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    post({ type: 'failed', id: r.id, message, rejected: e instanceof SourceRejected });
  } finally {
    cancelled.delete(r.id);
  }
}

/** The whole-file analysis in slices; undefined when cancelled or the document changed meanwhile. */
async function runSliced(
  r: AnalyseRequest,
  t: DocumentTrees,
  tree: SyntaxTree,
  slice: number,
): Promise<{ analysis: Analysis; ms: number } | undefined> {
  const steps = analyseSteps(tree, r.text, r.options);
  let busy = 0;
  for (;;) {
    const step = steps.next();
    const now = performance.now();
    if (step.done) return { analysis: withTrainability(step.value, r.text), ms: busy + now - slice };
    if (now - slice < SLICE_MS) continue;
    busy += now - slice;
    await nextTurn();
    // The tree is read lazily: stop once an edit (or another document's parse) may have changed it.
    if (cancelled.has(r.id) || !t.holds(r.doc, r.version, tree)) return undefined;
    workingOn(r.id);
    slice = performance.now();
  }
}

function handle(r: ShapeRequest): void {
  switch (r.type) {
    case 'analyse':
      void analyse(r);
      return;
    case 'edit':
      void trees.then((t) => t.edit(r.doc, r.version, r.changes)).catch(() => undefined);
      return;
    case 'cancel':
      cancelled.add(r.id);
      return;
    case 'forget':
      void trees.then((t) => t.forget(r.doc)).catch(() => undefined);
      return;
    case 'ping':
      post({ type: 'pong' });
      return;
    default: {
      const never: never = r;
      throw new Error(`unhandled shape request ${JSON.stringify(never)}`);
    }
  }
}

port.on('message', (m: unknown) => {
  const v = validateShapeRequest(m);
  // Only the host talks to this worker: a bad request is a bug there, reported on stderr (its log).
  if (!v.ok) process.stderr.write(`shape worker: ${v.error}\n`);
  else handle(v.value);
});
