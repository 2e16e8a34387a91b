/** Backend names, apart from the backend loader so that the webview can import them without tfjs. */

/** What the user may ask for: a TensorFlow.js backend, or `pytorch` (the PyTorch engine, a child Python process). */
export const BACKEND_PREFERENCES = ['auto', 'tensorflow', 'wasm', 'cpu', 'pytorch'] as const;
/** A backend preference (`auto` lets us choose). */
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];
/** A backend that actually runs. */
export type BackendName = Exclude<BackendPreference, 'auto'>;
/** Every backend that can run (what a start or calibration event may name). */
export const BACKEND_NAMES = BACKEND_PREFERENCES.filter((b): b is BackendName => b !== 'auto');

/** True when `v` is a valid backend preference. */
export function isBackendPreference(v: unknown): v is BackendPreference {
  return typeof v === 'string' && (BACKEND_PREFERENCES as readonly string[]).includes(v);
}

/** Devices the PyTorch engine may train on; `auto` takes CUDA, then Apple MPS, then the CPU. */
export const DEVICES = ['auto', 'cuda', 'mps', 'cpu'] as const;
/** A device preference for the PyTorch engine. */
export type DevicePreference = (typeof DEVICES)[number];

/** True when `v` is a valid device preference. */
export function isDevicePreference(v: unknown): v is DevicePreference {
  return typeof v === 'string' && (DEVICES as readonly string[]).includes(v);
}
