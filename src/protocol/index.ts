/**
 * The one protocol between the training worker, the extension host and the webviews:
 * discriminated unions on `type`, one file per channel, each message validated on arrival
 * through one mechanism (checks.ts). No vscode, no tfjs: all three sides import it.
 *
 * | file        | channel                                                            |
 * |-------------|--------------------------------------------------------------------|
 * | config.ts   | the training configuration (a run folder's config)                 |
 * | events.ts   | engine events: worker -> host, CLI --json lines, metrics logs      |
 * | worker.ts   | host <-> training worker (commands; events and calibration answers) |
 * | panel.ts    | training panel webview <-> host                                    |
 * | sideView.ts | architecture side view <-> host                                    |
 * | classify.ts | Classify Image view <-> host                                       |
 * | shapes.ts   | host <-> shape analysis worker (documents in, analyses out)        |
 * | checks.ts   | the validation mechanism (`Checks<T>`, `union`)                    |
 *
 * The data-parallel replicas' messages (src/train/parallel/messages.ts) use checks.ts too.
 */
export type { Check, Checks, UnionChecks, Validated } from './checks';
export * from './config';
export * from './events';
export * from './worker';
export * from './panel';
export * from './sideView';
export * from './classify';
export * from './shapes';
