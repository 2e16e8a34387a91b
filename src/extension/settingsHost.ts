/**
 * The `nin.*` settings as the extension host reads them: VS Code's configuration through the
 * pure rules in settings.ts, folders resolved against the workspace, issues shown once per
 * distinct set of messages with a button to the offending setting.
 */
import * as vscode from 'vscode';
import {
  readTrainingSettings,
  resolveFolder,
  resolveRunsDir,
  type SettingIssue,
  type TrainingSettings,
} from './settings';

/** The current training settings with their folders resolved. */
export interface HostSettings {
  readonly settings: TrainingSettings;
  readonly issues: readonly SettingIssue[];
  /** '' = the engine searches the default places. */
  readonly dataDir: string;
  readonly runsDir: string;
}

/** The first workspace folder on disk, if any (the runs folder lives there by default). */
export function workspaceDir(): string | undefined {
  const f = vscode.workspace.workspaceFolders?.find((w) => w.uri.scheme === 'file');
  return f?.uri.fsPath;
}

/** Read and validate `nin.*` now. */
export function readHostSettings(context: vscode.ExtensionContext): HostSettings {
  const config = vscode.workspace.getConfiguration('nin');
  const { settings, issues } = readTrainingSettings((key) => config.get(key), vscode.l10n.t);
  const ws = workspaceDir();
  return {
    settings,
    issues,
    dataDir: settings.dataFolder ? resolveFolder(settings.dataFolder, ws) : '',
    runsDir: resolveRunsDir(settings.runsFolder, ws, context.globalStorageUri.fsPath),
  };
}

/** Warn about invalid settings (the defaults are used); the button opens the first one. */
export async function reportSettingIssues(
  issues: readonly SettingIssue[],
  log?: Pick<vscode.LogOutputChannel, 'warn'>,
): Promise<void> {
  if (!issues.length) return;
  for (const i of issues) log?.warn(i.message);
  const open = vscode.l10n.t('Open Settings');
  const text =
    issues.length === 1
      ? issues[0].message
      : vscode.l10n.t('{0} (and {1} more invalid NiN settings: see the NiN log)', issues[0].message, issues.length - 1);
  if ((await vscode.window.showWarningMessage(text, open)) === open) {
    await vscode.commands.executeCommand('workbench.action.openSettings', issues[0].setting);
  }
}
