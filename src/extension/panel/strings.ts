/**
 * Every string the training panel's webview shows, localized here with vscode.l10n (the
 * webview cannot call it): sent in the `init` message keyed by the English text. The lists are
 * literal calls so l10n tooling finds them; a unit test checks they match the webview's `s('...')`
 * calls and src/model/diagram.ts's labels, and that each has a Simplified Chinese translation.
 */
import * as vscode from 'vscode';

/** English text -> localized text, for the webview. */
export function webviewStrings(): Record<string, string> {
  const t = (en: string, localized: string): [string, string] => [en, localized];
  return Object.fromEntries([
    t('{n}FLOPs', vscode.l10n.t('{n}FLOPs')),
    t('no FLOPs', vscode.l10n.t('no FLOPs')),
    t(
      '{backend} backend ({reason}); {params} parameters, {train} training and {test} test images, batch {batch}',
      vscode.l10n.t(
        '{backend} backend ({reason}); {params} parameters, {train} training and {test} test images, batch {batch}',
      ),
    ),
    t(
      'Bars: upper, share of the parameters; lower, share of the FLOPs.',
      vscode.l10n.t('Bars: upper, share of the parameters; lower, share of the FLOPs.'),
    ),
    t('{n} parameters', vscode.l10n.t('{n} parameters')),
    t(
      '{preset} preset, input {input}: {params} parameters, {flops} per image (forward)',
      vscode.l10n.t('{preset} preset, input {input}: {params} parameters, {flops} per image (forward)'),
    ),
    t('no parameters', vscode.l10n.t('no parameters')),
    t('Without fully connected layers', vscode.l10n.t('Without fully connected layers')),
    t(
      'Assumed alternative: keep the network up to {block}, flatten its {shape} input ({features} values) and classify with an AlexNet-style head: Linear({features}, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, {classes}).',
      vscode.l10n.t(
        'Assumed alternative: keep the network up to {block}, flatten its {shape} input ({features} values) and classify with an AlexNet-style head: Linear({features}, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, {classes}).',
      ),
    ),
    t('NiN (global average pooling)', vscode.l10n.t('NiN (global average pooling)')),
    t('classifier {n}', vscode.l10n.t('classifier {n}')),
    t('With a fully connected head', vscode.l10n.t('With a fully connected head')),
    t('head {n}', vscode.l10n.t('head {n}')),
    t(
      'The fully connected version has {ratio}× the parameters; its head alone costs {flops} per image.',
      vscode.l10n.t('The fully connected version has {ratio}× the parameters; its head alone costs {flops} per image.'),
    ),
    t(
      'The confusion matrix and sample predictions appear when an epoch has been evaluated on the test set.',
      vscode.l10n.t(
        'The confusion matrix and sample predictions appear when an epoch has been evaluated on the test set.',
      ),
    ),
    t('Row-normalised (share of each true class)', vscode.l10n.t('Row-normalised (share of each true class)')),
    t('Only mistakes', vscode.l10n.t('Only mistakes')),
    t('Class', vscode.l10n.t('Class')),
    t('All classes', vscode.l10n.t('All classes')),
    t(
      'Confusion matrix (rows: true class, columns: predicted)',
      vscode.l10n.t('Confusion matrix (rows: true class, columns: predicted)'),
    ),
    t('Most confused pairs', vscode.l10n.t('Most confused pairs')),
    t('Test images with the network’s answer', vscode.l10n.t('Test images with the network’s answer')),
    t(
      'Test accuracy {acc} after epoch {epoch} ({n} test images)',
      vscode.l10n.t('Test accuracy {acc} after epoch {epoch} ({n} test images)'),
    ),
    t('true \\ predicted', vscode.l10n.t('true \\ predicted')),
    t('Accuracy', vscode.l10n.t('Accuracy')),
    t(
      '{true} predicted as {pred}: {count} ({rate} of {true})',
      vscode.l10n.t('{true} predicted as {pred}: {count} ({rate} of {true})'),
    ),
    t('{true} → {pred}: {count} ({rate} of {true})', vscode.l10n.t('{true} → {pred}: {count} ({rate} of {true})')),
    t('No mistakes.', vscode.l10n.t('No mistakes.')),
    t('{shown} of {total} sampled test images', vscode.l10n.t('{shown} of {total} sampled test images')),
    t('true: {c}', vscode.l10n.t('true: {c}')),
    t('predicted: {c} ({conf})', vscode.l10n.t('predicted: {c} ({conf})')),
    t('Test image {i}', vscode.l10n.t('Test image {i}')),
    t('mistake', vscode.l10n.t('mistake')),
    t('Train', vscode.l10n.t('Train')),
    t('Stop', vscode.l10n.t('Stop')),
    t('Resume', vscode.l10n.t('Resume')),
    t('Open Run...', vscode.l10n.t('Open Run...')),
    t('Epoch', vscode.l10n.t('Epoch')),
    t('Batch', vscode.l10n.t('Batch')),
    t('Loss (smoothed)', vscode.l10n.t('Loss (smoothed)')),
    t('Train accuracy', vscode.l10n.t('Train accuracy')),
    t('Test accuracy', vscode.l10n.t('Test accuracy')),
    t('Images/s', vscode.l10n.t('Images/s')),
    t('ETA', vscode.l10n.t('ETA')),
    t('Backend', vscode.l10n.t('Backend')),
    t('NiN training panel', vscode.l10n.t('NiN training panel')),
    t('Training', vscode.l10n.t('Training')),
    t('Architecture', vscode.l10n.t('Architecture')),
    t('Evaluation', vscode.l10n.t('Evaluation')),
    t('Runs', vscode.l10n.t('Runs')),
    t('Training loss per batch', vscode.l10n.t('Training loss per batch')),
    t('epoch', vscode.l10n.t('epoch')),
    t('loss', vscode.l10n.t('loss')),
    t('smoothed', vscode.l10n.t('smoothed')),
    t('train (running, per batch)', vscode.l10n.t('train (running, per batch)')),
    t('train (epoch)', vscode.l10n.t('train (epoch)')),
    t('test (epoch)', vscode.l10n.t('test (epoch)')),
    t('Throughput (images/s)', vscode.l10n.t('Throughput (images/s)')),
    t('images/s', vscode.l10n.t('images/s')),
    t('no run', vscode.l10n.t('no run')),
    t('preparing', vscode.l10n.t('preparing')),
    t('training', vscode.l10n.t('training')),
    t('finished', vscode.l10n.t('finished')),
    t('stopped', vscode.l10n.t('stopped')),
    t('failed', vscode.l10n.t('failed')),
    t('done', vscode.l10n.t('done')),
    t(
      '{n} points; last loss {loss}, smoothed {smooth}',
      vscode.l10n.t('{n} points; last loss {loss}, smoothed {smooth}'),
    ),
    t('last {ips} images/s', vscode.l10n.t('last {ips} images/s')),
    t('epoch {e}: train {train}, test {test}', vscode.l10n.t('epoch {e}: train {train}, test {test}')),
    t(
      '{n} malformed lines of the metrics log were skipped (details in the NiN output channel).',
      vscode.l10n.t('{n} malformed lines of the metrics log were skipped (details in the NiN output channel).'),
    ),
    t('unknown recipe', vscode.l10n.t('unknown recipe')),
    t('{n} epochs', vscode.l10n.t('{n} epochs')),
    t('batch {n}', vscode.l10n.t('batch {n}')),
    t('{n} training images', vscode.l10n.t('{n} training images')),
    t('incomplete', vscode.l10n.t('incomplete')),
    t('Refresh', vscode.l10n.t('Refresh')),
    t('Overlay selected runs', vscode.l10n.t('Overlay selected runs')),
    t('Test accuracy per epoch (overlay)', vscode.l10n.t('Test accuracy per epoch (overlay)')),
    t('Training loss per epoch (overlay)', vscode.l10n.t('Training loss per epoch (overlay)')),
    t(
      '{n} selected; pick two or more to overlay their curves.',
      vscode.l10n.t('{n} selected; pick two or more to overlay their curves.'),
    ),
    t('No runs yet in the runs folder.', vscode.l10n.t('No runs yet in the runs folder.')),
    t('Run', vscode.l10n.t('Run')),
    t('Recipe', vscode.l10n.t('Recipe')),
    t('Epochs', vscode.l10n.t('Epochs')),
    t('Final test accuracy', vscode.l10n.t('Final test accuracy')),
    t('Status', vscode.l10n.t('Status')),
    t('Select {run}', vscode.l10n.t('Select {run}')),
    t('Show', vscode.l10n.t('Show')),
    t('Show {run} in the panel', vscode.l10n.t('Show {run} in the panel')),
    t('T-shirt/top', vscode.l10n.t('T-shirt/top')),
    t('Trouser', vscode.l10n.t('Trouser')),
    t('Pullover', vscode.l10n.t('Pullover')),
    t('Dress', vscode.l10n.t('Dress')),
    t('Coat', vscode.l10n.t('Coat')),
    t('Sandal', vscode.l10n.t('Sandal')),
    t('Shirt', vscode.l10n.t('Shirt')),
    t('Sneaker', vscode.l10n.t('Sneaker')),
    t('Bag', vscode.l10n.t('Bag')),
    t('Ankle boot', vscode.l10n.t('Ankle boot')),
  ]);
}

/**
 * The diagram's labels (src/model/diagram.ts) through vscode.l10n. Listed literally for the
 * same reason (diagramLayout calls the translator with these templates and their arguments);
 * never called at run time.
 */
export const diagramLabels = (): readonly string[] => [
  vscode.l10n.t('NiN block {n}'),
  vscode.l10n.t('Max pooling {k}×{k}, stride {s}'),
  vscode.l10n.t('Dropout {rate}'),
  vscode.l10n.t('Global average pooling'),
  vscode.l10n.t('Flatten'),
  vscode.l10n.t('{k}×{k} conv + two 1×1 convs (fully connected per pixel)'),
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
