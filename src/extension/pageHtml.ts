/**
 * The document every webview of the extension serves: the CSP meta first, one stylesheet, the
 * one script by nonce, nothing else inline. The callers choose the CSP, the nonce and the body.
 * No vscode import: the panel's browser test renders the same page.
 */
import { randomBytes } from 'node:crypto';

/** A fresh nonce for one render (128 random bits). */
export function makeNonce(): string {
  return randomBytes(16).toString('hex');
}

/** What differs between the webview pages. */
export interface PageParts {
  readonly lang: string;
  /** The whole Content-Security-Policy. */
  readonly csp: string;
  /** This render's nonce: the script's, and the stylesheet's too with styleNonce. */
  readonly nonce: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly title: string;
  /** HTML placed before the script (the caller escapes any text in it). */
  readonly body: string;
  /** Nonce the stylesheet and publish the nonce in a csp-nonce meta (the toolkit reads it). */
  readonly styleNonce?: boolean;
}

// Every attribute is double-quoted, so these four are all that must be escaped.
/** Text safe inside a double-quoted attribute or an element. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The whole page. */
export function pageHtml(o: PageParts): string {
  const a = escapeHtml;
  const nonceMeta = o.styleNonce ? `<meta property="csp-nonce" content="${a(o.nonce)}">\n` : '';
  const styleNonce = o.styleNonce ? ` nonce="${a(o.nonce)}"` : '';
  return `<!DOCTYPE html>
<html lang="${a(o.lang)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(o.csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${nonceMeta}<link rel="stylesheet" href="${a(o.styleUri)}"${styleNonce}>
<title>${a(o.title)}</title>
</head>
<body>
${o.body}
<script nonce="${a(o.nonce)}" src="${a(o.scriptUri)}"></script>
</body>
</html>
`;
}
