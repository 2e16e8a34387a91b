/**
 * The in-thread BatchTrainer: one tfjs layers model on the selected backend, stepped with
 * `optimizer.minimize` inside `tf.tidy`, so a step leaves no tensors behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '../backends/backend';
import { buildNetwork, crossEntropy, seedDropout } from '../model/network';
import type { OptimizerName } from '../protocol';
import type { BatchTrainer, NamedArray, Predictions, StepResult, TrainerOptions, TrainerState } from './batchTrainer';
import { predictClasses, saveLayersModel } from './modelIo';

/** The tfjs optimizer for a recipe (momentum 0.9 as in d2l's and PyTorch's usual recipes). */
export function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, 0.9);
    case 'adam':
      return tf.train.adam(lr);
  }
}

function toNamed(name: string, t: tf.Tensor): NamedArray {
  return { name, shape: [...t.shape], values: Float32Array.from(t.dataSync() as ArrayLike<number>) };
}

function shapeText(s: readonly (number | null)[]): string {
  return `[${s.join(',')}]`;
}

/** The draw seed of weight `i`: never 0, which tfjs takes as "unseeded" (Math.random). */
const weightSeed = (seed: number, i: number): number => seed * 1000 + i + 1;

/** Fan-in and fan-out of a conv (HWIO) or dense ([in, out]) kernel. */
function fans(shape: readonly number[]): [number, number] {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [receptive * shape[shape.length - 2], receptive * shape[shape.length - 1]];
}

/**
 * Initialise as the article's code does, reproducibly from `seed`: every conv and linear
 * kernel Xavier-uniform (d2l's `init_weights`), every bias PyTorch's default U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)) — d2l leaves biases at that default. Zero biases (tfjs's default) let the
 * article's SGD lr 0.1 kill every ReLU of the last block within ~15 batches (seed at 96x96).
 * Other weights (batch norm's scale, offset and statistics) keep their PyTorch-equal defaults.
 */
export function seedWeights(model: tfl.LayersModel, seed: number): void {
  let fanIn = 1;
  const values = model.weights.map((w, i) => {
    const t = w.read();
    const role = w.originalName.split('/').pop();
    if (role === 'kernel') {
      const [fi, fo] = fans(t.shape);
      fanIn = fi;
      const limit = Math.sqrt(6 / (fi + fo));
      return tf.randomUniform(t.shape, -limit, limit, 'float32', weightSeed(seed, i));
    }
    if (role === 'bias') {
      // A layer's bias follows its kernel in the weight list.
      const bound = 1 / Math.sqrt(fanIn);
      return tf.randomUniform(t.shape, -bound, bound, 'float32', weightSeed(seed, i));
    }
    return tf.clone(t);
  });
  model.setWeights(values);
  tf.dispose(values);
}

/** Training in this thread with tfjs. */
export class TfjsTrainer implements BatchTrainer {
  private readonly vars: tf.Variable[];
  private readonly hwc: [number, number, number];

  private constructor(
    readonly backend: BatchTrainer['backend'],
    readonly backendReason: string,
    private readonly model: tfl.LayersModel,
    private optimizer: tf.Optimizer,
    private readonly options: TrainerOptions,
  ) {
    // Only this model's variables: other models may be alive in the same engine (tests, eval).
    this.vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const [c, h, w] = options.spec.input;
    this.hwc = [h, w, c];
  }

  /** Select the backend, build the network and its optimizer. */
  static async create(options: TrainerOptions): Promise<TfjsTrainer> {
    const choice = await selectBackend(options.backend);
    const { model } = buildNetwork(options.spec);
    seedWeights(model, options.seed);
    return new TfjsTrainer(choice.name, choice.reason, model, makeOptimizer(options.optimizer, options.lr), options);
  }

  private input(x: Float32Array, n: number): tf.Tensor4D {
    const [h, w, c] = this.hwc;
    if (x.length !== n * h * w * c)
      throw new Error(`batch of ${n} needs ${n * h * w * c} pixels (${h}x${w}x${c}), got ${x.length}`);
    return tf.tensor4d(x, [n, h, w, c]);
  }

  async step(x: Float32Array, labels: Int32Array, n: number, seed: number): Promise<StepResult> {
    seedDropout(this.model, seed);
    let correct: tf.Scalar | undefined;
    const loss = tf.tidy(() => {
      const xs = this.input(x, n);
      const ys = tf.tensor1d(labels.subarray(0, n), 'int32');
      return this.optimizer.minimize(
        () => {
          const logits = this.model.apply(xs, { training: true }) as tf.Tensor2D;
          // Kept out of both the gradient tape's and this tidy's clean-up; disposed below.
          correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), ys), 'int32')) as tf.Scalar);
          return crossEntropy(ys, logits);
        },
        true,
        this.vars,
      ) as tf.Scalar;
    });
    try {
      const [l, c] = await Promise.all([loss.data(), correct!.data()]);
      return { loss: l[0], correct: c[0] };
    } finally {
      tf.dispose([loss, correct!]);
    }
  }

  predict(x: Float32Array, n: number): Promise<Predictions> {
    return predictClasses(this.model, () => this.input(x, n));
  }

  async getState(): Promise<TrainerState> {
    const weights = this.model.weights.map((w) => toNamed(w.originalName, w.read()));
    const slots = await this.optimizer.getWeights();
    const optimizer = slots.map((s) => toNamed(s.name, s.tensor));
    // getWeights() returns a fresh `iter` scalar; the slot variables themselves stay owned by the optimizer.
    if (slots.length) slots[0].tensor.dispose();
    return { weights, optimizer };
  }

  async setState(state: TrainerState): Promise<void> {
    const ws = this.model.weights;
    if (state.weights.length !== ws.length)
      throw new Error(`state has ${state.weights.length} weights, the model ${ws.length}`);
    const values = ws.map((w, i) => {
      const s = state.weights[i];
      if (s.name !== w.originalName || shapeText(s.shape) !== shapeText(w.shape)) {
        throw new Error(
          `weight ${i}: state has ${s.name} ${shapeText(s.shape)}, the model ${w.originalName} ${shapeText(w.shape)}`,
        );
      }
      return tf.tensor(s.values, [...s.shape]);
    });
    this.model.setWeights(values);
    tf.dispose(values);
    if (state.optimizer.length) {
      // A fresh optimizer: setWeights replaces its slots, which are then owned by it.
      this.optimizer.dispose();
      this.optimizer = makeOptimizer(this.options.optimizer, this.options.lr);
      const slots = state.optimizer.map((s) => ({ name: s.name, tensor: tf.tensor(s.values, [...s.shape]) }));
      await this.optimizer.setWeights(slots);
      tf.dispose(slots.map((s) => s.tensor));
    }
  }

  async saveModel(dir: string): Promise<void> {
    await saveLayersModel(this.model, dir);
  }

  liveTensors(): number {
    return tf.memory().numTensors;
  }

  async dispose(): Promise<void> {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** The default factory: the in-thread tfjs trainer. */
export const createTfjsTrainer = (options: TrainerOptions): Promise<BatchTrainer> => TfjsTrainer.create(options);
