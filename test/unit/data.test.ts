import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_DIR, FILES, loadFashionMnist, locateFiles, type FetchLike } from '../../src/data/fashionMnist';

/** A fake network (the only thing mocked): serves bytes per URL, counting requests. */
function fakeFetch(routes: Record<string, Uint8Array | number>): FetchLike & { urls: string[] } {
  const urls: string[] = [];
  const f = (async (url: string) => {
    urls.push(url);
    const r = routes[url];
    if (r === undefined || typeof r === 'number')
      return { ok: false, status: r ?? 404, headers: { get: () => null }, body: null };
    const bytes: Uint8Array = r;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 1000) yield bytes.subarray(i, i + 1000);
    }
    return {
      ok: true,
      status: 200,
      headers: { get: (h: string) => (h === 'content-length' ? String(bytes.length) : null) },
      body: body(),
    };
  }) as unknown as FetchLike & { urls: string[] };
  f.urls = urls;
  return f;
}

describe('Fashion-MNIST sources: a named folder alone, else the Debian folder, cache, download', () => {
  let root: string;
  let user: string;
  let cache: string;
  const M1 = 'http://mirror-one.invalid/';
  const M2 = 'https://mirror-two.invalid/';
  const labelsGz = () => readFileSync(join(DEBIAN_DIR, `${FILES.testLabels.name}.gz`));

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nin-data-'));
    user = join(root, 'user');
    cache = join(root, 'cache');
    mkdirSync(user);
    // The user folder holds three of the four files; t10k labels must come from elsewhere.
    for (const f of [FILES.trainImages, FILES.trainLabels, FILES.testImages])
      symlinkSync(join(DEBIAN_DIR, `${f.name}.gz`), join(user, `${f.name}.gz`));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('a named folder is used alone: a file missing there is an error naming it and the folder, though the Debian folder has it; nothing is downloaded', async () => {
    const found = locateFiles({ userDir: user, cacheDir: cache });
    assert.equal(found.trainImages, join(user, `${FILES.trainImages.name}.gz`));
    assert.equal(found.testLabels, undefined);
    const never = fakeFetch({});
    await assert.rejects(
      loadFashionMnist({ userDir: user, cacheDir: cache, fetch: never, mirrors: [M1] }),
      (e: Error) => {
        assert.match(
          e.message,
          /^t10k-labels-idx1-ubyte: not found in .*user \(t10k-labels-idx1-ubyte\.gz or decompressed\)\. A data folder you name is used alone/,
        );
        return true;
      },
    );
    assert.deepEqual(never.urls, []);
  });

  it('says where the data came from: the named folder, the Debian folder, or file by file', async () => {
    symlinkSync(join(DEBIAN_DIR, `${FILES.testLabels.name}.gz`), join(user, `${FILES.testLabels.name}.gz`));
    const named = await loadFashionMnist({ userDir: user, cacheDir: cache, download: false });
    assert.equal(named.source, `Fashion-MNIST from ${user} (the data folder you named)`);
    const debian = await loadFashionMnist({ cacheDir: cache, download: false });
    assert.equal(debian.source, `Fashion-MNIST from ${DEBIAN_DIR} (the Debian dataset folder)`);
  });

  it('downloads a missing file from the next mirror when one fails, verifies it, caches it atomically, and reuses the cache', async () => {
    const fetch = fakeFetch({
      [`${M1}${FILES.testLabels.name}.gz`]: 503,
      [`${M2}${FILES.testLabels.name}.gz`]: labelsGz(),
    });
    const progress: [string, number][] = [];
    const d = await loadFashionMnist({
      systemDir: user,
      cacheDir: cache,
      fetch,
      mirrors: [M1, M2],
      onProgress: (m, f) => progress.push([m, f]),
    });
    assert.deepEqual(fetch.urls, [`${M1}${FILES.testLabels.name}.gz`, `${M2}${FILES.testLabels.name}.gz`]);
    assert.equal(d.paths.testLabels, join(cache, `${FILES.testLabels.name}.gz`));
    assert.deepEqual(readdirSync(cache), [`${FILES.testLabels.name}.gz`], 'only the verified file, no temp files');
    assert.ok(
      progress.some(([m, f]) => /Downloading t10k-labels-idx1-ubyte\.gz/.test(m) && f === 1),
      JSON.stringify(progress.slice(0, 3)),
    );
    assert.equal(d.test.count, 10000);
    assert.equal(d.train.count, 60000);
    assert.equal(d.test.labels[0], 9);
    assert.equal(
      d.source,
      `Fashion-MNIST: ${[FILES.trainImages, FILES.trainLabels, FILES.testImages].map((f) => `${f.name} from ${user} (the Debian dataset folder)`).join(', ')}, ` +
        `${FILES.testLabels.name} from ${cache} (downloaded into the cache)`,
    );
    // Second time: served from the cache, no network.
    const never = fakeFetch({});
    const again = await loadFashionMnist({
      systemDir: user,
      cacheDir: cache,
      fetch: never,
      mirrors: [M1, M2],
    });
    assert.equal(never.urls.length, 0);
    assert.equal(again.paths.testLabels, d.paths.testLabels);
  });

  it('a corrupt download is rejected with the checksum named and nothing is left in the cache', async () => {
    const bad = Buffer.from(labelsGz());
    const gz = (await import('node:zlib')).gunzipSync(bad);
    gz[500] ^= 0x40;
    const fetch = fakeFetch({
      [`${M1}${FILES.testLabels.name}.gz`]: (await import('node:zlib')).gzipSync(gz),
      [`${M2}${FILES.testLabels.name}.gz`]: bad.subarray(0, 300),
    });
    await assert.rejects(
      loadFashionMnist({ systemDir: user, cacheDir: cache, fetch, mirrors: [M1, M2] }),
      (e: Error) => {
        assert.match(e.message, /^t10k-labels-idx1-ubyte: not found locally .* and the download failed: /);
        assert.match(e.message, /mirror-one\.invalid\/t10k-labels-idx1-ubyte\.gz: checksum mismatch/);
        assert.match(e.message, /mirror-two\.invalid\/t10k-labels-idx1-ubyte\.gz: corrupt or truncated gzip data/);
        return true;
      },
    );
    assert.ok(
      !existsSync(cache) || readdirSync(cache).length === 0,
      `cache holds ${existsSync(cache) ? readdirSync(cache).join(',') : ''}`,
    );
  });

  it('with downloads disabled, a missing file is an error naming it and the folders searched', async () => {
    await assert.rejects(
      loadFashionMnist({ systemDir: user, cacheDir: cache, download: false }),
      /t10k-labels-idx1-ubyte: not found in .*user, .*cache \(downloads disabled\)/,
    );
  });
});
