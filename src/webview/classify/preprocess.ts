/**
 * An arbitrary photo made into what the network was trained on: a 28x28 grayscale image in
 * [0, 1] with a light garment on a dark background, like Fashion-MNIST. Pure arithmetic on
 * pixel arrays (the webview decodes the PNG/JPEG with the browser), so it is unit-tested.
 */

/** Side of a Fashion-MNIST image. */
export const MNIST_SIDE = 28;

/** RGBA bytes to gray in [0, 1] (ITU-R 601 luma), transparent pixels composited over white. */
export function toGray(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const a = rgba[4 * i + 3] / 255;
    const luma = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    out[i] = a * luma + (1 - a);
  }
  return out;
}

/** Mean of the outermost ring of pixels: the background's brightness. */
export function borderMean(gray: ArrayLike<number>, width: number, height: number): number {
  let sum = 0;
  let n = 0;
  for (let x = 0; x < width; x++) {
    sum += gray[x] + (height > 1 ? gray[(height - 1) * width + x] : 0);
    n += height > 1 ? 2 : 1;
  }
  for (let y = 1; y < height - 1; y++) {
    sum += gray[y * width] + (width > 1 ? gray[y * width + width - 1] : 0);
    n += width > 1 ? 2 : 1;
  }
  return n ? sum / n : 0;
}

/**
 * Fit the image inside a side x side square keeping its aspect ratio (centered, the rest filled
 * with `fill`), averaging the source pixels each target pixel covers (box filter: no aliasing
 * when a large photo shrinks to 28x28).
 */
export function fitSquare(
  gray: ArrayLike<number>,
  width: number,
  height: number,
  side = MNIST_SIDE,
  fill = 0,
): Float32Array {
  const out = new Float32Array(side * side).fill(fill);
  const scale = side / Math.max(width, height);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const ox = Math.floor((side - w) / 2);
  const oy = Math.floor((side - h) / 2);
  for (let ty = 0; ty < h; ty++) {
    const y0 = (ty * height) / h;
    const y1 = ((ty + 1) * height) / h;
    for (let tx = 0; tx < w; tx++) {
      const x0 = (tx * width) / w;
      const x1 = ((tx + 1) * width) / w;
      // source pixels overlapping [x0, x1) x [y0, y1), weighted by the overlap
      let sum = 0;
      let area = 0;
      for (let sy = Math.floor(y0); sy < Math.min(height, Math.ceil(y1)); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.min(width, Math.ceil(x1)); sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          sum += wx * wy * gray[sy * width + sx];
          area += wx * wy;
        }
      }
      out[(oy + ty) * side + ox + tx] = area > 0 ? sum / area : fill;
    }
  }
  return out;
}

/** The network's view of an image; `invert` undefined = decide from the background. */
export function prepareImage(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  invert?: boolean,
): { pixels: Float32Array; inverted: boolean } {
  if (!(width > 0 && height > 0) || rgba.length < 4 * width * height)
    throw new Error(`image data does not match ${width}x${height}`);
  let gray = toGray(rgba, width, height);
  const inverted = invert ?? borderMean(gray, width, height) > 0.5;
  if (inverted) gray = gray.map((v) => 1 - v);
  return { pixels: fitSquare(gray, width, height, MNIST_SIDE, 0), inverted };
}

/** Softmax of logits and the k most probable classes, most probable first. */
export function topClasses(logits: ArrayLike<number>, k = 5): { label: number; probability: number }[] {
  const max = Math.max(...Array.from(logits));
  const exps = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps
    .map((e, label) => ({ label, probability: e / sum }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k);
}
