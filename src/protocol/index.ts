/**
 * The one protocol between the training worker, the extension host and the webviews:
 * discriminated unions on `type`, each with a validator for what arrives across a
 * boundary (a worker, a webview, a JSON-lines log). No vscode, no tfjs: all three sides import it.
 */
import { BACKEND_PREFERENCES, type BackendName, type BackendPreference } from '../backends/backend-names';
import { PRESET_NAMES, type PresetName } from '../model/spec';

// ---------------------------------------------------------------------------------------------
// Training configuration
// ---------------------------------------------------------------------------------------------

/** Optimizers: the article's plain SGD, and cheaper recipes that learn visibly on small data. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
/** An optimizer name. */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Everything that defines a training run (stored as the run's config.json). */
export interface TrainConfig {
  readonly preset: PresetName;
  /** Square input side the 28x28 images are resized to (224 in the article). */
  readonly input: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly optimizer: OptimizerName;
  /** Use only the first N training / test images (after a seeded shuffle); 0 = all. */
  readonly limitTrain: number;
  readonly limitTest: number;
  readonly backend: BackendPreference;
  readonly seed: number;
  /** Worker threads for the wasm engine; 0 = all cores. */
  readonly threads: number;
  /** A folder holding the four IDX files, or '' to search the default places. */
  readonly dataDir: string;
  /** Where run folders are created. */
  readonly runsDir: string;
  /** Minutes of training between checkpoints inside an epoch (0: only at epoch ends and stops; absent: 5). */
  readonly checkpointMinutes?: number;
}

/** The article's recipe (d2l): SGD, lr 0.1, batch 128, 10 epochs, 224x224. */
export const ARTICLE_RECIPE: Omit<TrainConfig, 'dataDir' | 'runsDir'> = {
  preset: 'seed',
  input: 224,
  epochs: 10,
  batchSize: 128,
  lr: 0.1,
  optimizer: 'sgd',
  limitTrain: 0,
  limitTest: 0,
  backend: 'auto',
  seed: 1,
  threads: 0,
};

// ---------------------------------------------------------------------------------------------
// Worker -> host events (also the CLI's --json lines and the run's metrics.jsonl)
// ---------------------------------------------------------------------------------------------

/** One row of the architecture as the worker built it. */
export interface LayerSummary {
  readonly name: string;
  readonly kind: string;
  readonly output: readonly number[];
  readonly params: number;
  readonly flops: number;
}

/** Training started (or resumed). */
export interface StartEvent {
  readonly type: 'start';
  readonly runId: string;
  readonly runDir: string;
  readonly config: TrainConfig;
  readonly backend: BackendName;
  readonly backendReason: string;
  readonly layers: readonly LayerSummary[];
  readonly params: number;
  readonly flops: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly batchesPerEpoch: number;
  /** 1-based epoch the run starts at (> 1 when resumed). */
  readonly startEpoch: number;
}

/** Progress within an epoch, at a bounded rate. */
export interface BatchEvent {
  readonly type: 'batch';
  readonly epoch: number;
  readonly batch: number;
  readonly batchesPerEpoch: number;
  readonly loss: number;
  /** Running training accuracy within this epoch. */
  readonly acc: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

/** An epoch finished and was evaluated on the test set. */
export interface EpochEvent {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly testAcc: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

/** A checkpoint was written atomically. */
export interface CheckpointEvent {
  readonly type: 'checkpoint';
  readonly epoch: number;
  readonly path: string;
}

/** The run finished all its epochs. */
export interface DoneEvent {
  readonly type: 'done';
  readonly testAcc: number;
  readonly runDir: string;
  readonly modelDir: string;
}

/** The run was stopped by the user; it can resume from its last checkpoint. */
export interface StoppedEvent {
  readonly type: 'stopped';
  readonly epoch: number;
  readonly runDir: string;
  readonly checkpoint?: string;
}

/** Something failed; the message names what. */
export interface ErrorEvent {
  readonly type: 'error';
  readonly message: string;
  readonly runDir?: string;
  /** Set when the run diverged (a loss or weight became NaN or infinite): where it happened. */
  readonly diverged?: { readonly epoch: number; readonly batch: number };
}

/** Long preparation (dataset download/verification) progress. */
export interface PrepareEvent {
  readonly type: 'prepare';
  readonly message: string;
  /** 0..1, or -1 when unknown. */
  readonly fraction: number;
}

/** One test image with the model's answer (for the gallery of what the network learned). */
export interface PredictionSample {
  /** Index into the evaluated test set. */
  readonly index: number;
  readonly label: number;
  readonly predicted: number;
  /** Softmax probability of the predicted class. */
  readonly confidence: number;
  /** The 28x28 grayscale pixels, row-major, base64 of 784 bytes (0-255). */
  readonly pixels: string;
}

/** The test set evaluated after an epoch (emitted after the epoch event; the last one is the run's result). */
export interface EvaluationEvent {
  readonly type: 'evaluation';
  readonly epoch: number;
  readonly testAcc: number;
  /** confusion[true][predicted] counts over the evaluated test set (10x10). */
  readonly confusion: readonly (readonly number[])[];
  /** A bounded sample of test images (mistakes first, then correct ones), at most a few hundred. */
  readonly samples: readonly PredictionSample[];
}

/** Everything the training engine emits. */
export type TrainEvent =
  | EvaluationEvent
  | StartEvent
  | BatchEvent
  | EpochEvent
  | CheckpointEvent
  | DoneEvent
  | StoppedEvent
  | ErrorEvent
  | PrepareEvent;

// ---------------------------------------------------------------------------------------------
// Host -> worker commands
// ---------------------------------------------------------------------------------------------

/** Start a run (or resume `resumeRunDir` from its last checkpoint). */
export interface TrainCommand {
  readonly type: 'train';
  readonly config: TrainConfig;
  readonly resumeRunDir?: string;
}

/** Stop the current run after the current batch, keeping the last checkpoint. */
export interface StopCommand {
  readonly type: 'stop';
}

/** Measure training images/s for a few seconds (for the recipes' time estimates). */
export interface CalibrateCommand {
  readonly type: 'calibrate';
  readonly preset: PresetName;
  readonly input: number;
  readonly batchSize: number;
  readonly backend: BackendPreference;
  readonly threads: number;
}

/** Everything the host may send the worker. */
export type WorkerCommand = TrainCommand | StopCommand | CalibrateCommand;

/** The answer to a calibrate command: measured steady-state training speed. */
export interface CalibrationEvent {
  readonly type: 'calibration';
  readonly preset: PresetName;
  readonly input: number;
  readonly backend: BackendName;
  readonly imagesPerSecond: number;
  /** Forward FLOPs of one image for the measured network, to scale to other recipes. */
  readonly flops: number;
}

/** Everything the worker may send the host: run events and calibration answers. */
export type WorkerEvent = TrainEvent | CalibrationEvent;

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** The outcome of validating an unknown value. */
export type Validated<T> = { ok: true; value: T } | { ok: false; error: string };

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown, min = 0): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const isStr = (v: unknown): v is string => typeof v === 'string';
const oneOf =
  <T extends string>(list: readonly T[]) =>
  (v: unknown): v is T =>
    typeof v === 'string' && (list as readonly string[]).includes(v);

/** Field checks: each returns true when the field is acceptable. */
type Checks = Record<string, (v: unknown) => boolean>;

function check<T>(v: unknown, what: string, checks: Checks): Validated<T> {
  if (!isRec(v)) return { ok: false, error: `${what}: not an object` };
  for (const [key, ok] of Object.entries(checks)) {
    if (!ok(v[key])) return { ok: false, error: `${what}: bad or missing field "${key}" (${JSON.stringify(v[key])})` };
  }
  return { ok: true, value: v as T };
}

const optional =
  (f: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    v === undefined || f(v);

const CONFIG_CHECKS: Checks = {
  preset: oneOf(PRESET_NAMES),
  input: (v) => isInt(v, 1),
  epochs: (v) => isInt(v, 1),
  batchSize: (v) => isInt(v, 1),
  lr: (v) => isNum(v) && v > 0,
  optimizer: oneOf(OPTIMIZERS),
  limitTrain: (v) => isInt(v, 0),
  limitTest: (v) => isInt(v, 0),
  backend: oneOf(BACKEND_PREFERENCES),
  seed: (v) => isInt(v, 0),
  threads: (v) => isInt(v, 0),
  dataDir: isStr,
  runsDir: isStr,
  checkpointMinutes: optional((v) => isNum(v) && v >= 0),
};

/** Validate a training config (from a command, a settings object or a run's config.json). */
export function validateConfig(v: unknown): Validated<TrainConfig> {
  return check<TrainConfig>(v, 'training config', CONFIG_CHECKS);
}

const isConfig = (v: unknown): boolean => validateConfig(v).ok;
const isLayers = (v: unknown): boolean =>
  Array.isArray(v) && v.every((l) => check(l, 'layer', { name: isStr, kind: isStr, output: Array.isArray, params: isNum, flops: isNum }).ok);

const EVENT_CHECKS: { [K in TrainEvent['type']]: Checks } = {
  start: {
    runId: isStr,
    runDir: isStr,
    config: isConfig,
    backend: oneOf(['tensorflow', 'wasm', 'cpu'] as const),
    backendReason: isStr,
    layers: isLayers,
    params: isNum,
    flops: isNum,
    trainSize: (v) => isInt(v),
    testSize: (v) => isInt(v),
    batchesPerEpoch: (v) => isInt(v),
    startEpoch: (v) => isInt(v, 1),
  },
  batch: {
    epoch: (v) => isInt(v, 1),
    batch: (v) => isInt(v),
    batchesPerEpoch: (v) => isInt(v),
    loss: isNum,
    acc: isNum,
    imagesPerSecond: isNum,
    etaSeconds: isNum,
  },
  epoch: { epoch: (v) => isInt(v, 1), trainLoss: isNum, trainAcc: isNum, testAcc: isNum, seconds: isNum, imagesPerSecond: isNum },
  checkpoint: { epoch: (v) => isInt(v, 0), path: isStr },
  done: { testAcc: isNum, runDir: isStr, modelDir: isStr },
  stopped: { epoch: (v) => isInt(v, 0), runDir: isStr, checkpoint: optional(isStr) },
  error: {
    message: isStr,
    runDir: optional(isStr),
    diverged: optional((v) => check(v, 'diverged', { epoch: (n) => isInt(n, 0), batch: (n) => isInt(n, 0) }).ok),
  },
  prepare: { message: isStr, fraction: isNum },
  evaluation: {
    epoch: (v) => isInt(v, 0),
    testAcc: isNum,
    confusion: (v) => Array.isArray(v) && v.length === 10 && v.every((r) => Array.isArray(r) && r.length === 10 && r.every((c) => isInt(c))),
    samples: (v) =>
      Array.isArray(v) &&
      v.every((x) => check(x, 'sample', { index: (i) => isInt(i), label: (i) => isInt(i), predicted: (i) => isInt(i), confidence: isNum, pixels: isStr }).ok),
  },
};

/** Validate an event from the worker (or a line of a metrics log). */
export function validateEvent(v: unknown): Validated<TrainEvent> {
  if (!isRec(v) || !isStr(v.type) || !(v.type in EVENT_CHECKS)) {
    return { ok: false, error: `unknown event type ${JSON.stringify(isRec(v) ? v.type : v)}` };
  }
  return check<TrainEvent>(v, `"${v.type}" event`, EVENT_CHECKS[v.type as TrainEvent['type']]);
}

const COMMAND_CHECKS: { [K in WorkerCommand['type']]: Checks } = {
  train: { config: isConfig, resumeRunDir: optional(isStr) },
  stop: {},
  calibrate: {
    preset: oneOf(PRESET_NAMES),
    input: (v) => isInt(v, 1),
    batchSize: (v) => isInt(v, 1),
    backend: oneOf(BACKEND_PREFERENCES),
    threads: (v) => isInt(v, 0),
  },
};

const CALIBRATION_CHECKS: Checks = {
  preset: oneOf(PRESET_NAMES),
  input: (v) => isInt(v, 1),
  backend: oneOf(['tensorflow', 'wasm', 'cpu'] as const),
  imagesPerSecond: (v) => isNum(v) && v > 0,
  flops: isNum,
};

/** Validate a message from the worker: a run event or a calibration answer. */
export function validateWorkerEvent(v: unknown): Validated<WorkerEvent> {
  if (isRec(v) && v.type === 'calibration') return check<CalibrationEvent>(v, '"calibration" event', CALIBRATION_CHECKS);
  return validateEvent(v);
}

/** Validate a command arriving at the worker. */
export function validateCommand(v: unknown): Validated<WorkerCommand> {
  if (!isRec(v) || !isStr(v.type) || !(v.type in COMMAND_CHECKS)) {
    return { ok: false, error: `unknown command type ${JSON.stringify(isRec(v) ? v.type : v)}` };
  }
  return check<WorkerCommand>(v, `"${v.type}" command`, COMMAND_CHECKS[v.type as WorkerCommand['type']]);
}

// --- Training panel <-> host ---
// The webview speaks first: it posts `ready` once its script runs, and the host posts nothing
// before that (messages posted to a webview that is not listening yet are lost). The host then
// sends `init` (strings, diagram) and `reset` (the run so far); live events follow in
// coalesced `events` messages, at most ~20 per second.

/** The diagram's layout data (src/model/diagram.ts). */
type DiagramLayout = import('../model/diagram').DiagramLayout;

/** A run folder as the runs overlay lists it. */
export interface RunSummary {
  /** The run folder (absolute path); also its id in panel messages. */
  readonly runDir: string;
  /** The folder's name (the run id). */
  readonly name: string;
  /** The recipe from config.json, when readable. */
  readonly config?: TrainConfig;
  /** Completed epochs in the metrics log. */
  readonly epochs: number;
  /** Test accuracy of the last completed epoch (or of `done`), when there is one. */
  readonly finalTestAcc?: number;
  readonly status: 'done' | 'stopped' | 'error' | 'incomplete';
  /** Last modification of the metrics log, ms since the epoch (for sorting). */
  readonly modified: number;
}

/** One run's per-epoch curves for the overlay. */
export interface RunCurves {
  readonly runDir: string;
  readonly name: string;
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
  /** `live`: the session's history; `log`: the run's metrics.jsonl; `none`: nothing to show yet. */
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
const isShortStr = (v: unknown): v is string => isStr(v) && v.length <= MAX_PANEL_TEXT;

const PANEL_WEBVIEW_CHECKS: { [K in PanelWebviewMessage['type']]: Checks } = {
  ready: { runDir: optional((v) => isShortStr(v) && v.length > 0) },
  command: { command: oneOf(PANEL_COMMANDS) },
  listRuns: {},
  requestOverlay: {
    runDirs: (v) => Array.isArray(v) && v.length >= 1 && v.length <= MAX_OVERLAY_RUNS && v.every((d) => isShortStr(d) && d.length > 0),
  },
  showRun: { runDir: (v) => isShortStr(v) && v.length > 0 },
  log: { level: oneOf(['info', 'warn', 'error'] as const), message: isShortStr },
};

/** Validate a message from the training panel's webview (everything it posts arrives here first). */
export function validatePanelMessage(v: unknown): Validated<PanelWebviewMessage> {
  if (!isRec(v) || !isStr(v.type) || !Object.hasOwn(PANEL_WEBVIEW_CHECKS, v.type)) {
    return { ok: false, error: `unknown panel message type ${JSON.stringify(isRec(v) ? v.type : v)?.slice(0, 80)}` };
  }
  const extra = Object.keys(v).filter((k) => k !== 'type' && !(k in PANEL_WEBVIEW_CHECKS[v.type as PanelWebviewMessage['type']]));
  if (extra.length) return { ok: false, error: `"${v.type}" panel message: unexpected field "${extra[0].slice(0, 40)}"` };
  return check<PanelWebviewMessage>(v, `"${v.type}" panel message`, PANEL_WEBVIEW_CHECKS[v.type as PanelWebviewMessage['type']]);
}

const isEvents = (v: unknown): boolean => Array.isArray(v) && v.every((e) => validateEvent(e).ok);
const isDiagram = (v: unknown): boolean =>
  isRec(v) &&
  Array.isArray(v.blocks) &&
  v.blocks.every((b) => check(b, 'block', { id: isStr, kind: isStr, title: isStr, input: isStr, output: isStr, params: isNum, flops: isNum, y: isNum, height: isNum }).ok) &&
  isNum(v.width) &&
  isNum(v.height);
const isRunSummary = (v: unknown): boolean =>
  check(v, 'run', {
    runDir: isStr,
    name: isStr,
    config: optional(isConfig),
    epochs: (x) => isInt(x),
    finalTestAcc: optional(isNum),
    status: oneOf(['done', 'stopped', 'error', 'incomplete'] as const),
    modified: isNum,
  }).ok;
const isCurves = (v: unknown): boolean =>
  check(v, 'curves', { runDir: isStr, name: isStr, epochs: (e) => Array.isArray(e) && e.every((x) => isRec(x) && x.type === 'epoch' && validateEvent(x).ok) }).ok;

const PANEL_HOST_CHECKS: { [K in PanelHostMessage['type']]: Checks } = {
  init: { strings: (v) => isRec(v) && Object.values(v).every(isStr), locale: isStr, diagram: isDiagram },
  reset: { runDir: optional(isStr), running: (v) => typeof v === 'boolean', source: oneOf(['live', 'log', 'none'] as const), events: isEvents, skipped: (v) => isInt(v) },
  events: { events: isEvents },
  diagram: { diagram: isDiagram },
  runs: { runs: (v) => Array.isArray(v) && v.every(isRunSummary) },
  overlay: { curves: (v) => Array.isArray(v) && v.every(isCurves) },
  reveal: { blockId: isStr },
};

/** Validate a message from the host, in the webview (a stale or foreign message must not break the page). */
export function validatePanelHostMessage(v: unknown): Validated<PanelHostMessage> {
  if (!isRec(v) || !isStr(v.type) || !Object.hasOwn(PANEL_HOST_CHECKS, v.type)) {
    return { ok: false, error: `unknown host message type ${JSON.stringify(isRec(v) ? v.type : v)?.slice(0, 80)}` };
  }
  return check<PanelHostMessage>(v, `"${v.type}" host message`, PANEL_HOST_CHECKS[v.type as PanelHostMessage['type']]);
}

// ---------------------------------------------------------------------------------------------
// --- Side view <-> host ---
// The architecture side view (webview view): the host sends the current settings' network,
// already localized; the view asks for it when ready and reports clicks. Both directions are
// validated on arrival.
// ---------------------------------------------------------------------------------------------

/** One row of the side view: a layer with its shapes, or where the shapes break. */
export interface SideViewRow {
  readonly index: number;
  /** Stable layer name (`nin_block_1`, `maxpool_2`, ...), also what nin.revealBlock receives. */
  readonly name: string;
  readonly kind: string;
  /** Localized title, e.g. "NiN block 1" / "NiN块 1". */
  readonly label: string;
  /** Localized structure, e.g. "11×11 conv, stride 4 → 1×1 conv → 1×1 conv". */
  readonly detail: string;
  /** C x H x W in, out; empty when the layer is not reached (after a collapse). */
  readonly input: readonly number[];
  readonly output: readonly number[];
  readonly params: number;
  readonly flops: number;
  /** 'ok', 'error' (shapes break here) or 'unreached' (after the break). */
  readonly status: 'ok' | 'error' | 'unreached';
  /** Localized reason when status is 'error'. */
  readonly error?: string;
}

/** Everything the side view draws. */
export interface SideViewState {
  readonly preset: string;
  readonly input: readonly number[];
  readonly rows: readonly SideViewRow[];
  readonly params: number;
  readonly flops: number;
  /** Localized summary of the collapse, if any. */
  readonly error?: string;
  /** Localized messages about invalid settings (defaults used). */
  readonly issues: readonly string[];
  readonly running: boolean;
  /** Localized UI texts, by key. */
  readonly strings: Readonly<Record<string, string>>;
}

/** Host -> side view. */
export type HostToSideView = { readonly type: 'sideView/state'; readonly state: SideViewState };

/** Side view -> host. */
export type SideViewToHost =
  | { readonly type: 'sideView/ready' }
  | { readonly type: 'sideView/reveal'; readonly index: number; readonly name: string }
  | { readonly type: 'sideView/openSettings'; readonly setting?: string }
  | { readonly type: 'sideView/train' };

const SIDE_VIEW_TO_HOST_CHECKS: { [K in SideViewToHost['type']]: Checks } = {
  'sideView/ready': {},
  'sideView/reveal': { index: (v) => isInt(v), name: (v) => isStr(v) && /^[a-z_]+(_\d+)?$/.test(v) },
  'sideView/openSettings': { setting: optional((v) => isStr(v) && /^nin\.[\w.]+$/.test(v)) },
  'sideView/train': {},
};

/** Validate a message from the side view webview. */
export function validateSideViewMessage(v: unknown): Validated<SideViewToHost> {
  if (!isRec(v) || !isStr(v.type) || !(v.type in SIDE_VIEW_TO_HOST_CHECKS)) {
    return { ok: false, error: `unknown side view message type ${JSON.stringify(isRec(v) ? v.type : v)}` };
  }
  return check<SideViewToHost>(v, `"${v.type}" side view message`, SIDE_VIEW_TO_HOST_CHECKS[v.type as SideViewToHost['type']]);
}

const isNums = (v: unknown): boolean => Array.isArray(v) && v.every((x) => isInt(x));
const isRow = (v: unknown): boolean =>
  check(v, 'row', {
    index: (x) => isInt(x),
    name: isStr,
    kind: isStr,
    label: isStr,
    detail: isStr,
    input: isNums,
    output: isNums,
    params: (x) => isInt(x),
    flops: (x) => isInt(x),
    status: oneOf(['ok', 'error', 'unreached'] as const),
    error: optional(isStr),
  }).ok;

/** Validate a message from the host, in the side view. */
export function validateHostToSideView(v: unknown): Validated<HostToSideView> {
  if (!isRec(v) || v.type !== 'sideView/state') return { ok: false, error: `unknown host message type ${JSON.stringify(isRec(v) ? v.type : v)}` };
  const s = check<SideViewState>(v.state, 'side view state', {
    preset: isStr,
    input: isNums,
    rows: (x) => Array.isArray(x) && x.every(isRow),
    params: (x) => isInt(x),
    flops: (x) => isInt(x),
    error: optional(isStr),
    issues: (x) => Array.isArray(x) && x.every(isStr),
    running: (x) => typeof x === 'boolean',
    strings: (x) => isRec(x) && Object.values(x).every(isStr),
  });
  return s.ok ? { ok: true, value: { type: 'sideView/state', state: s.value } } : s;
}

// ---------------------------------------------------------------------------------------------
// --- Classify view <-> host ---
// "NiN: Classify Image...": the host checks the image and the model files and sends them; the
// webview decodes the image, prepares it like Fashion-MNIST and runs the model (TensorFlow.js
// on the webview's CPU: the extension host never loads it).
// ---------------------------------------------------------------------------------------------

/** Host -> classify view: everything needed to classify one image. */
export interface ClassifyInputMessage {
  readonly type: 'classify/input';
  readonly fileName: string;
  /** The image file as a data: URL (PNG or JPEG). */
  readonly image: string;
  readonly model: {
    readonly modelTopology: unknown;
    readonly weightSpecs: readonly { readonly name: string; readonly shape: readonly number[]; readonly dtype: string }[];
    /** All weight shards concatenated in manifest order, base64. */
    readonly weightData: string;
  };
  /** Model input without the batch dimension (NHWC). */
  readonly inputShape: readonly number[];
  readonly classNames: readonly string[];
  readonly strings: Readonly<Record<string, string>>;
}

/** Classify view -> host. */
export type ClassifyToHost =
  | { readonly type: 'classify/ready' }
  | { readonly type: 'classify/result'; readonly top: readonly { readonly label: number; readonly probability: number }[]; readonly inverted: boolean }
  | { readonly type: 'classify/error'; readonly message: string };

const CLASSIFY_TO_HOST_CHECKS: { [K in ClassifyToHost['type']]: Checks } = {
  'classify/ready': {},
  'classify/result': {
    top: (v) =>
      Array.isArray(v) &&
      v.length <= 10 &&
      v.every((x) => check(x, 'class', { label: (l) => isInt(l) && (l as number) < 10, probability: (p) => isNum(p) && p >= 0 && p <= 1 }).ok),
    inverted: (v) => typeof v === 'boolean',
  },
  'classify/error': { message: (v) => isStr(v) && v.length < 2000 },
};

/** Validate a message from the classify webview. */
export function validateClassifyMessage(v: unknown): Validated<ClassifyToHost> {
  if (!isRec(v) || !isStr(v.type) || !(v.type in CLASSIFY_TO_HOST_CHECKS)) {
    return { ok: false, error: `unknown classify message type ${JSON.stringify(isRec(v) ? v.type : v)}` };
  }
  return check<ClassifyToHost>(v, `"${v.type}" classify message`, CLASSIFY_TO_HOST_CHECKS[v.type as ClassifyToHost['type']]);
}

/** Validate the host's input message, in the classify webview. */
export function validateClassifyInput(v: unknown): Validated<ClassifyInputMessage> {
  return check<ClassifyInputMessage>(v, 'classify input', {
    type: (x) => x === 'classify/input',
    fileName: isStr,
    image: (x) => isStr(x) && /^data:image\/(png|jpeg);base64,/.test(x),
    model: (m) =>
      check(m, 'model', {
        modelTopology: isRec,
        weightSpecs: (w) => Array.isArray(w) && w.every((s) => check(s, 'weight', { name: isStr, shape: isNums, dtype: isStr }).ok),
        weightData: isStr,
      }).ok,
    inputShape: (x) => isNums(x) && (x as number[]).length === 3,
    classNames: (x) => Array.isArray(x) && x.length === 10 && x.every(isStr),
    strings: (x) => isRec(x) && Object.values(x).every(isStr),
  });
}
