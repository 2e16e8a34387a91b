/**
 * Runs the Python shape analyser for editor documents: loads the parser once, reads the
 * input shape (per-file override, else the setting), keeps each document's syntax tree so
 * edits reparse incrementally, and caches one whole-file analysis per document version
 * (diagnostics) plus the last focused one (a hover, the visible lines) so an answer never
 * waits for the whole file.
 */
import * as vscode from 'vscode';
import { analyseSteps, analyseTree, type Analysis, type AnalyseOptions } from '../../pyshape/analyse';
import { AnalysisCache } from '../../pyshape/cache';
import { DocumentTrees, type TextChange } from '../../pyshape/documents';
import { DEFAULT_INPUT, parseShapeText } from '../../pyshape/inputShape';
import { loadPythonParser, type PythonParser, type SyntaxTree } from '../../pyshape/parser';
import { warmUp } from '../../pyshape/warmup';
import { SETTINGS } from '../runFeed';

const OVERRIDES_KEY = 'nin.inputShapeOverrides';
/** Models run for a focused answer beyond those in its range (a helper used by every model). */
const MAX_CALLERS = 8;
/** Longest stretch of a whole-file analysis before it lets other requests run. */
const SLICE_MS = 8;

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
}

/** Analyses Python documents on demand, cached per URI and version. */
export class ShapeService implements vscode.Disposable {
  private parser: Promise<PythonParser> | undefined;
  private trees: DocumentTrees | undefined;
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
  ) {}

  private loadParser(): Promise<PythonParser> {
    this.parser ??= loadPythonParser(vscode.Uri.joinPath(this.context.extensionUri, 'out', 'wasm').fsPath).then(
      async (parser) => {
        this.trees = new DocumentTrees(parser);
        // Compile the analyser's code paths on a small sample before the first real request,
        // one round per turn of the event loop so the host is never held for long.
        let ms = 0;
        for (let round = 0; round < 3; round++) {
          ms += warmUp(parser, 1);
          await new Promise((resolve) => setImmediate(resolve));
        }
        this.log?.trace(`shapes: parser loaded, warmed up in ${ms.toFixed(1)} ms`);
        return parser;
      },
      (e: unknown) => {
        this.parser = undefined;
        throw e;
      },
    );
    return this.parser;
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
   * in slices of a few ms, so hovers are answered in between; undefined when the document
   * changed or closed before it finished (a newer request follows).
   */
  async analyse(doc: ShapeSource): Promise<DocAnalysis | undefined> {
    const options = this.sourceOptions(doc);
    const key = JSON.stringify(options);
    const uri = doc.uri.toString();
    const hit = this.cache.peek(uri, doc.version, key);
    if (hit) return hit;
    const running = this.running.get(uri);
    if (running && running.version === doc.version && running.key === key) return running.result;
    const result = this.loadParser().then(() => this.runSliced(doc, options));
    this.running.set(uri, { version: doc.version, key, result });
    try {
      const r = await result;
      if (r) this.cache.set(uri, doc.version, key, r);
      return r;
    } finally {
      if (this.running.get(uri)?.result === result) this.running.delete(uri);
    }
  }

  private sourceOptions(doc: ShapeSource): AnalyseOptions {
    const options = this.optionsFor(doc.uri);
    return doc.notebook ? { ...options, notebook: true } : options;
  }

  private async runSliced(doc: ShapeSource, options: AnalyseOptions): Promise<DocAnalysis | undefined> {
    const uri = doc.uri.toString();
    const version = doc.version;
    const text = doc.getText();
    let slice = performance.now();
    const tree = this.treeOf(doc, uri, version, text);
    const steps = analyseSteps(tree, text, options);
    let busy = 0;
    for (;;) {
      const r = steps.next();
      const now = performance.now();
      if (r.done) return { analysis: r.value, options, ms: busy + now - slice };
      if (now - slice < SLICE_MS) continue;
      busy += now - slice;
      await new Promise((resolve) => setImmediate(resolve));
      // The tree is read lazily: stop if an edit (or another document) may have changed it.
      if (doc.isClosed || doc.version !== version || !this.trees!.holds(uri, version, tree)) return undefined;
      slice = performance.now();
    }
  }

  /**
   * An analysis that covers the models shown between two offsets: the whole-file one when it
   * is current, else one focused on them (a hover after an edit does not wait for the file).
   */
  async analyseRange(doc: ShapeSource, start: number, end: number): Promise<DocAnalysis> {
    const options = this.sourceOptions(doc);
    const key = JSON.stringify(options);
    const uri = doc.uri.toString();
    const full = this.cache.peek(uri, doc.version, key);
    if (full) return full;
    await this.loadParser();
    const again = this.cache.peek(uri, doc.version, key);
    if (again) return again;
    const focus = { start, end };
    const r = this.focused.get(uri, doc.version, `${key}|${start}|${end}`, () =>
      this.run(doc, { ...options, focus, maxCallers: MAX_CALLERS }),
    );
    // Some models were left out: the whole-file run (in slices) makes the next answer exact.
    if (r.analysis.partial) void this.analyse(doc).catch(() => undefined);
    return r;
  }

  private run(doc: ShapeSource, options: AnalyseOptions): DocAnalysis {
    const t0 = performance.now();
    const text = doc.getText();
    const tree = this.treeOf(doc, doc.uri.toString(), doc.version, text);
    const analysis: Analysis = analyseTree(tree, text, options);
    return { analysis, options, ms: performance.now() - t0 };
  }

  /** A document's tree; a notebook's edits are not reported one by one, so they are found by comparing texts. */
  private treeOf(doc: ShapeSource, key: string, version: number, text: string): SyntaxTree {
    return doc.notebook ? this.trees!.treeOfText(key, version, text) : this.trees!.tree(key, version, text);
  }

  /** A document changed: edit its kept tree so the next parse is incremental. */
  edited(doc: vscode.TextDocument, changes: readonly TextChange[]): void {
    this.trees?.edit(doc.uri.toString(), doc.version, changes);
  }

  /** The cached analysis if it is for this version, without computing. */
  peek(doc: ShapeSource): DocAnalysis | undefined {
    return this.cache.peek(doc.uri.toString(), doc.version, JSON.stringify(this.sourceOptions(doc)));
  }

  /** Forget a closed document. */
  forget(uri: vscode.Uri): void {
    this.cache.clear(uri.toString());
    this.focused.clear(uri.toString());
    this.trees?.forget(uri.toString());
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
    this.trees?.forget();
  }
}
