/** The network as the Python side builds it: a spec whose Linear rows also say their input features, or the reader's code. */
import { inferShapes } from '../../model/shapes';
import { layerNames, specOf, type LayerSpec, type NinSpec } from '../../model/spec';
import { isCodeModel, type TrainConfig } from '../../protocol';
import { jobUserModel } from './userModel';

/** A spec row for Python: a Linear knows `inFeatures` (PyTorch's Linear needs it up front). */
export type JobLayer = LayerSpec | (Extract<LayerSpec, { kind: 'linear' }> & { readonly inFeatures: number });

/** The spec and row names a Python job carries. */
export function jobSpec(spec: NinSpec): { spec: Omit<NinSpec, 'layers'> & { layers: JobLayer[] }; rowNames: string[] } {
  const report = inferShapes(spec);
  if (report.error) throw new Error(report.error.message);
  const layers = spec.layers.map((l, i): JobLayer =>
    l.kind === 'linear' ? { ...l, inFeatures: report.layers[i].input[0] } : l,
  );
  return { spec: { ...spec, layers }, rowNames: layerNames(spec) };
}

/** What a Python job carries to build a model from the reader's code (python/nin_torch/user_model.py). */
export interface JobUserModel {
  readonly name: string;
  readonly file: string;
  readonly source: string;
  readonly input: readonly [number, number, number];
}

/** The network fields of a job: a spec, or a model from code (with its spec when it has one). */
export function jobNet(
  config: TrainConfig,
):
  | ReturnType<typeof jobSpec>
  | { spec: ReturnType<typeof jobSpec>['spec'] | null; rowNames: string[]; userModel: JobUserModel } {
  const m = config.model;
  if (!m || !isCodeModel(m)) return jobSpec(specOf(config));
  const userModel = jobUserModel(m);
  if (!m.layers) return { spec: null, rowNames: [], userModel };
  return { ...jobSpec({ preset: m.name, input: m.input, classes: 10, layers: m.layers }), userModel };
}
