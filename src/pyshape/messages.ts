/**
 * Diagnostic and note texts. The analyser returns a message id with named arguments; the
 * CLI formats the English template here, the extension passes the same template through
 * vscode.l10n.t (l10n/bundle.l10n.zh-cn.json holds the translations, keyed by these texts).
 */

/** English templates with `{name}` placeholders, one per message id. */
export const MESSAGES = {
  channels: '{layer} expects {expected} input channels but gets {actual} (input {input})',
  features: '{layer} expects {expected} features but gets {actual} (input {input})',
  linearIn:
    'Linear expects {expected} input features but the flattened input has {actual}: use nn.Linear({actual}, {out})',
  linearLast:
    'Linear expects {expected} input features but gets {input}, whose last size is {actual}; flatten first (nn.Flatten() gives {flat} features)',
  collapse: '{layer}: {detail}',
  rank: '{layer} expects a {expected} input but gets {input}',
  poolPadding: '{layer}: padding {padding} is more than half the window {window}',
  groups: '{layer}: {channels} channels are not divisible by groups={groups}',
  badArg: '{layer}: {detail}',
  view: '{op}: cannot reshape {input} ({numel} values per sample) into {target}',
  addMismatch: 'cannot add tensors of shapes {left} and {right}',
  catMismatch: 'torch.cat: shapes {shapes} differ outside dimension {dim}',
  inner: '{message} (in {callee} at line {line})',
  unresolved: 'cannot infer shapes through {what}: {why}',
  callError: '{callee}(): {detail}',
  budget: 'shape analysis stopped early: the file needs more than {steps} evaluation steps',
} as const;

/** A message id. */
export type MessageId = keyof typeof MESSAGES;

/** Named arguments of a message. */
export type MessageArgs = Readonly<Record<string, string | number>>;

/** Fill a `{name}` template. */
export function fillTemplate(template: string, args: MessageArgs): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in args ? String(args[k]) : m));
}

/** The English text of a message. */
export function formatMessage(id: MessageId, args: MessageArgs): string {
  return fillTemplate(MESSAGES[id], args);
}
