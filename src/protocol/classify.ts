/**
 * "NiN: Classify Image..." view <-> host: the host checks the image and the model files and
 * sends them; the webview decodes the image, prepares it like Fashion-MNIST and runs the model
 * (TensorFlow.js on the webview's CPU: the extension host never loads it).
 */
import { arrayOf, int, isBool, isNum, isRec, isStr, recordOf, shape, union, where, type Validated } from './checks';

/** Host -> classify view: everything needed to classify one image. */
export interface ClassifyInputMessage {
  readonly type: 'input';
  readonly fileName: string;
  /** The image file as a data: URL (PNG or JPEG). */
  readonly image: string;
  readonly model: {
    readonly modelTopology: unknown;
    readonly weightSpecs: readonly {
      readonly name: string;
      readonly shape: readonly number[];
      readonly dtype: string;
    }[];
    /** All weight shards concatenated in manifest order, base64. */
    readonly weightData: string;
  };
  /** Model input without the batch dimension (NHWC). */
  readonly inputShape: readonly number[];
  readonly classNames: readonly string[];
  readonly strings: Readonly<Record<string, string>>;
}

/** Classify view -> host. */
export type ClassifyToHost =
  | { readonly type: 'ready' }
  | {
      readonly type: 'result';
      readonly top: readonly { readonly label: number; readonly probability: number }[];
      readonly inverted: boolean;
    }
  | { readonly type: 'error'; readonly message: string };

const checkViewMessage = union<ClassifyToHost>('classify message', {
  ready: {},
  result: {
    top: arrayOf(
      shape('class', { label: where(int(), (l) => l < 10), probability: where(isNum, (p) => p >= 0 && p <= 1) }),
      0,
      10,
    ),
    inverted: isBool,
  },
  error: { message: where(isStr, (v) => v.length < 2000) },
});

/** Validate a message from the classify webview. */
export function validateClassifyMessage(v: unknown): Validated<ClassifyToHost> {
  return checkViewMessage(v);
}

const isDims = arrayOf(int());
const checkInput = union<ClassifyInputMessage>('classify input', {
  input: {
    fileName: isStr,
    image: where(isStr, (x) => /^data:image\/(png|jpeg);base64,/.test(x)),
    model: shape('model', {
      modelTopology: isRec,
      weightSpecs: arrayOf(shape('weight', { name: isStr, shape: isDims, dtype: isStr })),
      weightData: isStr,
    }),
    inputShape: where(isDims, (x) => x.length === 3),
    classNames: arrayOf(isStr, 10, 10),
    strings: recordOf(isStr),
  },
});

/** Validate the host's input message, in the classify webview. */
export function validateClassifyInput(v: unknown): Validated<ClassifyInputMessage> {
  return checkInput(v);
}
