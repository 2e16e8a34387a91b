/**
 * A model for the PyTorch path: one the analyser finds but cannot build statically (a class
 * with its own forward(), an nn.ModuleList, a layer TensorFlow.js has no counterpart for), to
 * be built by running the part of the reader's code that makes it (python/nin_torch/
 * user_model.py). The analysis still gives what it resolves: the input, the output, the
 * parameter count and the shapes through forward(), for the start event and the diagram.
 */
import type { ModelLayerShape, ModelSource } from '../protocol';
import type { Analysis, ModelReport } from './analyse';
import { annotatedEvents } from './report';
import { pickModel, type ModelPick } from './toSpec';
import { formatShape } from './values';

/** The depth-0 layers and ops the analyser followed through the model, with known shapes. */
function layerShapes(a: Analysis, m: ModelReport): ModelLayerShape[] {
  const out: ModelLayerShape[] = [];
  for (const e of annotatedEvents(a)) {
    if (e.root !== m.index || e.depth !== 0 || !e.output || e.output.some((d) => d === null)) continue;
    const kind = e.layer ?? e.site.callee.split('.').pop() ?? e.kind;
    out.push({ name: e.site.callee, kind, output: e.output as number[], params: e.params ?? 0 });
  }
  return out;
}

/** Why a model that the analysis could build is built by its code: the user asked. */
export const CODE_ASKED = 'asked to build it by running its code (its own initialisation included)';

/**
 * The model `name` (or the only one) to train: built from the analysis where it can be
 * (pickModel), else from its code with the reason; refused when its input is not a 1-channel
 * square image or its resolved output is not 10 class scores. With `preferCode`, a model the
 * analysis builds is built by its code too, keeping its layers (the export can then be
 * TensorFlow.js when the code's network proves to be the same).
 */
export function pickModelOrCode(
  a: Analysis,
  file: string,
  source: string,
  name?: string,
  preferCode = false,
): ModelPick {
  const spec = pickModel(a, file, source, name);
  if (spec.ok && preferCode) return { ok: true, model: { ...spec.model, build: 'code', why: CODE_ASKED } };
  if (spec.ok) return spec;
  const m =
    name === undefined ? (a.models.length === 1 ? a.models[0] : undefined) : a.models.find((x) => x.name === name);
  if (!m) return spec;
  const [c, h, w] = m.input;
  const refuse = (why: string): ModelPick => ({
    ok: false,
    why: `${spec.why}; and PyTorch cannot train it either: ${m.name}: ${why}`,
  });
  if (m.input.length !== 3 || h === null || h !== w)
    return refuse(`input ${formatShape(m.input)} is not a square image`);
  if (c !== 1) return refuse(`takes ${c} channels; Fashion-MNIST images have 1`);
  if (m.output && (m.output.length !== 1 || m.output[0] !== 10))
    return refuse(`its output is ${formatShape(m.output)}, not 10 class scores`);
  const model: ModelSource = {
    name: m.name,
    file,
    source,
    input: [1, h, h],
    build: 'code',
    why: spec.why.startsWith(`${m.name}: `) ? spec.why.slice(m.name.length + 2) : spec.why,
    shapes: layerShapes(a, m),
    params: m.params ?? 0,
  };
  return { ok: true, model };
}
