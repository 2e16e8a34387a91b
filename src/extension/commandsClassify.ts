/**
 * "NiN: Classify Image...": a PNG/JPEG from the workspace through a trained model. The host
 * checks the image and the model files (clear errors naming the file) and hands both to a
 * webview, which decodes, prepares and classifies it with TensorFlow.js: the extension host
 * never loads TensorFlow.js.
 */
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { CLASS_NAMES, CLASS_NAMES_ZH } from '../model/eval/classes';
import { validateClassifyMessage, type ClassifyInputMessage } from '../protocol/index';
import { modelPayload, readImage, readModelFiles } from './commandsModel';
import { webviewPage } from './webviewPage';
import { percent } from './sessionFormat';

type Log = Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error'>;

/** Run the command: image (argument, or a file dialog), model (a finished run), then the view. */
export async function classifyImage(
  context: vscode.ExtensionContext,
  log: Log,
  pickModelRun: (title: string) => Promise<{ runDir: string; modelDir: string } | undefined>,
  arg?: unknown,
): Promise<void> {
  let uri = arg instanceof vscode.Uri ? arg : undefined;
  if (!uri) {
    const chosen = await vscode.window.showOpenDialog({
      title: vscode.l10n.t('NiN: Classify Image'),
      canSelectMany: false,
      filters: { [vscode.l10n.t('Images')]: ['png', 'jpg', 'jpeg'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    uri = chosen?.[0];
  }
  if (!uri) return;
  const picked = await pickModelRun(vscode.l10n.t('NiN: Classify Image — pick the trained model'));
  if (!picked) return;
  let message: ClassifyInputMessage;
  try {
    const model = readModelFiles(picked.modelDir);
    if (!model.inputShape || model.inputShape.length !== 3) throw new Error(`${join(picked.modelDir, 'model.json')}: no input shape in the model topology`);
    const zh = vscode.env.language.toLowerCase().startsWith('zh');
    message = {
      type: 'input',
      fileName: basename(uri.fsPath),
      image: readImage(uri.fsPath),
      model: modelPayload(model),
      inputShape: model.inputShape,
      classNames: [...(zh ? CLASS_NAMES_ZH : CLASS_NAMES)],
      strings: {
        original: vscode.l10n.t('The image'),
        seen:
          model.inputShape[0] === 28 && model.inputShape[1] === 28
            ? vscode.l10n.t('What the network sees: 28×28 grayscale')
            : vscode.l10n.t('What the network sees: 28×28 grayscale, resized to {0}×{1}', model.inputShape[0], model.inputShape[1]),
        invert: vscode.l10n.t('Invert colours'),
        invertedNote: vscode.l10n.t('Fashion-MNIST shows light garments on a dark background; this image has a light background, so it was inverted.'),
        top: vscode.l10n.t('Most likely classes'),
        loading: vscode.l10n.t('Loading the model…'),
      },
    };
  } catch (e) {
    log.error(`classify: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Cannot classify the image: {0}', (e as Error).message));
    return;
  }
  const { extensionUri } = context;
  const panel = vscode.window.createWebviewPanel('nin.classify', vscode.l10n.t('Classify: {0}', message.fileName), vscode.ViewColumn.Beside, {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  });
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'nin.svg');
  panel.webview.html = webviewPage(panel.webview, extensionUri, { bundle: 'classify', lang: vscode.env.language, imgSrc: ['data:'] });
  const sub = panel.webview.onDidReceiveMessage((m: unknown) => {
    const v = validateClassifyMessage(m);
    if (!v.ok) {
      log.warn(`classify view: ignored a message: ${v.error}`);
      return;
    }
    const msg = v.value;
    if (msg.type === 'ready') void panel.webview.postMessage(message);
    else if (msg.type === 'result') {
      log.info(`classified ${uri.fsPath} with ${picked.modelDir}${msg.inverted ? ' (inverted)' : ''}: ${msg.top.map((t) => `${CLASS_NAMES[t.label]} ${percent(t.probability)}`).join(', ')}`);
    } else {
      log.error(`classify view: ${msg.message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Cannot classify the image: {0}', msg.message));
    }
  });
  panel.onDidDispose(() => sub.dispose());
}
