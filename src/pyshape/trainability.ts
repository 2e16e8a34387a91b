/**
 * Whether each model the analyser found can be trained without running the reader's code (the
 * TensorFlow.js path of src/pyshape/toSpec.ts), and if not, why, as data: the code lens shows
 * the reason, and a model refused only for its own `forward` can be routed to the PyTorch path.
 * Pure (no vscode), so the unit tests read it directly.
 */
import type { ModelSource } from '../protocol';
import type { Analysis, ModelReport } from './analyse';
import { formatMessage } from './messages';
import { pickModelOrCode } from './codeModel';
import { pickModel } from './toSpec';

/**
 * Why the TensorFlow.js path refuses a model: its shapes do not resolve, it does not end in ten
 * class scores, it runs its own `forward()` (or an nn.ModuleList), its input is not a
 * one-channel square image, or a layer (or an argument) has no TensorFlow.js counterpart.
 */
export type RefusalKind = 'unresolved' | 'not-10-classes' | 'custom-forward' | 'input' | 'layer';

/** A model of a file as the editor offers it for training. */
export type ModelTrainability =
  | { readonly ok: true; readonly model: ModelSource }
  | { readonly ok: false; readonly kind: RefusalKind; readonly why: string };

/** One model of a file: where it is, and whether and how it trains. */
export interface LensModel {
  readonly report: ModelReport;
  readonly train: ModelTrainability;
  /**
   * Where the TensorFlow.js path refuses a model for its own forward() or a layer it lacks: the
   * model as the PyTorch engine builds it, by running the part of the code that makes it.
   */
  readonly code?: ModelSource;
}

/** Fashion-MNIST's classes: what a model must end in. */
const CLASSES = 10;

/** Why toSpec would say no, by what the analysis knows about the model (before asking toSpec). */
function kindOf(m: ModelReport): RefusalKind | undefined {
  if (m.output === null || m.output.some((d) => d === null)) return 'unresolved';
  if (m.output.length !== 1 || m.output[0] !== CLASSES) return 'not-10-classes';
  if (m.mod.kind === 'custom' || m.mod.kind === 'modulelist') return 'custom-forward';
  if (m.mod.kind === 'opaque') return 'unresolved';
  const [c, h, w] = m.input;
  if (m.input.length !== 3 || c !== 1 || h !== w) return 'input';
  return undefined;
}

/**
 * The first shape error inside the model (a Linear whose in_features do not fit): toSpec takes
 * sizes from the shapes, so it would build a network other than the code's.
 */
function shapeError(a: Analysis, m: ModelReport): string | undefined {
  for (const e of a.events) {
    if (e.root !== m.index) continue;
    const p = e.problems.find((x) => x.severity === 'error');
    if (p) return `${m.name}: line ${e.site.span.line + 1}: ${formatMessage(p.id, p.args)}`;
  }
  return undefined;
}

/** What the shapes say when toSpec has nothing to add (its refusal is preferred where it has one). */
function ownWhy(m: ModelReport, kind: RefusalKind): string {
  if (kind === 'unresolved') return `${m.name}: the shapes do not resolve`;
  if (kind === 'not-10-classes')
    return `${m.name}: ends in ${m.output!.join('x')}, not the ${CLASSES} class scores of Fashion-MNIST`;
  return `${m.name}: cannot be built without running its code`;
}

/**
 * Whether `m` (a model of `a`, the analysis of `source` in `file`) trains on the TensorFlow.js
 * path: its ModelSource, or the refusal with toSpec's reason.
 */
export function trainability(a: Analysis, m: ModelReport, file: string, source: string): ModelTrainability {
  const error = shapeError(a, m);
  if (error) return { ok: false, kind: 'unresolved', why: error };
  const early = kindOf(m);
  // Shapes that do not resolve or end elsewhere than in ten scores: no path can train it, and
  // toSpec's message would name a symptom (an unknown argument) rather than this.
  if (early === 'unresolved' || early === 'not-10-classes') return { ok: false, kind: early, why: ownWhy(m, early) };
  // This model alone: two models of one name (a name assigned twice) are each their own.
  const picked = pickModel({ ...a, models: [m] }, file, source);
  if (picked.ok) return picked;
  if (early) return { ok: false, kind: early, why: picked.why };
  return { ok: false, kind: /is not known/.test(picked.why) ? 'unresolved' : 'layer', why: picked.why };
}

/** How each model trains, computed where the analysis ran (the models' `mod` stays there). */
export interface Trainability {
  readonly train: ModelTrainability;
  readonly code?: ModelSource;
}

function trainabilityOf(a: Analysis, report: ModelReport, file: string, source: string): Trainability {
  const train = trainability(a, report, file, source);
  if (train.ok || (train.kind !== 'custom-forward' && train.kind !== 'layer')) return { train };
  const code = pickModelOrCode({ ...a, models: [report] }, file, source);
  return code.ok ? { train, code: code.model } : { train };
}

/**
 * Each model's trainability, for the worker to send with its analysis: a model's resolved
 * module (`mod`, non-enumerable) does not cross to the extension host, this does. The file is
 * filled in by the host (lensModels), which knows the document.
 */
export function trainabilities(a: Analysis, source: string): Trainability[] {
  return a.models.map((report) => trainabilityOf(a, report, '', source));
}

/** `t` with the model's file and source set. */
function located(t: Trainability, file: string, source: string): Trainability {
  const at = (m: ModelSource): ModelSource => ({ ...m, file, source });
  return {
    train: t.train.ok ? { ok: true, model: at(t.train.model) } : t.train,
    ...(t.code ? { code: at(t.code) } : {}),
  };
}

/**
 * Every model of an analysis with its trainability (the code lens, the commands' quick pick):
 * from the worker's `trainability` where the analysis came from it, else computed here.
 */
export function lensModels(a: Analysis, file: string, source: string): LensModel[] {
  return a.models.map((report, i) => {
    const pre = a.trainability?.[i];
    return { report, ...(pre ? located(pre, file, source) : trainabilityOf(a, report, file, source)) };
  });
}
