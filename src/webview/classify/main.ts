/**
 * "NiN: Classify Image..." view (browser code): decodes the image with the browser, prepares it
 * like Fashion-MNIST (preprocess.ts), resizes it bilinearly to the model's input as the training
 * batches are, runs the model with TensorFlow.js on the CPU backend, and shows the top classes.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { validateClassifyInput, type ClassifyInputMessage, type ClassifyToHost } from '../../protocol/index';
import { classifyLogits, loadPayloadModel } from './predict';
import { MNIST_SIDE, prepareImage, topClasses } from './preprocess';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;
const send = (m: ClassifyToHost): void => vscode.postMessage(m);

let model: tfl.LayersModel | undefined;
let input: ClassifyInputMessage | undefined;
let rgba: { data: Uint8ClampedArray; width: number; height: number } | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function decode(dataUrl: string): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const img = new Image();
  img.src = dataUrl;
  await img.decode();
  // Large photos are first drawn at most 512 px wide (the box filter then averages to 28x28).
  const scale = Math.min(1, 512 / Math.max(img.naturalWidth, img.naturalHeight));
  const width = Math.max(1, Math.round(img.naturalWidth * scale));
  const height = Math.max(1, Math.round(img.naturalHeight * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(img, 0, 0, width, height);
  return { data: ctx.getImageData(0, 0, width, height).data, width, height };
}

function drawPixels(pixels: Float32Array): HTMLCanvasElement {
  const c = el('canvas', 'seen');
  c.width = MNIST_SIDE;
  c.height = MNIST_SIDE;
  const ctx = c.getContext('2d');
  if (ctx) {
    const im = ctx.createImageData(MNIST_SIDE, MNIST_SIDE);
    pixels.forEach((v, i) => {
      const g = Math.round(255 * v);
      im.data.set([g, g, g, 255], 4 * i);
    });
    ctx.putImageData(im, 0, 0);
  }
  return c;
}

async function classify(invert?: boolean): Promise<void> {
  if (!input || !rgba || !model) return;
  const s = input.strings;
  const { pixels, inverted } = prepareImage(rgba.data, rgba.width, rgba.height, invert);
  const [h, w] = input.inputShape;
  const logits = classifyLogits(model, pixels, [h, w]);
  const top = topClasses(await logits.data(), 5);
  logits.dispose();

  const frag = document.createDocumentFragment();
  frag.append(el('h2', '', input.fileName));
  const images = el('div', 'images');
  const original = el('figure');
  const img = el('img');
  img.src = input.image;
  img.alt = input.fileName;
  original.append(img, el('figcaption', '', s.original));
  const seen = el('figure');
  seen.append(drawPixels(pixels), el('figcaption', '', s.seen));
  images.append(original, seen);
  frag.append(images);

  const toggle = el('label', 'toggle');
  const box = el('input');
  box.type = 'checkbox';
  box.checked = inverted;
  box.addEventListener('change', () => void classify(box.checked).catch(fail));
  toggle.append(box, document.createTextNode(` ${s.invert}`));
  frag.append(toggle);
  if (inverted && invert === undefined) frag.append(el('p', 'note', s.invertedNote));

  const list = el('ol', 'top');
  list.setAttribute('aria-label', s.top);
  for (const t of top) {
    const li = el('li');
    const name = el('span', 'name', input.classNames[t.label]);
    const bar = el('span', 'bar');
    const fillBar = el('span', 'fill');
    fillBar.style.width = `${(100 * t.probability).toFixed(1)}%`;
    bar.append(fillBar);
    li.append(name, bar, el('span', 'p', `${(100 * t.probability).toFixed(1)}%`));
    list.append(li);
  }
  frag.append(el('h3', '', s.top), list);
  root.replaceChildren(frag);
  send({ type: 'result', top, inverted });
}

function fail(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  root.replaceChildren(el('p', 'error', message));
  send({ type: 'error', message });
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const v = validateClassifyInput(event.data);
  if (!v.ok) {
    console.warn(`NiN classify: ignored a message: ${v.error}`);
    return;
  }
  input = v.value;
  root.replaceChildren(el('p', '', input.strings.loading));
  void (async () => {
    await tf.setBackend('cpu');
    const m = input.model;
    model?.dispose();
    model = await loadPayloadModel(m);
    rgba = await decode(input.image);
    await classify();
  })().catch(fail);
});

send({ type: 'ready' });
