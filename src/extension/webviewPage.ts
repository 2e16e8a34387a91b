/**
 * The page of a simple webview (the architecture view, the classify view): CSP `default-src
 * 'none'` with a fresh nonce for the one bundled script, the stylesheet from `media/`, both as
 * webview URIs. The training panel's page (panel/html.ts) is the same document with its own CSP.
 */
import * as vscode from 'vscode';
import { makeNonce, pageHtml } from './pageHtml';

/** What differs between the simple webviews. */
export interface WebviewPageOptions {
  /** The script bundle `out/webview/<bundle>.js` and stylesheet `media/<bundle>.css`. */
  readonly bundle: string;
  readonly lang: string;
  /** Extra image sources beyond the webview's own (the classify view draws `data:` images). */
  readonly imgSrc?: readonly string[];
  /** A fixed nonce (tests); a fresh one per render otherwise. */
  readonly nonce?: string;
}

/** The whole page. */
export function webviewPage(
  webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>,
  extensionUri: vscode.Uri,
  o: WebviewPageOptions,
): string {
  const nonce = o.nonce ?? makeNonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'out', 'webview', `${o.bundle}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', `${o.bundle}.css`));
  const src = webview.cspSource;
  const csp = [
    `default-src 'none'`,
    `style-src ${src}`,
    `img-src ${[src, ...(o.imgSrc ?? [])].join(' ')}`,
    `font-src ${src}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return pageHtml({
    lang: o.lang,
    csp,
    nonce,
    scriptUri: script.toString(),
    styleUri: style.toString(),
    title: 'NiN',
    body: '<main id="root" aria-live="polite"></main>',
  });
}
