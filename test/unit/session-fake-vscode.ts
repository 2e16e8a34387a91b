/**
 * A fake `vscode` module for unit tests of host code (the real one only exists in the extension
 * host): installed into Node's module loader on import, it records what the code shows and runs.
 * Import this first, then `require()` the module under test (esbuild keeps such requires lazy).
 */
import Module from 'node:module';
import { englishT } from '../../src/extension/settings';

/** vscode.EventEmitter. */
export class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (l: (e: T) => void) => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}
/** What the code under test showed and ran. */
export const ui = {
  messages: [] as { kind: string; text: string; buttons: string[] }[],
  commands: [] as unknown[][],
  progress: [] as {
    title: string;
    reports: { message?: string; increment?: number }[];
    cancel: () => void;
    ended: boolean;
  }[],
  status: { text: '', tooltip: '' as unknown, visible: false, name: '', command: '' as unknown },
  answer: undefined as string | undefined,
  /** Values returned by workspace.getConfiguration('nin').get(key). */
  settings: {} as Record<string, unknown>,
  configListeners: [] as ((e: { affectsConfiguration(section: string): boolean }) => void)[],
};

/** A minimal vscode.Uri. */
export class Uri {
  constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static joinPath(u: Uri, ...parts: string[]): Uri {
    return new Uri(u.scheme, [u.fsPath, ...parts].join('/'));
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}
const message =
  (kind: string) =>
  (text: string, ...buttons: string[]) => {
    ui.messages.push({ kind, text, buttons });
    return Promise.resolve(ui.answer);
  };
/** The fake module. */
export const fakeVscode = {
  EventEmitter,
  Uri,
  env: { language: 'en' },
  workspace: {
    workspaceFolders: undefined,
    getConfiguration: () => ({ get: (key: string) => ui.settings[key] }),
    onDidChangeConfiguration: (l: (e: { affectsConfiguration(section: string): boolean }) => void) => {
      ui.configListeners.push(l);
      return { dispose: () => undefined };
    },
  },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { Notification: 15 },
  l10n: { t: englishT },
  commands: {
    executeCommand: (...args: unknown[]) => {
      ui.commands.push(args);
      return Promise.resolve(undefined);
    },
  },
  window: {
    showInformationMessage: message('info'),
    showWarningMessage: message('warning'),
    showErrorMessage: message('error'),
    createStatusBarItem: () => ({
      set text(v: string) {
        ui.status.text = v;
      },
      get text() {
        return ui.status.text;
      },
      set tooltip(v: unknown) {
        ui.status.tooltip = v;
      },
      set name(v: string) {
        ui.status.name = v;
      },
      set command(v: unknown) {
        ui.status.command = v;
      },
      show: () => (ui.status.visible = true),
      hide: () => (ui.status.visible = false),
      dispose: () => undefined,
    }),
    withProgress: (options: { title: string }, task: (p: unknown, token: unknown) => Promise<void>) => {
      const rec = {
        title: options.title,
        reports: [] as { message?: string; increment?: number }[],
        cancel: () => undefined as void,
        ended: false,
      };
      ui.progress.push(rec);
      const token = { onCancellationRequested: (cb: () => void) => (rec.cancel = cb) };
      return task({ report: (r: { message?: string; increment?: number }) => rec.reports.push(r) }, token).then(() => {
        rec.ended = true;
      });
    },
  },
};
const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const originalLoad = M._load;
M._load = function (this: unknown, request: string, ...rest: unknown[]) {
  return request === 'vscode' ? fakeVscode : originalLoad.call(this, request, ...rest);
};
