/**
 * What the architecture side view shows, computed from the settings by the shape inference:
 * one row per layer with shapes, parameters and FLOPs; a collapsing configuration becomes an
 * error on the row where it breaks and the rows after it are marked unreached. No `vscode`
 * import: texts come through the injected translator.
 */
import type { SideViewRow, SideViewState } from '../../protocol/index';
import { inferShapes } from '../../model/shapes';
import { layerNames, presetSpec, type LayerSpec } from '../../model/spec';
import type { Translate, TrainingSettings } from '../settings';

/** `11×11 conv, stride 4, pad 0 → 1×1 conv → 1×1 conv`, localized. */
export function layerDetail(l: LayerSpec, t: Translate): string {
  switch (l.kind) {
    case 'nin_block':
      return l.mlpConvs === 0
        ? t(
            '{0}×{0} conv (stride {1}, padding {2}), {3} channels, with ReLU; no 1×1 convs',
            l.kernel,
            l.stride,
            l.padding,
            l.outChannels,
          )
        : l.mlpConvs === 1
          ? t(
              '{0}×{0} conv (stride {1}, padding {2}) → 1×1 conv, {3} channels, each with ReLU',
              l.kernel,
              l.stride,
              l.padding,
              l.outChannels,
            )
          : t(
              '{0}×{0} conv (stride {1}, padding {2}) → 1×1 conv → 1×1 conv, {3} channels, each with ReLU',
              l.kernel,
              l.stride,
              l.padding,
              l.outChannels,
            );
    case 'conv':
      return t('{0}×{0} conv (stride {1}, padding {2}), {3} channels', l.kernel, l.stride, l.padding, l.outChannels);
    case 'avgpool':
      return t('{0}×{0} window, stride {1}', l.kernel, l.stride);
    case 'linear':
      return t('{0} outputs, each a weighted sum of every input', l.outFeatures);
    case 'activation':
      return t('applied to every element');
    case 'batchnorm':
      return t('normalizes each channel over the batch');
    case 'maxpool':
      return t('{0}×{0} window, stride {1}', l.kernel, l.stride);
    case 'dropout':
      return t('drops {0}% of the activations while training', Math.round(l.rate * 100));
    case 'gap':
      return t('averages each channel to one score: no fully connected layer');
    case 'flatten':
      return t('channels become the class scores');
  }
}

/** `NiN block 1`, `Max pooling 2`, `Global average pooling`, localized. */
export function layerLabel(l: LayerSpec, name: string, t: Translate): string {
  const n = /_(\d+)$/.exec(name)?.[1] ?? '';
  switch (l.kind) {
    case 'nin_block':
      return t('NiN block {0}', n);
    case 'maxpool':
      return t('Max pooling {0}', n);
    case 'avgpool':
      return t('Average pooling {0}', n);
    case 'conv':
      return t('Convolution {0}', n);
    case 'linear':
      return t('Fully connected {0}', n);
    case 'activation':
      return { relu: 'ReLU', sigmoid: 'Sigmoid', tanh: 'Tanh' }[l.fn];
    case 'batchnorm':
      return t('Batch normalization');
    case 'dropout':
      return t('Dropout');
    case 'gap':
      return t('Global average pooling');
    case 'flatten':
      return t('Flatten');
  }
}

/** The UI texts the webview needs (it has no localization of its own). */
export function sideViewStrings(t: Translate): Record<string, string> {
  return {
    input: t('Input'),
    params: t('parameters'),
    flops: t('FLOPs'),
    total: t('Total'),
    reveal: t('Show this block in the training panel'),
    unreached: t('not reached'),
    collapse: t('Shapes collapse'),
    issues: t('Invalid settings (defaults used)'),
    openSettings: t('Open Settings'),
    train: t('Train...'),
    running: t('Training in progress'),
    empty: t('Loading…'),
  };
}

/** The side view's state for these settings. */
export function buildSideViewState(
  settings: Pick<TrainingSettings, 'preset' | 'input'>,
  issues: readonly string[],
  running: boolean,
  t: Translate,
): SideViewState {
  const spec = presetSpec(settings.preset, settings.input);
  const report = inferShapes(spec);
  const names = layerNames(spec);
  const err = report.error;
  const rows: SideViewRow[] = spec.layers.map((l, index) => {
    const computed = report.layers[index];
    const base = {
      index,
      name: names[index],
      kind: l.kind,
      label: layerLabel(l, names[index], t),
      detail: layerDetail(l, t),
    };
    if (err && index === err.layerIndex) {
      const input = computed?.input ?? (index > 0 ? report.layers[index - 1]?.output : spec.input) ?? [];
      return {
        ...base,
        input: [...input],
        output: computed ? [...computed.output] : [],
        params: computed?.params ?? 0,
        flops: computed?.flops ?? 0,
        status: 'error',
        error: err.message,
      };
    }
    if (!computed || (err && index > err.layerIndex))
      return { ...base, input: [], output: [], params: 0, flops: 0, status: 'unreached' };
    return {
      ...base,
      input: [...computed.input],
      output: [...computed.output],
      params: computed.params,
      flops: computed.flops,
      status: 'ok',
    };
  });
  return {
    preset: settings.preset,
    input: [...spec.input],
    rows,
    params: report.params,
    flops: report.flops,
    error: err
      ? t('The network collapses at {0} for a {1}×{1} input: {2}', err.name, settings.input, err.message)
      : undefined,
    issues: [...issues],
    running,
    strings: sideViewStrings(t),
  };
}
