// "NiN: Classify Image...": the preparation of an image (pure), the image checks, the model
// payload and the messages. Real Fashion-MNIST test images go through unchanged.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { imageMime, readImage } from '../../src/extension/commandsModel';
import { validateClassifyInput, validateClassifyMessage } from '../../src/protocol/index';
import { borderMean, fitSquare, prepareImage, toGray, topClasses } from '../../src/webview/classify/preprocess';

const DATA = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const rgbaOf = (gray: ArrayLike<number>, alpha = 255) => Uint8Array.from({ length: gray.length * 4 }, (_, i) => (i % 4 === 3 ? alpha : Math.round(255 * gray[i >> 2])));

describe('classify: preparing an image like Fashion-MNIST', () => {
  it('real Fashion-MNIST test images come through unchanged (dark background, 28x28)', function () {
    if (!existsSync(DATA)) this.skip();
    const raw = gunzipSync(readFileSync(DATA));
    assert.equal(raw.readUInt32BE(0), 2051);
    for (const k of [0, 1, 2, 42, 9999]) {
      const px = raw.subarray(16 + 784 * k, 16 + 784 * (k + 1));
      const { pixels, inverted } = prepareImage(rgbaOf(Array.from(px, (v) => v / 255)), 28, 28);
      assert.equal(inverted, false, `image ${k}`);
      pixels.forEach((v, i) => assert.ok(Math.abs(v - px[i] / 255) < 2e-3, `image ${k} pixel ${i}`));
    }
  });

  it('a light background is inverted; the choice can be forced', () => {
    const gray = new Float32Array(10 * 10).fill(1);
    gray[55] = 0; // a dark dot on white
    const auto = prepareImage(rgbaOf(gray), 10, 10);
    assert.equal(auto.inverted, true);
    assert.ok(Math.max(...auto.pixels) > 0.5 && auto.pixels[0] === 0, 'white background becomes black');
    assert.equal(prepareImage(rgbaOf(gray), 10, 10, false).inverted, false);
  });

  it('gray: luma weights, transparent pixels over white', () => {
    assert.deepEqual(Array.from(toGray([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0, 0, 0, 0], 4, 1)).map((v) => +v.toFixed(3)), [0.299, 0.587, 0.114, 1]);
    assert.equal(borderMean(new Float32Array([1, 1, 1, 1, 0, 1, 1, 1, 1]), 3, 3), 1);
  });

  it('fit: keeps the aspect ratio, centres, and averages areas when shrinking', () => {
    // a 56x28 image of a left black half and right white half -> 28x14 band centred vertically
    const w = 56;
    const h = 28;
    const src = Float32Array.from({ length: w * h }, (_, i) => (i % w < 28 ? 0 : 1));
    const out = fitSquare(src, w, h, 28, 0.5);
    assert.equal(out[0], 0.5, 'padding above');
    assert.equal(out[7 * 28 + 0], 0);
    assert.equal(out[7 * 28 + 27], 1);
    assert.equal(out[21 * 28], 0.5, 'padding below');
    // a uniform image stays uniform whatever the scale
    assert.ok(fitSquare(new Float32Array(97 * 61).fill(0.25), 97, 61, 28, 0.25).every((v) => Math.abs(v - 0.25) < 1e-6));
    // the mean brightness is kept when shrinking by an integer factor
    const big = Float32Array.from({ length: 84 * 84 }, (_, i) => ((i % 84) + Math.floor(i / 84)) % 2);
    const small = fitSquare(big, 84, 84);
    assert.ok(small.every((v) => Math.abs(v - 5 / 9) < 1e-6 || Math.abs(v - 4 / 9) < 1e-6), 'a 3x3 box of a checkerboard');
  });

  it('top classes: softmax, most probable first', () => {
    const t = topClasses([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3);
    assert.deepEqual(t.map((x) => x.label), [9, 8, 7]);
    const all = topClasses([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10);
    assert.ok(Math.abs(all.reduce((a, x) => a + x.probability, 0) - 1) < 1e-12);
    assert.ok(Math.abs(all[0].probability / all[1].probability - Math.E) < 1e-9);
  });

  it('rejects pixel data that does not match the size', () => {
    assert.throws(() => prepareImage(new Uint8Array(10), 28, 28), /does not match 28x28/);
  });
});

describe('classify: messages', () => {
  it('results from the view are validated', () => {
    assert.ok(validateClassifyMessage({ type: 'ready' }).ok);
    assert.ok(validateClassifyMessage({ type: 'result', top: [{ label: 9, probability: 0.9 }], inverted: true }).ok);
    assert.equal(validateClassifyMessage({ type: 'result', top: [{ label: 10, probability: 0.9 }], inverted: true }).ok, false);
    assert.equal(validateClassifyMessage({ type: 'result', top: [{ label: 1, probability: 2 }], inverted: true }).ok, false);
    assert.equal(validateClassifyMessage({ type: 'eval', code: 'x' }).ok, false);
  });
  it('the input message is validated in the view', () => {
    const ok = {
      type: 'input',
      fileName: 'a.png',
      image: 'data:image/png;base64,AAAA',
      model: { modelTopology: {}, weightSpecs: [{ name: 'w', shape: [1], dtype: 'float32' }], weightData: '' },
      inputShape: [28, 28, 1],
      classNames: Array.from({ length: 10 }, (_, i) => String(i)),
      strings: {},
    };
    assert.ok(validateClassifyInput(ok).ok);
    assert.equal(validateClassifyInput({ ...ok, image: 'javascript:alert(1)' }).ok, false);
    assert.equal(validateClassifyInput({ ...ok, classNames: ['a'] }).ok, false);
  });
});

describe('classify: image files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'nin-img-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('PNG and JPEG are recognised by their bytes; anything else is an error naming the file', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    const jpg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
    writeFileSync(join(dir, 'a.png'), png);
    writeFileSync(join(dir, 'b.jpg'), jpg);
    writeFileSync(join(dir, 'c.png'), 'GIF89a');
    assert.equal(imageMime('a', png), 'image/png');
    assert.equal(imageMime('b', jpg), 'image/jpeg');
    assert.match(readImage(join(dir, 'a.png')), /^data:image\/png;base64,/);
    assert.throws(() => readImage(join(dir, 'c.png')), /c\.png: not a PNG or JPEG image/);
    assert.throws(() => readImage(join(dir, 'missing.png')), /missing\.png: cannot be read \(ENOENT\)/);
  });
});
