/**
 * Runs the Python shape analyser for editor documents, off the extension host's thread: the
 * parsing and analysing happen in the shape worker (shapeWorker.ts, src/pyshape/worker.ts),
 * which keeps each document's syntax tree so edits reparse incrementally. This side reads the
 * input shape (per-file override, else the setting), caches one whole-file analysis per
 * document version (diagnostics) plus the last focused one (a hover, the visible lines), and
 * drops any answer whose document changed meanwhile. A hover waits for the worker at most a
 * budget and honours cancellation, so no request ever holds the host.
 */
import * as vscode from 'vscode';
import type { Analysis, AnalyseOptions } from '../../pyshape/analyse';
import { AnalysisCache } from '../../pyshape/cache';
import type { TextChange } from '../../pyshape/documents';
import { DEFAULT_INPUT, parseShapeText } from '../../pyshape/inputShape';
import type { AnalysisData } from '../../protocol/index';
import { SETTINGS } from '../runFeed';
import { ShapeWorker, type CancelSignal, type ShapeOutcome } from './shapeWorker';

const OVERRIDES_KEY = 'nin.inputShapeOverrides';
/** Models run for a focused answer beyond those in its range (a helper used by every model). */
const MAX_CALLERS = 8;
/** How long a hover or inlay-hint request waits for the worker before it answers with nothing. */
const REQUEST_BUDGET_MS = 3000;
/** What a request that got no analysis in time answers: nothing to show. */
const NOTHING: Analysis = { models: [], events: [], diagnostics: [], steps: 0, budgetExceeded: false };

// The worker's replies carry the analyser's own type (src/pyshape/worker.ts posts an Analysis
// where the protocol asks for AnalysisData); the protocol checks its outer fields.
const asAnalysis = (a: AnalysisData): Analysis => a as Analysis;

/**
 * What the service analyses: a Python document, or a notebook's code cells joined (see
 * notebook.ts). A TextDocument is one; `version` and `isClosed` must read live.
 */
export interface ShapeSource {
  readonly uri: vscode.Uri;
  readonly version: number;
  readonly isClosed: boolean;
  getText(): string;
  /** Set for a notebook: undefined names are unknown, not notices. */
  readonly notebook?: boolean;
}

/** One analysis with the options it was made with. */
export interface DocAnalysis {
  readonly analysis: Analysis;
  readonly options: AnalyseOptions;
  readonly ms: number;
  /**
   * Set when the request got no analysis (the analysis is then empty): cancelled, over its
   * budget, its document changed meanwhile, or the analysis failed.
   */
  readonly incomplete?: 'cancelled' | 'budget' | 'stale' | 'failed';
}

/** Limits of the service (tests set small ones). */
export interface ShapeServiceOptions {
  /** How long a hover waits for the worker (default 3 s). */
  readonly requestBudgetMs?: number;
  /** Silence after which a busy worker is stuck and restarted (default 10 s). */
  readonly runawayMs?: number;
}

/** Analyses Python documents on demand, cached per URI and version. */
export class ShapeService implements vscode.Disposable {
  private worker: ShapeWorker | undefined;
  private readonly cache = new AnalysisCache<DocAnalysis>();
  private readonly focused = new AnalysisCache<DocAnalysis>();
  private readonly running = new Map<
    string,
    { version: number; key: string; result: Promise<DocAnalysis | undefined> }
  >();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when settings or overrides change, so views refresh. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel | undefined,
    private readonly limits: ShapeServiceOptions = {},
  ) {}

  /** The worker, started on first use. */
  private shapes(): ShapeWorker {
    const out = vscode.Uri.joinPath(this.context.extensionUri, 'out');
    this.worker ??= new ShapeWorker({
      workerPath: vscode.Uri.joinPath(out, 'shape-worker.js').fsPath,
      wasmDir: vscode.Uri.joinPath(out, 'wasm').fsPath,
      runawayMs: this.limits.runawayMs,
      log: (level, message) => (level === 'error' ? this.log?.error(message) : this.log?.trace(message)),
    });
    return this.worker;
  }

  /** Workers started so far (for tests and logs): more than one means one was stuck or crashed. */
  get workersStarted(): number {
    return this.worker?.workersStarted ?? 0;
  }

  /** Ask the worker about the document's current text; the outcome is for `version`. */
  private ask(
    doc: ShapeSource,
    options: AnalyseOptions,
    sliced: boolean,
    cancel?: CancelSignal,
  ): { version: number; outcome: Promise<ShapeOutcome> } {
    const version = doc.version;
    const outcome = this.shapes().analyse(
      { doc: doc.uri.toString(), version, text: doc.getText(), options, sliced },
      cancel,
    );
    return { version, outcome };
  }

  /** The options for a document: its override, else the setting (adapted to the first layer). */
  optionsFor(uri: vscode.Uri): AnalyseOptions {
    const override = this.overrides()[uri.toString()];
    if (override) {
      try {
        return { input: parseShapeText(override), inputSource: 'override' };
      } catch {
        // A stale override falls through to the setting.
      }
    }
    const text = vscode.workspace
      .getConfiguration('nin', uri)
      .get<string>(SETTINGS.hoverInputShape, DEFAULT_INPUT.join(','));
    try {
      return { input: parseShapeText(text), inputSource: 'setting' };
    } catch (e) {
      this.log?.warn(`nin.hover.inputShape: ${(e as Error).message}; using ${DEFAULT_INPUT.join(',')}`);
      return { input: DEFAULT_INPUT, inputSource: 'setting' };
    }
  }

  /**
   * The whole-file analysis of a document's current version (cached): for diagnostics. It runs
   * in the worker in slices, so hovers are answered in between; undefined when the document
   * changed or closed before it finished (a newer request follows). Rejects with the worker's
   * message (naming the file) when the text is refused or the analysis failed.
   */
  async analyse(doc: ShapeSource): Promise<DocAnalysis | undefined> {
    const options = this.sourceOptions(doc);
    const key = JSON.stringify(options);
    const uri = doc.uri.toString();
    const hit = this.cache.peek(uri, doc.version, key);
    if (hit) return hit;
    const running = this.running.get(uri);
    if (running && running.version === doc.version && running.key === key) return running.result;
    const asked = this.ask(doc, options, true);
    const result = asked.outcome.then((o) => {
      if (o.kind === 'failed') throw new Error(o.message);
      // An answer for a version the document has left is dropped.
      if (o.kind === 'abandoned' || doc.isClosed || doc.version !== asked.version) return undefined;
      return { analysis: asAnalysis(o.analysis), options, ms: o.ms };
    });
    this.running.set(uri, { version: doc.version, key, result });
    try {
      const r = await result;
      if (r) this.cache.set(uri, asked.version, key, r);
      return r;
    } finally {
      if (this.running.get(uri)?.result === result) this.running.delete(uri);
    }
  }

  private sourceOptions(doc: ShapeSource): AnalyseOptions {
    const options = this.optionsFor(doc.uri);
    return doc.notebook ? { ...options, notebook: true } : options;
  }

  /**
   * An analysis that covers the models shown between two offsets: the whole-file one when it
   * is current, else one focused on them (a hover after an edit does not wait for the file).
   * Waits for the worker at most the request budget, and not past `token`'s cancellation; then
   * it answers an empty analysis marked `incomplete`, as it does when the text changed meanwhile.
   */
  async analyseRange(
    doc: ShapeSource,
    start: number,
    end: number,
    token?: vscode.CancellationToken,
  ): Promise<DocAnalysis> {
    const options = this.sourceOptions(doc);
    const key = JSON.stringify(options);
    const uri = doc.uri.toString();
    const full = this.cache.peek(uri, doc.version, key);
    if (full) return full;
    const focusKey = `${key}|${start}|${end}`;
    const hit = this.focused.peek(uri, doc.version, focusKey);
    if (hit) return hit;
    const focusOptions: AnalyseOptions = { ...options, focus: { start, end }, maxCallers: MAX_CALLERS };
    const asked = this.ask(doc, focusOptions, false, token);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<'budget'>((resolve) => {
      timer = setTimeout(() => resolve('budget'), this.limits.requestBudgetMs ?? REQUEST_BUDGET_MS);
    });
    const o = await Promise.race([asked.outcome, budget]).finally(() => clearTimeout(timer));
    const nothing = (incomplete: DocAnalysis['incomplete']): DocAnalysis => ({
      analysis: NOTHING,
      options: focusOptions,
      ms: 0,
      incomplete,
    });
    // Over budget: the worker's answer still arrives, and is kept for the next request.
    if (o === 'budget') {
      void asked.outcome.then((late) => this.keepFocused(doc, asked.version, focusKey, focusOptions, late));
      return nothing('budget');
    }
    if (o.kind === 'abandoned') return nothing(token?.isCancellationRequested ? 'cancelled' : 'stale');
    if (o.kind === 'failed') return nothing('failed');
    const r = this.keepFocused(doc, asked.version, focusKey, focusOptions, o);
    if (!r) return nothing('stale');
    // Some models were left out: the whole-file run (in slices) makes the next answer exact.
    if (r.analysis.partial) void this.analyse(doc).catch(() => undefined);
    return r;
  }

  /** Cache a focused answer that is still for the document's current version. */
  private keepFocused(
    doc: ShapeSource,
    version: number,
    key: string,
    options: AnalyseOptions,
    o: ShapeOutcome,
  ): DocAnalysis | undefined {
    if (o.kind !== 'analysed' || doc.isClosed || doc.version !== version) return undefined;
    const r: DocAnalysis = { analysis: asAnalysis(o.analysis), options, ms: o.ms };
    this.focused.set(doc.uri.toString(), version, key, r);
    return r;
  }

  /** A document changed: edit its kept tree so the next parse is incremental. */
  edited(doc: vscode.TextDocument, changes: readonly TextChange[]): void {
    this.worker?.edit(doc.uri.toString(), doc.version, changes);
  }

  /** The cached analysis if it is for this version, without computing. */
  peek(doc: ShapeSource): DocAnalysis | undefined {
    return this.cache.peek(doc.uri.toString(), doc.version, JSON.stringify(this.sourceOptions(doc)));
  }

  /** Forget a closed document. */
  forget(uri: vscode.Uri): void {
    this.cache.clear(uri.toString());
    this.focused.clear(uri.toString());
    this.worker?.forget(uri.toString());
  }

  /** Per-file input shapes set with the command, by URI. */
  overrides(): Record<string, string> {
    return this.context.workspaceState.get<Record<string, string>>(OVERRIDES_KEY, {});
  }

  /** Set (or with undefined, clear) a file's input shape. */
  async setOverride(uri: vscode.Uri, text: string | undefined): Promise<void> {
    const next = { ...this.overrides() };
    if (text === undefined) delete next[uri.toString()];
    else next[uri.toString()] = text;
    await this.context.workspaceState.update(OVERRIDES_KEY, next);
    this.settingsChanged();
  }

  /** Settings changed: every analysis is stale. */
  settingsChanged(): void {
    this.cache.clear();
    this.focused.clear();
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
    this.cache.clear();
    this.focused.clear();
    void this.worker?.dispose();
    this.worker = undefined;
  }
}
