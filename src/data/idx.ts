/**
 * The IDX file format of (Fashion-)MNIST: a 4-byte magic (0, 0, type, number of dimensions),
 * one big-endian uint32 per dimension, then the data. Files may be gzip-compressed (as shipped)
 * or raw. Every failure names the file and what is wrong with it: a corrupt download must
 * never become a crash deep in training or, worse, silent garbage.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** IDX data type byte for unsigned bytes (the only type Fashion-MNIST uses). */
export const IDX_UBYTE = 0x08;

/** A parsed IDX file (unsigned bytes). */
export interface IdxData {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** What a file must be; each field is optional. */
export interface IdxExpectation {
  /** Dimensions, with `-1` for "any" (e.g. [-1, 28, 28] for images). */
  readonly dims?: readonly number[];
  /** SHA-256 (hex) of the decompressed bytes. */
  readonly sha256?: string;
  /**
   * The most bytes the decompressed file may have: decompression stops there, so that a small
   * file that expands to gigabytes (a gzip bomb, or the wrong file) is refused within this size.
   */
  readonly maxBytes?: number;
}

/** An IDX file that is not what it should be; the message names the file. */
export class IdxError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'IdxError';
  }
}

/** True when `bytes` start with the gzip magic. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompress when gzip (never past `maxBytes`), else return the bytes as they are. */
export function decompress(file: string, bytes: Uint8Array, maxBytes?: number): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    // One byte past the limit tells "exactly the expected size" from "more".
    return gunzipSync(bytes, maxBytes === undefined ? {} : { maxOutputLength: maxBytes + 1 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new IdxError(file, tooLarge(maxBytes ?? 0));
    throw new IdxError(file, `corrupt or truncated gzip data (${(e as Error).message})`);
  }
}

const tooLarge = (maxBytes: number) =>
  `decompresses to more than the expected ${maxBytes} bytes; stopped there (not the official file)`;

/** Lower-case hex SHA-256. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Parse decompressed IDX bytes; `file` is only for messages. */
export function parseIdx(file: string, raw: Uint8Array, expect: IdxExpectation = {}): IdxData {
  if (raw.length < 4) throw new IdxError(file, `${raw.length} bytes: too short for an IDX header (truncated?)`);
  if (raw[0] !== 0 || raw[1] !== 0) {
    const hex = Array.from(raw.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new IdxError(file, `not an IDX file: bad magic ${hex} (want 00 00 08 NN)`);
  }
  if (raw[2] !== IDX_UBYTE)
    throw new IdxError(file, `IDX data type 0x${raw[2].toString(16).padStart(2, '0')} is not unsigned byte (0x08)`);
  const ndims = raw[3];
  if (ndims < 1 || ndims > 4) throw new IdxError(file, `IDX header says ${ndims} dimensions (want 1-4)`);
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes)
    throw new IdxError(file, `${raw.length} bytes: truncated inside the header (${headerBytes} bytes)`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  if (expect.dims) {
    const ok = expect.dims.length === dims.length && expect.dims.every((d, i) => d < 0 || d === dims[i]);
    if (!ok)
      throw new IdxError(
        file,
        `dimensions ${dims.join('x')} (want ${expect.dims.map((d) => (d < 0 ? 'N' : d)).join('x')})`,
      );
  }
  const body = dims.reduce((a, b) => a * b, 1);
  const want = headerBytes + body;
  if (raw.length < want)
    throw new IdxError(
      file,
      `truncated: the header (${dims.join('x')}) needs ${want} bytes, the file has ${raw.length}`,
    );
  if (raw.length > want)
    throw new IdxError(file, `${raw.length - want} unexpected bytes after the ${dims.join('x')} data`);
  if (expect.sha256) {
    const got = sha256(raw);
    if (got !== expect.sha256)
      throw new IdxError(
        file,
        `checksum mismatch: SHA-256 of the decompressed bytes is ${got}, want ${expect.sha256} (corrupt or not the official file)`,
      );
  }
  return { dims, data: raw.subarray(headerBytes) };
}

/** Read, decompress when gzip, parse and verify an IDX file. */
export function readIdxFile(file: string, expect: IdxExpectation = {}): IdxData {
  let bytes: Uint8Array;
  try {
    // A raw (uncompressed) file larger than expected is refused before it is read.
    if (expect.maxBytes !== undefined && statSync(file).size > expect.maxBytes)
      throw new IdxError(file, tooLarge(expect.maxBytes));
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof IdxError) throw e;
    throw new IdxError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseIdx(file, decompress(file, bytes, expect.maxBytes), expect);
}
