/**
 * The training panel's HTML: a strict Content-Security-Policy (nothing by default; scripts
 * and styles only with this render's nonce or from the extension's own webview folder), and
 * nothing else inline. The toolkit (FAST) reads the nonce from the csp-nonce meta for the one
 * style element it creates. No vscode import: the browser test renders the same page.
 */
import { escapeHtml, pageHtml } from '../pageHtml';

export { makeNonce } from '../pageHtml';

/** What the page links to. */
export interface PanelHtmlOptions {
  /** webview.cspSource: the origin the webview serves local resources from. */
  readonly cspSource: string;
  readonly nonce: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly lang: string;
  readonly title: string;
  /** Shown until the script has the strings (English fallback: the host has not answered yet). */
  readonly loading: string;
}

/** The Content-Security-Policy of the panel. */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/** The whole page. */
export function panelHtml(o: PanelHtmlOptions): string {
  return pageHtml({
    lang: o.lang,
    csp: panelCsp(o.cspSource, o.nonce),
    nonce: o.nonce,
    scriptUri: o.scriptUri,
    styleUri: o.styleUri,
    title: o.title,
    body: `<div id="app"><p>${escapeHtml(o.loading)}</p></div>`,
    styleNonce: true,
  });
}
