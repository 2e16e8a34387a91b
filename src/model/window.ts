/**
 * Output size of a sliding window (convolution or pooling) along one axis, with PyTorch's
 * semantics: explicit symmetric padding, floor division (or ceil for `ceil_mode` pools).
 * Shared by the NiN shape inference and the Python source analyser.
 */

/** Parameters of a window along one axis. */
export interface WindowAxis {
  readonly size: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly dilation?: number;
  readonly ceilMode?: boolean;
}

/** The output size with the formula that produced it, or why the window does not fit. */
export type WindowResult =
  | { readonly ok: true; readonly size: number; readonly formula: string }
  | { readonly ok: false; readonly message: string };

/** Compute one axis of a window's output; `ok: false` when the configuration collapses. */
export function windowOutput(a: WindowAxis): WindowResult {
  const d = a.dilation ?? 1;
  if (![a.kernel, a.stride, d].every((v) => Number.isInteger(v) && v >= 1) || !(a.padding >= 0)) {
    return {
      ok: false,
      message: `kernel ${a.kernel}, stride ${a.stride} and dilation ${d} must be >= 1, padding ${a.padding} >= 0`,
    };
  }
  const span = d * (a.kernel - 1) + 1;
  const padded = a.size + 2 * a.padding;
  if (span > padded) {
    return {
      ok: false,
      message: `window ${span} is larger than its padded input ${padded} (${a.size} + 2*${a.padding})`,
    };
  }
  const num = padded - span;
  const round = a.ceilMode ? Math.ceil : Math.floor;
  let size = round(num / a.stride) + 1;
  // PyTorch drops a last ceil-mode window that would start entirely inside the right padding.
  if (a.ceilMode && (size - 1) * a.stride >= a.size + a.padding) size -= 1;
  const k = d === 1 ? `${a.kernel}` : `${d}*(${a.kernel} - 1) - 1`;
  const formula = `${a.ceilMode ? 'ceil' : 'floor'}((${a.size} + 2*${a.padding} - ${k}) / ${a.stride}) + 1 = ${size}`;
  if (size < 1) return { ok: false, message: `output size ${size} is below 1: ${formula}` };
  return { ok: true, size, formula };
}
