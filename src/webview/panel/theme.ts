/**
 * VS Code theme colours for canvas drawing: the webview gets the theme as CSS variables
 * (--vscode-*), which canvas cannot use directly, so they are read here and re-read when the
 * theme changes (VS Code swaps the body's vscode-light / vscode-dark / vscode-high-contrast class).
 */

/** The value of a CSS variable on the body, or `fallback`. */
export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** The chart palette, in the theme's own chart colours. */
export function palette(): string[] {
  return [
    cssVar('--vscode-charts-blue', '#3794ff'),
    cssVar('--vscode-charts-orange', '#d18616'),
    cssVar('--vscode-charts-green', '#89d185'),
    cssVar('--vscode-charts-purple', '#b180d7'),
    cssVar('--vscode-charts-red', '#f14c4c'),
    cssVar('--vscode-charts-yellow', '#cca700'),
  ];
}

/** `color` with its alpha multiplied by `alpha` (hex #rgb/#rrggbb/#rrggbbaa and rgb()/rgba()). */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  let r: number,
    g: number,
    b: number,
    a = 1;
  const hex = /^#([0-9a-f]{3,8})$/i.exec(c);
  if (hex) {
    let h = hex[1];
    if (h.length === 3 || h.length === 4) h = [...h].map((x) => x + x).join('');
    r = parseInt(h.slice(0, 2), 16);
    g = parseInt(h.slice(2, 4), 16);
    b = parseInt(h.slice(4, 6), 16);
    if (h.length === 8) a = parseInt(h.slice(6, 8), 16) / 255;
  } else {
    const m = /^rgba?\(([^)]+)\)$/i.exec(c);
    if (!m) return c;
    const parts = m[1]
      .split(/[\s,/]+/)
      .filter(Boolean)
      .map(Number);
    [r, g, b] = parts;
    if (parts.length > 3) a = parts[3];
  }
  return `rgba(${r}, ${g}, ${b}, ${+(a * alpha).toFixed(3)})`;
}

/** Call `f` whenever the theme changes. */
export function onThemeChange(f: () => void): void {
  const key = () =>
    `${document.body.className}|${document.documentElement.getAttribute('style') ?? ''}|${document.body.getAttribute('style') ?? ''}`;
  let last = key();
  const observer = new MutationObserver(() => {
    const now = key();
    if (now !== last) {
      last = now;
      f();
    }
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
