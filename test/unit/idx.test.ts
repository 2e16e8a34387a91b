import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DEBIAN_DIR, FILES, loadFashionMnist } from '../../src/data/fashionMnist';
import { IdxError, readIdxFile } from '../../src/data/idx';

const real = (name: string) => join(DEBIAN_DIR, `${name}.gz`);

describe('IDX reader on the real Fashion-MNIST files', () => {
  it('reads all four with the right dimensions and verified checksums', () => {
    for (const f of Object.values(FILES)) {
      const d = readIdxFile(real(f.name), { dims: f.dims, sha256: f.sha256 });
      assert.deepEqual(d.dims, f.dims);
      assert.equal(d.data.length + 4 + 4 * f.dims.length, f.bytes);
    }
  });

  it('has the known content: 6,000 images per class in train, 1,000 in test, first labels 9 (ankle boot)', () => {
    for (const [f, per] of [
      [FILES.trainLabels, 6000],
      [FILES.testLabels, 1000],
    ] as const) {
      const { data } = readIdxFile(real(f.name), { sha256: f.sha256 });
      const counts = new Array(10).fill(0);
      data.forEach((l) => counts[l]++);
      assert.deepEqual(counts, new Array(10).fill(per));
      assert.equal(data[0], 9);
    }
    const img = readIdxFile(real(FILES.testImages.name)).data;
    assert.equal(img.length, 10000 * 784);
    assert.ok(
      img.subarray(0, 784).some((v) => v > 200),
      'first test image has bright pixels',
    );
  });
});

describe('IDX reader on corrupted copies: each failure names the file and the problem', () => {
  let dir: string;
  const labels = () => gunzipSync(readFileSync(real(FILES.testLabels.name)));
  const expect = { dims: FILES.testLabels.dims, sha256: FILES.testLabels.sha256 };
  before(() => (dir = mkdtempSync(join(tmpdir(), 'nin-idx-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const fails = (file: string, re: RegExp) =>
    assert.throws(
      () => readIdxFile(file, expect),
      (e: unknown) =>
        e instanceof IdxError && e.file === file && e.message.startsWith(file + ': ') && re.test(e.message),
    );

  it('raw (uncompressed) copy reads the same as the .gz', () => {
    const f = join(dir, 'raw-ok');
    writeFileSync(f, labels());
    assert.deepEqual(readIdxFile(f, expect).data, readIdxFile(real(FILES.testLabels.name), expect).data);
  });

  it('truncated raw file', () => {
    const f = join(dir, 'truncated');
    writeFileSync(f, labels().subarray(0, 5000));
    fails(f, /truncated: the header \(10000\) needs 10008 bytes, the file has 5000/);
  });

  it('truncated inside the header', () => {
    const f = join(dir, 'header');
    writeFileSync(f, labels().subarray(0, 6));
    fails(f, /truncated inside the header/);
  });

  it('truncated gzip', () => {
    const f = join(dir, 'truncated.gz');
    const gz = readFileSync(real(FILES.testLabels.name));
    writeFileSync(f, gz.subarray(0, gz.length - 100));
    fails(f, /corrupt or truncated gzip data/);
  });

  it('wrong magic', () => {
    const f = join(dir, 'magic');
    const b = labels();
    b[0] = 0x1a;
    writeFileSync(f, b);
    fails(f, /bad magic 1a 00 08 01/);
  });

  it('wrong dimensions (an images file where labels belong)', () => {
    const f = join(dir, 'dims.gz');
    copyFileSync(real(FILES.testImages.name), f);
    fails(f, /dimensions 10000x28x28 \(want 10000\)/);
  });

  it('one flipped byte in the data: the checksum catches it (raw and re-gzipped)', () => {
    const b = labels();
    b[5000] ^= 1;
    const raw = join(dir, 'flipped');
    writeFileSync(raw, b);
    fails(raw, /checksum mismatch: SHA-256 of the decompressed bytes is [0-9a-f]{64}, want 0402a96d/);
    const gz = join(dir, 'flipped.gz');
    writeFileSync(gz, gzipSync(b));
    fails(gz, /checksum mismatch/);
  });

  it('trailing bytes', () => {
    const f = join(dir, 'long');
    writeFileSync(f, Buffer.concat([labels(), Buffer.from([1, 2, 3])]));
    fails(f, /3 unexpected bytes after the 10000 data/);
  });

  it('missing file', () => fails(join(dir, 'nope'), /cannot read \(ENOENT\)/));

  it('a corrupt file in the configured folder stops loading with its name (no silent fallback)', async () => {
    const user = mkdtempSync(join(tmpdir(), 'nin-user-'));
    try {
      const b = labels();
      b[100] ^= 0xff;
      const bad = join(user, `${FILES.testLabels.name}`);
      writeFileSync(bad, b);
      // The other three are good (a named folder must hold all four).
      for (const f of [FILES.trainImages, FILES.trainLabels, FILES.testImages])
        symlinkSync(join(DEBIAN_DIR, `${f.name}.gz`), join(user, `${f.name}.gz`));
      await assert.rejects(loadFashionMnist({ userDir: user, download: false }), (e: Error) =>
        e.message.startsWith(bad + ': checksum mismatch'),
      );
    } finally {
      rmSync(user, { recursive: true, force: true });
    }
  });
});
