/**
 * Extension host <-> shape analysis worker (src/pyshape/worker.ts): the host sends documents'
 * texts and edits, the worker parses and analyses them off the host's thread and answers each
 * request once. Both directions are validated on arrival. The analysis itself is the analyser's
 * type (src/pyshape/analyse.ts): this module cannot import it (pyshape imports the protocol),
 * so it names the fields it checks and the host's side holds the two types together.
 */
import {
  arrayOf,
  int,
  isBool,
  isNum,
  isRec,
  isStr,
  oneOf,
  optional,
  partly,
  shape,
  union,
  type Check,
  type Validated,
} from './checks';

/** What one analysis is asked for (the analyser's AnalyseOptions, less its test-only limits). */
export interface ShapeOptions {
  readonly input?: readonly number[];
  readonly inputSource?: 'override' | 'setting';
  /** Only the models that show something between these offsets (a hover, the visible lines). */
  readonly focus?: { readonly start: number; readonly end: number };
  readonly maxCallers?: number;
  /** The text is a notebook's joined code cells: its edits are found by comparing texts. */
  readonly notebook?: boolean;
}

/** A 0-based line and UTF-16 column. */
export interface ShapeTextPosition {
  readonly line: number;
  readonly character: number;
}

/** One replaced range of a document, as VS Code reports it. */
export interface ShapeTextChange {
  readonly range: { readonly start: ShapeTextPosition; readonly end: ShapeTextPosition };
  readonly rangeOffset: number;
  readonly rangeLength: number;
  readonly text: string;
}

/** Analyse `text`, the document `doc` at `version`; `sliced` lets other requests run in between. */
export interface AnalyseRequest {
  readonly type: 'analyse';
  readonly id: number;
  readonly doc: string;
  readonly version: number;
  readonly text: string;
  readonly options: ShapeOptions;
  readonly sliced: boolean;
}

/** A document changed: edit its kept tree (the next parse is incremental) and abandon its runs. */
export interface EditRequest {
  readonly type: 'edit';
  readonly doc: string;
  readonly version: number;
  readonly changes: readonly ShapeTextChange[];
}

/** The asker no longer wants request `id` (cancelled): a sliced run stops at its next pause. */
export interface CancelRequest {
  readonly type: 'cancel';
  readonly id: number;
}

/** Forget one document's tree (closed), or every one. */
export interface ForgetRequest {
  readonly type: 'forget';
  readonly doc?: string;
}

/** Are you there? Answered with `pong` as soon as the worker is between two pieces of work. */
export interface PingRequest {
  readonly type: 'ping';
}

/** Everything the host may send the shape worker. */
export type ShapeRequest = AnalyseRequest | EditRequest | CancelRequest | ForgetRequest | PingRequest;

/** The analyser's result as far as the protocol checks it (the worker is this extension's own code). */
export interface AnalysisData {
  readonly models: readonly unknown[];
  readonly events: readonly unknown[];
  readonly diagnostics: readonly unknown[];
  readonly steps: number;
  readonly budgetExceeded: boolean;
  readonly partial?: { readonly models: number };
  readonly trainability?: readonly unknown[];
}

/** The parser is loaded and warmed up. */
export interface ReadyReply {
  readonly type: 'ready';
  readonly warmupMs: number;
}

/** Request `id` is answered. */
export interface AnalysedReply {
  readonly type: 'analysed';
  readonly id: number;
  readonly analysis: AnalysisData;
  /** Milliseconds the worker spent on it (its pauses left out). */
  readonly ms: number;
}

/** Request `id` was dropped: cancelled, or its document changed while it ran. */
export interface AbandonedReply {
  readonly type: 'abandoned';
  readonly id: number;
}

/** Request `id` failed; `rejected` when the input was refused (binary, too large, too slow to parse). */
export interface FailedReply {
  readonly type: 'failed';
  readonly id: number;
  readonly message: string;
  readonly rejected: boolean;
}

/** The answer to a ping. */
export interface PongReply {
  readonly type: 'pong';
}

/**
 * The worker turns to request `id` (sent when it switches): if it then stops answering, the host
 * knows which file it was stuck on.
 */
export interface WorkingReply {
  readonly type: 'working';
  readonly id: number;
}

/** Everything the shape worker may send the host. */
export type ShapeReply = ReadyReply | AnalysedReply | AbandonedReply | FailedReply | PongReply | WorkingReply;

const position = shape<ShapeTextPosition>('position', { line: int(), character: int() });
const CHANGE = shape<ShapeTextChange>('change', {
  range: shape('range', { start: position, end: position }),
  rangeOffset: int(),
  rangeLength: int(),
  text: isStr,
});
const OPTIONS = shape<ShapeOptions>('options', {
  input: optional(arrayOf(int(1), 1, 4)),
  inputSource: optional(oneOf(['override', 'setting'] as const)),
  focus: optional(shape('focus', { start: int(), end: int() })),
  maxCallers: optional(int()),
  notebook: optional(isBool),
});
const objects: Check<readonly unknown[]> = arrayOf(isRec);
const ANALYSIS = partly<AnalysisData>({
  models: objects,
  events: objects,
  diagnostics: objects,
  steps: int(),
  budgetExceeded: isBool,
  partial: optional(shape('partial', { models: int() })),
  trainability: optional(objects),
});

const checkRequest = union<ShapeRequest>('shape request', {
  analyse: { id: int(), doc: isStr, version: int(), text: isStr, options: OPTIONS, sliced: isBool },
  edit: { doc: isStr, version: int(), changes: arrayOf(CHANGE) },
  cancel: { id: int() },
  forget: { doc: optional(isStr) },
  ping: {},
});

const checkReply = union<ShapeReply>('shape reply', {
  ready: { warmupMs: isNum },
  analysed: { id: int(), analysis: ANALYSIS, ms: isNum },
  abandoned: { id: int() },
  failed: { id: int(), message: isStr, rejected: isBool },
  pong: {},
  working: { id: int() },
});

/** Validate a request arriving at the shape worker. */
export function validateShapeRequest(v: unknown): Validated<ShapeRequest> {
  return checkRequest(v);
}

/** Validate a reply arriving from the shape worker. */
export function validateShapeReply(v: unknown): Validated<ShapeReply> {
  return checkReply(v);
}
