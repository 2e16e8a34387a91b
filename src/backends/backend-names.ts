/** Backend names, apart from the backend loader so that the webview can import them without tfjs. */

/** What the user may ask for. */
export const BACKEND_PREFERENCES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
/** A backend preference (`auto` lets us choose). */
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];
/** A backend that actually runs. */
export type BackendName = Exclude<BackendPreference, 'auto'>;

/** True when `v` is a valid backend preference. */
export function isBackendPreference(v: unknown): v is BackendPreference {
  return typeof v === 'string' && (BACKEND_PREFERENCES as readonly string[]).includes(v);
}
