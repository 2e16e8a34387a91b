/**
 * The page of a simple webview (the architecture view, the classify view): CSP `default-src
 * 'none'` with a fresh nonce for the one bundled script, the stylesheet from `media/`, both as
 * webview URIs. The training panel builds its own page (the toolkit needs a style nonce).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

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

/** A fresh nonce for a script tag. */
export const newNonce = (): string => randomBytes(18).toString('base64');

/** The whole page. */
export function webviewPage(
  webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>,
  extensionUri: vscode.Uri,
  o: WebviewPageOptions,
): string {
  const nonce = o.nonce ?? newNonce();
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
  return `<!DOCTYPE html>
<html lang="${o.lang}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>NiN</title>
</head>
<body>
<main id="root" aria-live="polite"></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
