/**
 * Browser-side check of "NiN: Classify Image..." on a run's exported model: a real Fashion-MNIST
 * test image, written as a PNG into the workspace, is picked in VS Code's own file dialog; the
 * classify view decodes it in the browser and lists its top classes. The same model, loaded in
 * this Node process with TensorFlow.js and given the same pixels through the view's own
 * preparation (src/webview/classify), says what the view must show.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { readIdxFile } from '../../src/data/idx';
import { CLASS_NAMES } from '../../src/model/eval/classes';
import { readRunConfig, runPaths } from '../../src/runs';
import { loadLayersModelFrom } from '../../src/train/modelIo';
import { classifyLogits } from '../../src/webview/classify/predict';
import { prepareImage, topClasses } from '../../src/webview/classify/preprocess';
import { dismissToasts, runCommand, webviewFrame } from './ui';
import { waitFor } from './workspace';

const TEST_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const TEST_LABELS = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
const SIDE = 28;

/** One PNG chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An 8-bit grayscale PNG of `gray` (`side` x `side`), every row unfiltered. */
export function grayPng(gray: Uint8Array, side: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, colour type 0 (gray), deflate, no filter, no interlace
  const rows = Buffer.alloc(side * (side + 1));
  for (let y = 0; y < side; y++) rows.set(gray.subarray(y * side, (y + 1) * side), y * (side + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The newest run under `runsDir` that `backend` trained and that exported a TensorFlow.js model. */
async function newestModelRun(runsDir: string, backend: string): Promise<string> {
  const dirs = existsSync(runsDir) ? readdirSync(runsDir).sort().reverse() : [];
  for (const name of dirs) {
    const dir = path.join(runsDir, name);
    const config = await readRunConfig(dir).catch(() => undefined);
    if (config?.backend === backend && existsSync(path.join(runPaths(dir).model, 'model.json'))) return dir;
  }
  throw new Error(`no ${backend} run with an exported model under ${runsDir}`);
}

/** The top classes the view must list for `gray` with the run's model, as "Name 12.3%". */
async function expectedTop(runDir: string, gray: Uint8Array): Promise<string[]> {
  await tf.setBackend('cpu');
  const model = await loadLayersModelFrom(runPaths(runDir).model);
  const rgba = Uint8Array.from({ length: gray.length * 4 }, (_, i) => (i % 4 === 3 ? 255 : gray[i >> 2]));
  const { pixels } = prepareImage(rgba, SIDE, SIDE);
  const [, h, w] = model.inputs[0].shape as number[];
  const logits = classifyLogits(model, pixels, [h, w]);
  const top = topClasses(await logits.data(), 5);
  logits.dispose();
  model.dispose();
  return top.map((t) => `${CLASS_NAMES[t.label]} ${(100 * t.probability).toFixed(1)}%`);
}

/**
 * "NiN: Classify Image..." from the command palette on test image `index` (saved as a PNG in
 * `workspace`), with the model of the newest `backend` run under `runsDir` (the session's last
 * run, which the command takes without asking). Screenshot to `shot`.
 */
export async function classifyCheck(
  page: Page,
  opts: { workspace: string; runsDir: string; backend: string; index: number; shot: string },
): Promise<string> {
  const images = readIdxFile(TEST_IMAGES);
  const gray = images.data.subarray(opts.index * SIDE * SIDE, (opts.index + 1) * SIDE * SIDE);
  const file = path.join(opts.workspace, `fashion-test-${opts.index}.png`);
  writeFileSync(file, grayPng(gray, SIDE));
  const runDir = await newestModelRun(opts.runsDir, opts.backend);
  const expected = await expectedTop(runDir, gray);

  await dismissToasts(page);
  await runCommand(page, 'NiN: Classify Image...');
  // VS Code's own file dialog (a quick input with a path) in the browser: type the image's path.
  const input = page.locator('.quick-input-widget .quick-input-box input').first();
  await waitFor(
    'the file dialog',
    async () => ((await input.inputValue().catch(() => '')).includes('/') ? true : undefined),
    30_000,
  );
  await input.fill(file);
  await input.press('Enter');
  const view = await webviewFrame(page, '#root ol.top li', 'the classify view with its top classes', 120_000);
  const shown = (await view.locator('#root ol.top li').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  const error = await view.locator('#root .error').count();
  if (error) throw new Error(`the classify view shows an error: ${await view.locator('#root .error').innerText()}`);
  if (shown.length !== 5) throw new Error(`the view lists ${shown.length} classes: ${JSON.stringify(shown)}`);
  // The same classes in the same order, each percentage to the view's one decimal (rounding may differ by 0.1).
  const name = (s: string) => s.replace(/ [\d.]+%$/, '');
  const pct = (s: string) => Number(/([\d.]+)%$/.exec(s)?.[1]);
  shown.forEach((s, i) => {
    if (name(s) !== name(expected[i]) || !(Math.abs(pct(s) - pct(expected[i])) <= 0.1))
      throw new Error(
        `class ${i + 1}: the view shows ${JSON.stringify(s)}, the model gives ${JSON.stringify(expected[i])}`,
      );
  });
  await page.mouse.move(5, 450);
  await page.screenshot({ path: opts.shot });
  const label = CLASS_NAMES[readIdxFile(TEST_LABELS).data[opts.index]];
  return `${path.basename(file)} (label: ${label}) through ${path.basename(runDir)}'s model: ${shown.join(' | ')} (test-results/${path.basename(opts.shot)})`;
}
