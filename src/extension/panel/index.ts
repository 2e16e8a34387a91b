/**
 * The training panel (a WebviewPanel): streams the current run from the RunFeed, restores a
 * run from its metrics log (src/runs) when reopened or after a reload (serializer), draws the
 * architecture for the run's recipe or the current settings, and lists runs for the overlay.
 * It acts only through the extension's commands. The host never posts before the webview's
 * `ready`, validates everything the webview sends, and sends at most ~20 messages a second.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { diagramLayout, type DiagramLayout } from '../../model/diagram';
import {
  validatePanelMessage,
  type PanelCommandName,
  type PanelHostMessage,
  type PanelWebviewMessage,
  type TrainConfig,
  type TrainEvent,
} from '../../protocol/index';
import { inferShapes } from '../../model/shapes';
import { isPresetName, presetSpec, staticSpecOf, type NetworkChoice, type PresetName } from '../../model/spec';
import { COMMANDS, SETTINGS, type RunFeed } from '../runFeed';
import { resolveRunsDir } from '../settings';
import { workspaceDir } from '../settingsHost';
import { EventCoalescer } from './coalesce';
import { makeNonce, panelHtml } from './html';
import { listRuns, panelSummary, readCurves, readMetrics, runPaths } from '../../runs';
import { forDisplay, isKnownRunDir, mergeResumed } from './runLog';
import { translateDiagram, webviewStrings } from './strings';

/** The panel's view type (package.json: activation event `onWebviewPanel:nin.trainingPanel`). */
export const PANEL_VIEW_TYPE = 'nin.trainingPanel';

const PANEL_COMMAND_IDS: Record<PanelCommandName, string> = {
  train: COMMANDS.train,
  stop: COMMANDS.stop,
  resume: COMMANDS.resume,
  showArchitecture: COMMANDS.showArchitecture,
  openRun: COMMANDS.openRun,
};

/** What a persisted panel remembers (webview getState, handed back by the serializer). */
interface SavedState {
  runDir?: string;
}

/** Which run the panel shows: the session's live run, or a run folder read from its log. */
type Showing = { kind: 'live' } | { kind: 'log'; runDir: string } | { kind: 'none' };

class PanelController implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private panelSubs: vscode.Disposable[] = [];
  private ready = false;
  private showing: Showing = { kind: 'none' };
  private pendingReveal?: string;
  private restoredRunDir?: string;
  private readonly subs: vscode.Disposable[] = [];
  private readonly coalescer = new EventCoalescer((events) => this.post({ type: 'events', events }));
  private shownRecipe?: string;
  /** A network shown on request (a model from the editor): drawn instead of the run's until a run starts or is picked. */
  private pinned?: NetworkChoice;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly feed: RunFeed,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subs.push(
      feed.onEvent((e) => this.onRunEvent(e)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (
          this.showing.kind === 'none' &&
          (e.affectsConfiguration(`nin.${SETTINGS.preset}`) || e.affectsConfiguration(`nin.${SETTINGS.inputSize}`))
        ) {
          this.post({ type: 'diagram', diagram: this.diagramFor(undefined) });
        }
      }),
    );
  }

  /** Open the panel, or bring it to the front. */
  show(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      vscode.l10n.t('NiN Training'),
      { viewColumn: vscode.ViewColumn.Active, preserveFocus },
      {},
    );
    this.adopt(panel, undefined);
  }

  /** Reveal a diagram block (from the side view): a block id such as `nin_block_2`, or a layer index. */
  reveal(target: unknown): void {
    let id: string | undefined;
    if (typeof target === 'string' && /^[\w-]{1,64}$/.test(target)) id = target;
    else if (typeof target === 'number' && Number.isInteger(target)) id = this.blockIdAt(target);
    else if (typeof target === 'object' && target !== null && typeof (target as { id?: unknown }).id === 'string')
      id = (target as { id: string }).id;
    if (!id) {
      this.log.warn(`nin.revealBlock: ignored argument ${JSON.stringify(target)?.slice(0, 80)}`);
      return;
    }
    this.pendingReveal = id;
    this.show(true);
    this.flushReveal();
  }

  /** Open the panel on the architecture of a network that is no run's (nin.showModel). */
  showNetwork(network: NetworkChoice): void {
    this.pinned = network;
    const layout = this.diagramFor(network);
    this.shownRecipe = undefined;
    this.post({ type: 'diagram', diagram: layout });
    // Revealing its first block brings the architecture tab to the front.
    this.pendingReveal = layout.blocks[0]?.id;
    this.show();
    this.flushReveal();
  }

  private blockIdAt(index: number): string | undefined {
    return this.diagramFor(this.shownConfig()).blocks.find((b) => b.index === index)?.id;
  }

  /** Take over a panel (new, or restored by the serializer after a reload). */
  adopt(panel: vscode.WebviewPanel, state: unknown): void {
    this.disposePanel();
    this.panel = panel;
    this.ready = false;
    const saved = (typeof state === 'object' && state !== null ? state : {}) as SavedState;
    this.restoredRunDir = typeof saved.runDir === 'string' ? saved.runDir : undefined;
    const webviewRoot = vscode.Uri.joinPath(this.context.extensionUri, 'out', 'webview');
    // The toolkit is bundled into out/webview/panel.js, so the webview needs no other root.
    panel.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot] };
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'nin.svg');
    panel.title = vscode.l10n.t('NiN Training');
    this.panelSubs.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState((e) => {
        // A hidden webview loses its page (no retainContextWhenHidden: the page is cheap to
        // rebuild from the run); it says `ready` again when shown, and gets the run again.
        if (!e.webviewPanel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        this.coalescer.clear();
        for (const d of this.panelSubs) d.dispose();
        this.panelSubs = [];
      }),
    );
    this.render();
  }

  private render(): void {
    const panel = this.panel;
    if (!panel) return;
    const root = vscode.Uri.joinPath(this.context.extensionUri, 'out', 'webview');
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'panel.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'panel.css')).toString(),
      lang: vscode.env.language,
      title: vscode.l10n.t('NiN Training'),
      loading: vscode.l10n.t('Loading…'),
    });
  }

  private post(m: PanelHostMessage): void {
    if (!this.panel || !this.ready) return;
    void this.panel.webview.postMessage(m).then(
      (ok) => {
        if (!ok) this.log.trace(`panel: "${m.type}" not delivered (webview hidden)`);
      },
      (e: Error) => this.log.warn(`panel: posting "${m.type}" failed: ${e.message}`),
    );
  }

  private onRunEvent(e: TrainEvent): void {
    if (!this.panel || !this.ready) return;
    // A new (or resumed) run replaces whatever the panel shows. (NiN: Open Run replays a log
    // through the feed: its start event brings the whole history, so the rest of the replay,
    // which arrives while no run is in progress, is not sent again.)
    if (e.type === 'start') {
      this.pinned = undefined;
      this.coalescer.clear();
      void this.showLive(e);
      return;
    }
    if (!this.feed.running) return;
    // The dataset preparation before a new run's start: the user just asked for that run.
    if (e.type === 'prepare' && this.showing.kind !== 'live') {
      this.coalescer.clear();
      void this.showLive(e);
      return;
    }
    if (this.showing.kind === 'live') this.coalescer.push(e);
  }

  private onMessage(raw: unknown): void {
    const v = validatePanelMessage(raw);
    if (!v.ok) {
      this.log.warn(`panel: ignored a message from the webview: ${v.error}`);
      return;
    }
    void this.handle(v.value).catch((e: Error) =>
      this.log.error(`panel: handling "${v.value.type}" failed: ${e.stack ?? e.message}`),
    );
  }

  private async handle(m: PanelWebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.coalescer.clear();
        this.post({
          type: 'init',
          strings: webviewStrings(),
          locale: vscode.env.language,
          diagram: this.diagramFor(undefined),
        });
        await this.restore(m.runDir ?? this.restoredRunDir);
        this.flushReveal();
        return;
      case 'command': {
        const id = PANEL_COMMAND_IDS[m.command];
        try {
          await vscode.commands.executeCommand(id);
        } catch (e) {
          this.log.error(`panel: command ${id} failed: ${(e as Error).message}`);
          void vscode.window.showErrorMessage(vscode.l10n.t('NiN: {0} failed: {1}', id, (e as Error).message));
        }
        return;
      }
      case 'listRuns':
        this.post({ type: 'runs', runs: (await listRuns(this.runsRoots(), this.log)).map(panelSummary) });
        return;
      case 'requestOverlay': {
        const dirs = m.runDirs.filter((d) => this.known(d));
        if (dirs.length < m.runDirs.length)
          this.log.warn(`panel: overlay ignored ${m.runDirs.length - dirs.length} unknown run folder(s)`);
        this.post({ type: 'overlay', curves: await Promise.all(dirs.map((d) => readCurves(d, this.log))) });
        return;
      }
      case 'showRun':
        this.pinned = undefined;
        if (!this.known(m.runDir)) {
          this.log.warn(`panel: showRun ignored, not a run folder the panel knows: ${m.runDir}`);
          return;
        }
        if (
          this.feed.running &&
          this.feed.currentRunDir &&
          path.resolve(m.runDir) === path.resolve(this.feed.currentRunDir)
        )
          await this.showLive();
        else await this.showLog(m.runDir);
        return;
      case 'log':
        this.log[m.level === 'warn' ? 'warn' : m.level](`panel webview: ${m.message}`);
        return;
    }
  }

  /** Pick what to show after `ready`: the running run, else the run the webview showed, else the last run. */
  private async restore(requested: string | undefined): Promise<void> {
    if (this.feed.running && this.feed.history.length) return this.showLive();
    if (requested && this.known(requested) && !(this.feed.history.length && this.sameAsCurrent(requested))) {
      if (await this.showLog(requested)) return;
    }
    if (this.feed.history.length) return this.showLive();
    if (this.feed.currentRunDir && (await this.showLog(this.feed.currentRunDir))) return;
    this.showing = { kind: 'none' };
    this.post({ type: 'reset', running: false, source: 'none', events: [], skipped: 0 });
  }

  private sameAsCurrent(dir: string): boolean {
    return !!this.feed.currentRunDir && path.resolve(dir) === path.resolve(this.feed.currentRunDir);
  }

  /** Show the session's run; `start`: the start event just received (history may not hold it yet). */
  private async showLive(start?: TrainEvent): Promise<void> {
    let events: TrainEvent[] = [...this.feed.history];
    if (start) {
      // The session may fire an event before recording it; a fresh run's history starts at its
      // start (a resumed run's history begins with the epochs before its checkpoint: keep them).
      const at = events.lastIndexOf(start);
      events = at < 0 ? [start] : start.type === 'start' && start.startEpoch > 1 ? events : events.slice(at);
    }
    let skipped = 0;
    const first = events[0];
    if (first?.type === 'start' && first.startEpoch > 1 && this.feed.currentRunDir) {
      const logged = await readMetrics(this.feed.currentRunDir, this.log);
      events = mergeResumed(logged.events, events);
      skipped = logged.badLines;
    }
    this.showing = { kind: 'live' };
    this.coalescer.clear();
    // The run's folder is in its start event (the session may update currentRunDir only after it).
    const runStart = events.findLast((x) => x.type === 'start');
    const runDir = runStart?.type === 'start' ? runStart.runDir : this.feed.currentRunDir;
    this.post({
      type: 'reset',
      runDir,
      running: this.feed.running,
      source: 'live',
      events: forDisplay(events),
      skipped,
    });
    this.postDiagram(this.configOf(events));
  }

  private async showLog(runDir: string): Promise<boolean> {
    const { events, badLines: skipped } = await readMetrics(runDir, this.log);
    if (!events.length && !skipped) return false;
    this.showing = { kind: 'log', runDir };
    this.coalescer.clear();
    this.post({ type: 'reset', runDir, running: false, source: 'log', events: forDisplay(events), skipped });
    this.postDiagram(this.configOf(events));
    if (skipped) this.log.warn(`panel: ${skipped} malformed line(s) skipped in ${runPaths(runDir).metrics}`);
    return true;
  }

  private configOf(events: readonly TrainEvent[]): TrainConfig | undefined {
    const start = events.findLast((e) => e.type === 'start');
    return start?.type === 'start' ? start.config : undefined;
  }

  private shownConfig(): TrainConfig | undefined {
    return this.showing.kind === 'live' ? this.configOf(this.feed.history) : undefined;
  }

  /** Draw the run's recipe (a run whose start is not known yet keeps the current drawing). */
  private postDiagram(config: NetworkChoice | undefined): void {
    if (!config || this.pinned) return;
    // A network built by its code that the analysis cannot build has no diagram yet: keep the drawing.
    if (config.model && !staticSpecOf(config)) return;
    const layout = this.diagramFor(config);
    const key = `${layout.preset}:${layout.input}`;
    if (key === this.shownRecipe) return;
    this.shownRecipe = key;
    this.post({ type: 'diagram', diagram: layout });
  }

  /** The diagram for a run's recipe, or for the current settings (nin.preset, nin.inputSize). */
  private diagramFor(config: NetworkChoice | undefined): DiagramLayout {
    const chosen = config ?? this.pinned;
    const spec = chosen && staticSpecOf(chosen);
    if (spec) return diagramLayout(inferShapes(spec), translateDiagram);
    let preset: PresetName = 'seed';
    let input: number | undefined;
    {
      const c = vscode.workspace.getConfiguration('nin');
      const p = c.get<unknown>(SETTINGS.preset);
      if (isPresetName(p)) preset = p;
      const size = c.get<unknown>(SETTINGS.inputSize);
      if (typeof size === 'number' && Number.isSafeInteger(size) && size > 0 && size <= 4096) input = size;
    }
    const layout = diagramLayout(inferShapes(presetSpec(preset, input)), translateDiagram);
    if (!config) this.shownRecipe = `${layout.preset}:${layout.input}`;
    return layout;
  }

  /** Where run folders live: the runs folder as the session resolves it, global storage, the current run's. */
  private runsRoots(): string[] {
    const configured = vscode.workspace.getConfiguration('nin').get<unknown>(SETTINGS.runsFolder);
    const global = this.context.globalStorageUri.fsPath;
    const roots = [
      resolveRunsDir(typeof configured === 'string' ? configured.trim() : '', workspaceDir(), global),
      path.join(global, 'runs'),
    ];
    if (this.feed.currentRunDir) roots.push(path.dirname(this.feed.currentRunDir));
    return [...new Set(roots.map((r) => path.resolve(r)))];
  }

  private known(runDir: string): boolean {
    return (
      path.isAbsolute(runDir) && isKnownRunDir(runDir, this.runsRoots(), [this.feed.currentRunDir, this.restoredRunDir])
    );
  }

  private flushReveal(): void {
    if (this.pendingReveal === undefined || !this.ready) return;
    this.post({ type: 'reveal', blockId: this.pendingReveal });
    this.pendingReveal = undefined;
  }

  private disposePanel(): void {
    for (const d of this.panelSubs) d.dispose();
    this.panelSubs = [];
    if (this.panel) {
      const p = this.panel;
      this.panel = undefined;
      p.dispose();
    }
  }

  dispose(): void {
    this.coalescer.clear();
    this.disposePanel();
    for (const d of this.subs) d.dispose();
  }
}

/**
 * Register the training panel: the commands nin.showPanel and nin.revealBlock (argument: a
 * block id such as `nin_block_2`, a layer index, or `{ id }`) and the serializer that brings the
 * panel back after a reload. The caller adds the returned disposables to its subscriptions.
 */
export function registerPanel(
  context: vscode.ExtensionContext,
  feed: RunFeed,
  log: vscode.LogOutputChannel,
): vscode.Disposable[] {
  return createPanel(context, feed, log).disposables;
}

/** The registered panel: its disposables, and a way to show a network's architecture in it. */
export interface PanelRegistration {
  readonly disposables: vscode.Disposable[];
  /** Open the panel on this network's diagram (a model read from the editor). */
  readonly showNetwork: (network: NetworkChoice) => void;
}

/** registerPanel, also handing out showNetwork (for nin.showModel). */
export function createPanel(
  context: vscode.ExtensionContext,
  feed: RunFeed,
  log: vscode.LogOutputChannel,
): PanelRegistration {
  const controller = new PanelController(context, feed, log);
  const disposables = [
    controller,
    vscode.commands.registerCommand(COMMANDS.showPanel, () => controller.show()),
    vscode.commands.registerCommand(COMMANDS.revealBlock, (target: unknown) => controller.reveal(target)),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => controller.adopt(panel, state),
    }),
  ];
  return { disposables, showNetwork: (network) => controller.showNetwork(network) };
}
