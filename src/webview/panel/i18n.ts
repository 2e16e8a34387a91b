/**
 * The webview's strings: the host sends every string already localized (vscode.l10n) in the
 * `init` message, keyed by its English text; until then, and for any key it lacks, the English
 * text is shown. Every literal passed to s() here must be listed in src/extension/panel/strings.ts
 * (a unit test checks).
 */
import { english } from '../../model/diagram';

let table: Readonly<Record<string, string>> = {};
let locale = 'en';

/** Install the host's strings and display language. */
export function setStrings(strings: Readonly<Record<string, string>>, lang: string): void {
  table = strings;
  locale = lang;
}

/** The localized text of an English string, with `{name}` placeholders filled. */
export function s(key: string, args: Record<string, string | number> = {}): string {
  return english(table[key] ?? key, args);
}

/** A translator for model code (class names, diagram labels). */
export const translate = (key: string, args: Record<string, string | number>): string => s(key, args);

/** 1992166 -> 1,992,166 in the display language. */
export function int(n: number): string {
  return new Intl.NumberFormat(locale).format(Math.round(n));
}

/** 0.8461 -> 84.6% */
export function pct(x: number, digits = 1): string {
  return Number.isFinite(x)
    ? new Intl.NumberFormat(locale, {
        style: 'percent',
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }).format(x)
    : '–';
}

/** A number with `digits` significant digits. */
export function num(x: number, digits = 3): string {
  return Number.isFinite(x) ? new Intl.NumberFormat(locale, { maximumSignificantDigits: digits }).format(x) : '–';
}

/** Seconds as 1:05:09 / 5:09 / 9 s. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  if (h) return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  if (m) return `${m}:${String(sec).padStart(2, '0')}`;
  return `${sec} s`;
}
