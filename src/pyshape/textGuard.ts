/**
 * What the analyser accepts before it parses: Python source is text of a sensible size. A
 * binary file saved as `.py` (5 MB of random bytes took 64 s and 1.2 GB in one synchronous
 * parse) is refused at once, with the reason, and every parse has a time budget. Line endings
 * are made countable: tree-sitter counts rows at LF only, so a CR-only file was one line.
 */

/** Largest source the analyser reads (model files are kilobytes; this is generous). */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;

/** Milliseconds a parse may take before it is abandoned. */
export const PARSE_BUDGET_MS = 1000;

/** Input the analyser refuses; the message says why. */
export class SourceRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceRejected';
  }
}

const NUL_AT = (text: string): number => text.indexOf('\u0000');

/** Decode a file's bytes as Python source, or throw SourceRejected naming `name` and why. */
export function decodeSource(bytes: Uint8Array, name: string): string {
  if (bytes.length > MAX_SOURCE_BYTES)
    throw new SourceRejected(`${name}: ${bytes.length} bytes, more than the ${MAX_SOURCE_BYTES} the analyser reads`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new SourceRejected(`${name}: a NUL byte at offset ${nul}: binary data, not Python source`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SourceRejected(`${name}: not valid UTF-8 text (Python source must be UTF-8)`);
  }
  return text;
}

/** Check text an editor holds (already decoded): its size and NUL characters. */
export function checkSourceText(text: string, name: string): void {
  if (text.length > MAX_SOURCE_BYTES)
    throw new SourceRejected(
      `${name}: ${text.length} characters, more than the ${MAX_SOURCE_BYTES} the analyser reads`,
    );
  const nul = NUL_AT(text);
  if (nul >= 0) throw new SourceRejected(`${name}: a NUL character at offset ${nul}: binary data, not Python source`);
}

/**
 * Lone CRs as LFs, so that CR, LF and CRLF files number their lines alike. Same length, so
 * every offset (edits, hovers) stays valid; CRLF is left as it is (tree-sitter counts it once).
 */
export function normalizeLineEnds(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}
