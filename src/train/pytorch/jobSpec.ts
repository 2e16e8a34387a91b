/** The network spec as the Python side builds it: each Linear row also says its input features. */
import { inferShapes } from '../../model/shapes';
import { layerNames, type LayerSpec, type NinSpec } from '../../model/spec';

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
