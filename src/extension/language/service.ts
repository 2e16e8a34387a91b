/**
 * Runs the Python shape analyser for editor documents: loads the parser once, reads the
 * input shape (per-file override, else the setting), and caches one analysis per
 * document version so hovers, inlay hints and diagnostics share it.
 */
import * as vscode from 'vscode';
import { analysePython, type Analysis, type AnalyseOptions } from '../../model/pyshape/analyse';
import { AnalysisCache } from '../../model/pyshape/cache';
import { DEFAULT_INPUT, parseShapeText } from '../../model/pyshape/inputShape';
import { loadPythonParser, type PythonParser } from '../../model/pyshape/parser';
import { SETTINGS } from '../runFeed';

const OVERRIDES_KEY = 'nin.inputShapeOverrides';

/** One analysis with the options it was made with. */
export interface DocAnalysis {
  readonly analysis: Analysis;
  readonly options: AnalyseOptions;
  readonly ms: number;
}

/** Analyses Python documents on demand, cached per URI and version. */
export class ShapeService implements vscode.Disposable {
  private parser: Promise<PythonParser> | undefined;
  private readonly cache = new AnalysisCache<DocAnalysis>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when settings or overrides change, so views refresh. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel | undefined,
  ) {}

  private loadParser(): Promise<PythonParser> {
    this.parser ??= loadPythonParser(vscode.Uri.joinPath(this.context.extensionUri, 'out', 'wasm').fsPath).catch(
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

  /** The analysis of a document's current version (cached). */
  async analyse(doc: vscode.TextDocument): Promise<DocAnalysis> {
    const options = this.optionsFor(doc.uri);
    const key = JSON.stringify(options);
    const hit = this.cache.peek(doc.uri.toString(), doc.version, key);
    if (hit) return hit;
    const parser = await this.loadParser();
    return this.cache.get(doc.uri.toString(), doc.version, key, () => {
      const t0 = performance.now();
      const analysis: Analysis = analysePython(parser, doc.getText(), options);
      return { analysis, options, ms: performance.now() - t0 };
    });
  }

  /** The cached analysis if it is for this version, without computing. */
  peek(doc: vscode.TextDocument): DocAnalysis | undefined {
    return this.cache.peek(doc.uri.toString(), doc.version, JSON.stringify(this.optionsFor(doc.uri)));
  }

  /** Forget a closed document. */
  forget(uri: vscode.Uri): void {
    this.cache.clear(uri.toString());
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
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
    this.cache.clear();
  }
}
