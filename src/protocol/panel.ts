/**
 * Training panel <-> host. The webview speaks first: it posts `ready` once its script runs, and
 * the host posts nothing before that (messages posted to a webview that is not listening yet
 * are lost). The host then sends `init` (strings, diagram) and `reset` (the run so far); live
 * events follow in coalesced `events` messages, at most ~20 per second. Both directions are
 * validated on arrival; the webview's messages are bounded in size as well.
 */
import type { DiagramBlock, DiagramLayout } from '../model/diagram';
import {
  arrayOf,
  int,
  isBool,
  isNum,
  isStr,
  oneOf,
  optional,
  partly,
  recordOf,
  shape,
  union,
  valid,
  where,
  type Check,
  type Validated,
} from './checks';
import { validateConfig, type TrainConfig } from './config';
import { validateEpochEvent, validateEvent, type EpochEvent, type TrainEvent } from './events';

/** A run folder as the runs overlay lists it. */
export interface RunSummary {
  /** The run folder (absolute path); also its id in panel messages. */
  readonly runDir: string;
  /** The folder's name (the run id). */
  readonly name: string;
  /** The recipe from the run's config, when readable. */
  readonly config?: TrainConfig;
  /** Completed epochs in the metrics log. */
  readonly epochs: number;
  /** Test accuracy of the last completed epoch (or of `done`), when there is one. */
  readonly finalTestAcc?: number;
  readonly status: 'done' | 'stopped' | 'error' | 'diverged' | 'incomplete';
  /** Last modification of the metrics log, ms since the epoch (for sorting). */
  readonly modified: number;
  /** The network's parameters, from the log's start event (to tell models apart). */
  readonly params?: number;
}

/** One run's per-epoch curves for the overlay. */
export interface RunCurves {
  readonly runDir: string;
  readonly name: string;
  /** The network (a preset's or a model's name) and its parameters, for the legend. */
  readonly network?: string;
  readonly params?: number;
  readonly epochs: readonly EpochEvent[];
}

/** First message to the webview after `ready`: its localized strings and the diagram. */
export interface PanelInitMessage {
  readonly type: 'init';
  /** English text -> localized text, for every string the webview shows. */
  readonly strings: Readonly<Record<string, string>>;
  /** VS Code's display language (for number formatting). */
  readonly locale: string;
  readonly diagram: DiagramLayout;
}

/** Replace the shown run with these events (a reopened panel, a reload, a new run, a picked run). */
export interface PanelResetMessage {
  readonly type: 'reset';
  readonly runDir?: string;
  readonly running: boolean;
  /** `live`: the session's history; `log`: the run's metrics log; `none`: nothing to show yet. */
  readonly source: 'live' | 'log' | 'none';
  readonly events: readonly TrainEvent[];
  /** Lines of the log that were skipped as malformed. */
  readonly skipped: number;
}

/** Live events of the current run, coalesced. */
export interface PanelEventsMessage {
  readonly type: 'events';
  readonly events: readonly TrainEvent[];
}

/** The diagram changed (settings changed, or a run with another recipe started). */
export interface PanelDiagramMessage {
  readonly type: 'diagram';
  readonly diagram: DiagramLayout;
}

/** The runs in the runs folder, newest first. */
export interface PanelRunsMessage {
  readonly type: 'runs';
  readonly runs: readonly RunSummary[];
}

/** Epoch curves of the runs the user picked to overlay. */
export interface PanelOverlayMessage {
  readonly type: 'overlay';
  readonly curves: readonly RunCurves[];
}

/** Scroll the diagram to a block and highlight it (from the architecture side view). */
export interface PanelRevealMessage {
  readonly type: 'reveal';
  /** A DiagramBlock id (nin_block_1, maxpool_2, global_avg_pool, ...). */
  readonly blockId: string;
}

/** Everything the host may post to the training panel. */
export type PanelHostMessage =
  | PanelInitMessage
  | PanelResetMessage
  | PanelEventsMessage
  | PanelDiagramMessage
  | PanelRunsMessage
  | PanelOverlayMessage
  | PanelRevealMessage;

/** The commands the panel's buttons may run (it acts only through the extension's commands). */
export const PANEL_COMMANDS = ['train', 'stop', 'resume', 'showArchitecture', 'openRun'] as const;
/** A command the panel may ask for. */
export type PanelCommandName = (typeof PANEL_COMMANDS)[number];

/** The webview's script is listening; `runDir` is the run it showed before a reload (from getState). */
export interface PanelReadyMessage {
  readonly type: 'ready';
  readonly runDir?: string;
}

/** Run one of the extension's commands (Train, Stop, Resume, ...). */
export interface PanelCommandMessage {
  readonly type: 'command';
  readonly command: PanelCommandName;
}

/** Ask for the list of runs. */
export interface PanelListRunsMessage {
  readonly type: 'listRuns';
}

/** Ask for the epoch curves of these runs (from the list). */
export interface PanelOverlayRequest {
  readonly type: 'requestOverlay';
  readonly runDirs: readonly string[];
}

/** Show this run (from the list) in the panel. */
export interface PanelShowRunMessage {
  readonly type: 'showRun';
  readonly runDir: string;
}

/** Something the webview wants in the extension's log (its own errors). */
export interface PanelLogMessage {
  readonly type: 'log';
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}

/** Everything the training panel may post to the host. */
export type PanelWebviewMessage =
  | PanelReadyMessage
  | PanelCommandMessage
  | PanelListRunsMessage
  | PanelOverlayRequest
  | PanelShowRunMessage
  | PanelLogMessage;

/** Most runs the overlay draws at once (and the most a request may name). */
export const MAX_OVERLAY_RUNS = 8;
const MAX_PANEL_TEXT = 4096;
/** A non-empty string the webview may send (bounded: the page is not trusted with the host's memory). */
const isShortStr = where(isStr, (v) => v.length > 0 && v.length <= MAX_PANEL_TEXT);

const checkWebviewMessage = union<PanelWebviewMessage>('panel message', {
  ready: { runDir: optional(isShortStr) },
  command: { command: oneOf(PANEL_COMMANDS) },
  listRuns: {},
  requestOverlay: { runDirs: arrayOf(isShortStr, 1, MAX_OVERLAY_RUNS) },
  showRun: { runDir: isShortStr },
  log: { level: oneOf(['info', 'warn', 'error'] as const), message: where(isStr, (v) => v.length <= MAX_PANEL_TEXT) },
});

/** Validate a message from the training panel's webview (everything it posts arrives here first). */
export function validatePanelMessage(v: unknown): Validated<PanelWebviewMessage> {
  return checkWebviewMessage(v);
}

const isEvents = arrayOf(valid(validateEvent));
/** The diagram is the host's own layout (src/model/diagram.ts): checked for what drawing it needs. */
const isDiagram = partly<DiagramLayout>({
  blocks: arrayOf(
    partly<DiagramBlock>({
      id: isStr,
      kind: isStr as Check<DiagramBlock['kind']>,
      title: isStr,
      input: isStr,
      output: isStr,
      params: isNum,
      flops: isNum,
      y: isNum,
      height: isNum,
    }),
  ),
  width: isNum,
  height: isNum,
});
const isRunSummary = shape<RunSummary>('run', {
  runDir: isStr,
  name: isStr,
  config: optional(valid(validateConfig)),
  epochs: int(),
  finalTestAcc: optional(isNum),
  status: oneOf(['done', 'stopped', 'error', 'diverged', 'incomplete'] as const),
  modified: isNum,
  params: optional(int()),
});
const isCurves = shape<RunCurves>('curves', {
  runDir: isStr,
  name: isStr,
  network: optional(isStr),
  params: optional(int()),
  epochs: arrayOf(valid(validateEpochEvent)),
});

const checkHostMessage = union<PanelHostMessage>('host message', {
  init: { strings: recordOf(isStr), locale: isStr, diagram: isDiagram },
  reset: {
    runDir: optional(isStr),
    running: isBool,
    source: oneOf(['live', 'log', 'none'] as const),
    events: isEvents,
    skipped: int(),
  },
  events: { events: isEvents },
  diagram: { diagram: isDiagram },
  runs: { runs: arrayOf(isRunSummary) },
  overlay: { curves: arrayOf(isCurves) },
  reveal: { blockId: isStr },
});

/** Validate a message from the host, in the webview (a stale or foreign message must not break the page). */
export function validatePanelHostMessage(v: unknown): Validated<PanelHostMessage> {
  return checkHostMessage(v);
}
