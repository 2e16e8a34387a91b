/**
 * Fashion-MNIST from the official IDX files. A folder the user names (`--data`, `nin.dataFolder`)
 * is used alone: a file missing or bad there is an error naming it, never silently replaced
 * by a copy from elsewhere. Without one, each file is looked for in the Debian folder, then a
 * cache folder; a missing one is downloaded into the cache from the official mirrors, verified,
 * then renamed into place (so the cache never holds a half-written or unverified file), and the
 * result says where the files came from. Checksums are of the decompressed bytes: Debian
 * re-compressed the .gz files, whose bytes differ from upstream's while their contents match.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { decompress, IdxError, parseIdx, readIdxFile } from './idx';

/** The Debian package `dataset-fashion-mnist` puts the files here. */
export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** Official mirrors, tried in order (same four file names, gzip-compressed). */
export const MIRRORS = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
] as const;

/** One of the four files. */
export interface DatasetFile {
  /** Base name without `.gz`. */
  readonly name: string;
  readonly sha256: string;
  /** Decompressed size. */
  readonly bytes: number;
  readonly dims: readonly number[];
}

/** The four official files with the SHA-256 of their decompressed bytes. */
export const FILES = {
  trainImages: {
    name: 'train-images-idx3-ubyte',
    sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    bytes: 47040016,
    dims: [60000, 28, 28],
  },
  trainLabels: {
    name: 'train-labels-idx1-ubyte',
    sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    bytes: 60008,
    dims: [60000],
  },
  testImages: {
    name: 't10k-images-idx3-ubyte',
    sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    bytes: 7840016,
    dims: [10000, 28, 28],
  },
  testLabels: {
    name: 't10k-labels-idx1-ubyte',
    sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    bytes: 10008,
    dims: [10000],
  },
} as const satisfies Record<string, DatasetFile>;

/** Which file. */
export type FileKey = keyof typeof FILES;

/** One split: `count` 28x28 images (row-major bytes) and their labels. */
export interface Split {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** The loaded dataset and where each file came from. */
export interface FashionMnist {
  readonly train: Split;
  readonly test: Split;
  /** The path each file was read from. */
  readonly paths: Readonly<Record<FileKey, string>>;
  /** Where the files came from, in words: one folder and what it is, or each file's. */
  readonly source: string;
}

/** The minimal `fetch` this module uses; injectable because the network is what tests replace. */
export type FetchLike = (url: string) => Promise<{
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
}>;

/** Where to look, where to cache, and how to report progress. */
export interface DatasetOptions {
  /** A folder the user named ('' or undefined: none). */
  readonly userDir?: string;
  /** The cache folder (the extension's global storage, or `~/.cache/nin-vscode` for the CLI). */
  readonly cacheDir?: string;
  /** Override the Debian folder (tests). */
  readonly systemDir?: string;
  /** Download missing files from the mirrors (default true). */
  readonly download?: boolean;
  readonly fetch?: FetchLike;
  readonly mirrors?: readonly string[];
  /** Progress of slow steps: a message and a fraction in 0..1 (-1 when unknown). */
  readonly onProgress?: (message: string, fraction: number) => void;
}

/** `$XDG_CACHE_HOME/nin-vscode` or `~/.cache/nin-vscode`: the CLI's cache. */
export function defaultCacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nin-vscode');
}

/** The cache folder for the dataset under a cache root. */
export function datasetCacheDir(root: string): string {
  return join(root, 'fashion-mnist');
}

/** The first existing `name.gz` or `name` in `dir`. */
function findIn(dir: string, name: string): string | undefined {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) if (existsSync(candidate)) return candidate;
  return undefined;
}

/** The folders searched, in order, with a label for messages: the named folder alone, if any. */
export function searchOrder(o: DatasetOptions): { dir: string; label: string }[] {
  if (o.userDir) return [{ dir: o.userDir, label: 'the data folder you named' }];
  return [
    { dir: o.systemDir ?? DEBIAN_DIR, label: 'the Debian dataset folder' },
    { dir: o.cacheDir ?? datasetCacheDir(defaultCacheRoot()), label: 'the cache' },
  ];
}

/** Where the files came from: one folder and its label when they share it, else file by file. */
export function describeSource(
  paths: Readonly<Record<FileKey, string>>,
  o: DatasetOptions,
  downloaded: ReadonlySet<FileKey> = new Set(),
): string {
  const dirs = searchOrder(o);
  const where = (key: FileKey): string => {
    const d = dirs.find(
      (x) => paths[key] === join(x.dir, FILES[key].name) || paths[key] === join(x.dir, `${FILES[key].name}.gz`),
    );
    const label = downloaded.has(key) ? 'downloaded into the cache' : (d?.label ?? 'elsewhere');
    return `${d ? d.dir : paths[key]} (${label})`;
  };
  const keys = Object.keys(FILES) as FileKey[];
  const places = keys.map(where);
  if (places.every((p) => p === places[0])) return `Fashion-MNIST from ${places[0]}`;
  return `Fashion-MNIST: ${keys.map((k, i) => `${FILES[k].name} from ${places[i]}`).join(', ')}`;
}

/** Paths of the files that exist locally; `undefined` for the ones to download. */
export function locateFiles(o: DatasetOptions): Record<FileKey, string | undefined> {
  const dirs = searchOrder(o);
  const out = {} as Record<FileKey, string | undefined>;
  for (const key of Object.keys(FILES) as FileKey[]) {
    out[key] = dirs.map((d) => findIn(d.dir, FILES[key].name)).find((p) => p !== undefined);
  }
  return out;
}

async function fetchBytes(
  fetchFn: FetchLike,
  url: string,
  onChunk: (n: number, total: number) => void,
): Promise<Uint8Array> {
  const res = await fetchFn(url);
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const chunks: Uint8Array[] = [];
  let got = 0;
  for await (const c of res.body) {
    chunks.push(c);
    got += c.length;
    onChunk(got, total);
  }
  const all = new Uint8Array(got);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

/**
 * Download one file into `cacheDir`: each mirror in turn, verified in memory, written to a temp
 * file, then renamed. Returns the final path; throws naming the file and every mirror's failure.
 */
export async function downloadFile(key: FileKey, cacheDir: string, o: DatasetOptions): Promise<string> {
  const f = FILES[key];
  const fetchFn = o.fetch ?? (globalThis.fetch as unknown as FetchLike);
  const mirrors = o.mirrors ?? MIRRORS;
  const failures: string[] = [];
  mkdirSync(cacheDir, { recursive: true });
  const dest = join(cacheDir, `${f.name}.gz`);
  for (const mirror of mirrors) {
    const url = `${mirror}${f.name}.gz`;
    let lastReport = 0;
    try {
      const bytes = await fetchBytes(fetchFn, url, (n, total) => {
        const now = Date.now();
        if (now - lastReport < 200 && n !== total) return;
        lastReport = now;
        const mb = (n / 1e6).toFixed(1);
        o.onProgress?.(
          `Downloading ${f.name}.gz: ${mb}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB`,
          total ? n / total : -1,
        );
      });
      // Verify before anything reaches the cache folder.
      parseIdx(url, decompress(url, bytes, f.bytes), { dims: f.dims, sha256: f.sha256 });
      const tmp = join(cacheDir, `.${f.name}.gz.tmp-${process.pid}-${Date.now()}`);
      try {
        writeFileSync(tmp, bytes);
        renameSync(tmp, dest);
      } finally {
        rmSync(tmp, { force: true });
      }
      return dest;
    } catch (e) {
      failures.push(`${url}: ${e instanceof IdxError ? e.problem : (e as Error).message}`);
    }
  }
  throw new Error(
    `${f.name}: not found locally (${searchOrder(o)
      .map((d) => d.dir)
      .join(', ')}) and the download failed: ${failures.join('; ')}`,
  );
}

function split(images: Uint8Array, labels: Uint8Array, count: number, labelsFile: string): Split {
  for (let i = 0; i < labels.length; i++)
    if (labels[i] > 9) throw new IdxError(labelsFile, `label ${labels[i]} at index ${i} is not a class 0-9`);
  return { images, labels, count };
}

/**
 * The four files' paths: found locally, or downloaded (verified) into the cache. Files found
 * locally are not verified here: the reader verifies them (loadFashionMnist, the PyTorch engine).
 */
export async function resolveDatasetFiles(
  o: DatasetOptions = {},
): Promise<{ paths: Record<FileKey, string>; source: string }> {
  const found = locateFiles(o);
  const cacheDir = o.cacheDir ?? datasetCacheDir(defaultCacheRoot());
  const paths = {} as Record<FileKey, string>;
  const downloaded = new Set<FileKey>();
  for (const key of Object.keys(FILES) as FileKey[]) {
    const p = found[key];
    if (p) paths[key] = p;
    else if (o.userDir)
      throw new Error(
        `${FILES[key].name}: not found in ${o.userDir} (${FILES[key].name}.gz or decompressed). A data folder you name is used alone; ` +
          `put all four files there, or name none to use ${o.systemDir ?? DEBIAN_DIR}, the cache or a download`,
      );
    else if (o.download === false)
      throw new Error(
        `${FILES[key].name}: not found in ${searchOrder(o)
          .map((d) => d.dir)
          .join(', ')} (downloads disabled)`,
      );
    else {
      paths[key] = await downloadFile(key, cacheDir, o);
      downloaded.add(key);
    }
  }
  return { paths, source: describeSource(paths, o, downloaded) };
}

/** Find (or download) and verify the four files, then load them. */
export async function loadFashionMnist(o: DatasetOptions = {}): Promise<FashionMnist> {
  const { paths, source } = await resolveDatasetFiles(o);
  const data = {} as Record<FileKey, Uint8Array>;
  const keys = Object.keys(FILES) as FileKey[];
  keys.forEach((key, i) => {
    o.onProgress?.(`Verifying ${FILES[key].name}`, i / keys.length);
    data[key] = readIdxFile(paths[key], {
      dims: FILES[key].dims,
      sha256: FILES[key].sha256,
      maxBytes: FILES[key].bytes,
    }).data;
  });
  o.onProgress?.('Fashion-MNIST verified', 1);
  return {
    train: split(data.trainImages, data.trainLabels, FILES.trainLabels.dims[0], paths.trainLabels),
    test: split(data.testImages, data.testLabels, FILES.testLabels.dims[0], paths.testLabels),
    paths,
    source,
  };
}
