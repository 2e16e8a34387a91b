/**
 * Every string the training panel's webview shows, localized here with vscode.l10n (the
 * webview cannot call it): sent in the `init` message keyed by the English text. Both lists are
 * literal so a unit test can read them: it checks they match the webview's `s('...')` calls and
 * src/model/diagram.ts's labels, and that each has a Simplified Chinese translation.
 */
import * as vscode from 'vscode';
import { CLASS_NAMES } from '../../model/eval/classes';

/** The English text of every string the webview shows but the class names, each once. */
export const WEBVIEW_STRINGS = [
  '{n}FLOPs',
  'no FLOPs',
  '{backend} backend ({reason}); {params} parameters, {train} training and {test} test images, batch {batch}',
  'Bars: upper, share of the parameters; lower, share of the FLOPs.',
  '{n} parameters',
  '{preset} preset, input {input}: {params} parameters, {flops} per image (forward)',
  'no parameters',
  'Without fully connected layers',
  'Assumed alternative: keep the network up to {block}, flatten its {shape} input ({features} values) and classify with an AlexNet-style head: Linear({features}, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, {classes}).',
  'NiN (global average pooling)',
  'classifier {n}',
  'With a fully connected head',
  'head {n}',
  'The fully connected version has {ratio}× the parameters; its head alone costs {flops} per image.',
  'The confusion matrix and sample predictions appear when an epoch has been evaluated on the test set.',
  'Row-normalised (share of each true class)',
  'Only mistakes',
  'Class',
  'All classes',
  'Confusion matrix (rows: true class, columns: predicted)',
  'Most confused pairs',
  'Test images with the network’s answer',
  'Test accuracy {acc} after epoch {epoch} ({n} test images)',
  'true \\ predicted',
  'Accuracy',
  '{true} predicted as {pred}: {count} ({rate} of {true})',
  '{true} → {pred}: {count} ({rate} of {true})',
  'No mistakes.',
  '{shown} of {total} sampled test images',
  'true: {c}',
  'predicted: {c} ({conf})',
  'Test image {i}',
  'mistake',
  'Train',
  'Stop',
  'Resume',
  'Open Run...',
  'Epoch',
  'Batch',
  'Loss (smoothed)',
  'Train accuracy',
  'Test accuracy',
  'Images/s',
  'ETA',
  'Backend',
  'NiN training panel',
  'Training',
  'Architecture',
  'Evaluation',
  'Runs',
  'Training loss per batch',
  'epoch',
  'loss',
  'smoothed',
  'train (running, per batch)',
  'train (epoch)',
  'test (epoch)',
  'Throughput (images/s)',
  'images/s',
  'no run',
  'preparing',
  'training',
  'finished',
  'stopped',
  'failed',
  'diverged',
  'done',
  'model exported as TensorFlow.js',
  'model exported as a PyTorch state dict',
  '{n} points; last loss {loss}, smoothed {smooth}',
  'last {ips} images/s',
  'epoch {e}: train {train}, test {test}',
  '{n} malformed lines of the metrics log were skipped (details in the NiN output channel).',
  'unknown recipe',
  '{n} epochs',
  'batch {n}',
  '{n} training images',
  'incomplete',
  'Refresh',
  'Overlay selected runs',
  'Test accuracy per epoch (overlay)',
  'Training loss per epoch (overlay)',
  '{n} selected; pick two or more to overlay their curves.',
  'No runs yet in the runs folder.',
  'Run',
  'Recipe',
  'Epochs',
  'Final test accuracy',
  'Status',
  'Select {run}',
  'Show',
  'Show {run} in the panel',
] as const;

/** English text -> localized text, for the webview; the class names are the model's own list. */
export function webviewStrings(): Record<string, string> {
  return Object.fromEntries([...WEBVIEW_STRINGS, ...CLASS_NAMES].map((en) => [en, vscode.l10n.t(en)]));
}

/**
 * The diagram's labels (src/model/diagram.ts) through vscode.l10n. Listed literally so that
 * l10n tooling and the unit test find them (diagramLayout calls the translator with these
 * templates and their arguments); never called at run time.
 */
export const diagramLabels = (): readonly string[] => [
  vscode.l10n.t('NiN block {n}'),
  vscode.l10n.t('Max pooling {k}×{k}, stride {s}'),
  vscode.l10n.t('Dropout {rate}'),
  vscode.l10n.t('Global average pooling'),
  vscode.l10n.t('Flatten'),
  vscode.l10n.t('{k}×{k} conv + two 1×1 convs (fully connected per pixel)'),
  vscode.l10n.t('{k}×{k} conv + one 1×1 conv (fully connected per pixel)'),
  vscode.l10n.t('{k}×{k} conv without 1×1 convs (a plain conv layer)'),
  vscode.l10n.t('Average pooling {k}×{k}, stride {s}'),
  vscode.l10n.t('{k}×{k} conv, {c} channels, stride {s}, pad {p}'),
  vscode.l10n.t('Fully connected, {n} outputs'),
  vscode.l10n.t('Batch normalization'),
  vscode.l10n.t('no activation of its own'),
  vscode.l10n.t('a weight for every input and output'),
  vscode.l10n.t('element-wise; no parameters'),
  vscode.l10n.t('normalizes each channel over the batch, then scales and shifts it'),
  vscode.l10n.t('one vector for the fully connected layers'),
  vscode.l10n.t('keeps channels, shrinks height and width; no parameters'),
  vscode.l10n.t('active only while training; no parameters'),
  vscode.l10n.t('one channel per class, averaged: replaces FC layers'),
  vscode.l10n.t('one score per class'),
  vscode.l10n.t('Input image'),
  vscode.l10n.t('Fashion-MNIST 28×28, resized to {h}×{w}'),
  vscode.l10n.t('1×1 conv, {c} channels + ReLU'),
  vscode.l10n.t('{k}×{k} conv, {c} channels, stride {s}, pad {p} + ReLU'),
  vscode.l10n.t('{n} class scores'),
  vscode.l10n.t('softmax cross-entropy against the label'),
];

/** The translator diagramLayout uses on the host: vscode.l10n with named arguments. */
export function translateDiagram(message: string, args: Record<string, string | number>): string {
  return vscode.l10n.t(message, args);
}
