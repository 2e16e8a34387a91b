/**
 * The interpreter selected in the Python extension (ms-python.python), through its public
 * environments API (the shape `@vscode/python-extension` documents), typed here at the
 * boundary because the extension is optional: absent, inactive or failing, we answer undefined
 * and the PyTorch engine searches the PATH.
 */
import * as vscode from 'vscode';

/** The part of the Python extension's API we use. */
interface PythonEnvironmentsApi {
  readonly environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { readonly id: string; readonly path: string };
    resolveEnvironment(
      env: { readonly id: string; readonly path: string } | string,
    ): Promise<{ readonly executable: { readonly uri?: vscode.Uri } } | undefined>;
  };
}

/** The Python extension's id. */
export const PYTHON_EXTENSION_ID = 'ms-python.python';

/** The selected interpreter's path for the first workspace folder, or undefined. */
export async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonEnvironmentsApi>(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  const api = ext.isActive ? ext.exports : await ext.activate();
  const envs = api?.environments;
  if (!envs) return undefined;
  const active = envs.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri);
  const resolved = await envs.resolveEnvironment(active);
  return resolved?.executable.uri?.fsPath ?? active.path;
}
