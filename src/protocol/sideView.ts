/**
 * Architecture side view (a webview view) <-> host: the host sends the current settings'
 * network, already localized; the view asks for it when ready and reports clicks. Both
 * directions are validated on arrival.
 */
import { arrayOf, int, isBool, isStr, oneOf, optional, recordOf, shape, union, where, type Validated } from './checks';

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
export type HostToSideView = { readonly type: 'state'; readonly state: SideViewState };

/** Side view -> host. */
export type SideViewToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'reveal'; readonly index: number; readonly name: string }
  | { readonly type: 'openSettings'; readonly setting?: string }
  | { readonly type: 'train' };

const checkViewMessage = union<SideViewToHost>('side view message', {
  ready: {},
  reveal: { index: int(), name: where(isStr, (v) => /^[a-z_]+(_\d+)?$/.test(v)) },
  openSettings: { setting: optional(where(isStr, (v) => /^nin\.[\w.]+$/.test(v))) },
  train: {},
});

/** Validate a message from the side view webview. */
export function validateSideViewMessage(v: unknown): Validated<SideViewToHost> {
  return checkViewMessage(v);
}

const isDims = arrayOf(int());
const isRow = shape<SideViewRow>('row', {
  index: int(),
  name: isStr,
  kind: isStr,
  label: isStr,
  detail: isStr,
  input: isDims,
  output: isDims,
  params: int(),
  flops: int(),
  status: oneOf(['ok', 'error', 'unreached'] as const),
  error: optional(isStr),
});
const isState = shape<SideViewState>('side view state', {
  preset: isStr,
  input: isDims,
  rows: arrayOf(isRow),
  params: int(),
  flops: int(),
  error: optional(isStr),
  issues: arrayOf(isStr),
  running: isBool,
  strings: recordOf(isStr),
});
const checkHostMessage = union<HostToSideView>('host message', { state: { state: isState } });

/** Validate a message from the host, in the side view. */
export function validateHostToSideView(v: unknown): Validated<HostToSideView> {
  return checkHostMessage(v);
}
