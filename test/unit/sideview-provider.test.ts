// The architecture view's provider inside a fake `vscode`: strict CSP with a nonce, minimal
// local resource roots, state sent when the view is ready and when settings change, clicks
// turned into nin.revealBlock, malformed messages logged and ignored.
import * as assert from 'node:assert/strict';
import { ui, Uri, EventEmitter } from './session-fake-vscode';
import type { HostToSideView } from '../../src/protocol/index';

const { SideViewProvider } = require('../../src/extension/sideView/provider') as typeof import('../../src/extension/sideView/provider');

function fakeView() {
  const posted: HostToSideView[] = [];
  const receive = new EventEmitter<unknown>();
  const webview = {
    options: {} as { enableScripts?: boolean; localResourceRoots?: Uri[] },
    html: '',
    cspSource: 'https://webview.test',
    asWebviewUri: (u: Uri) => `https://webview.test${u.fsPath}`,
    postMessage: (m: HostToSideView) => (posted.push(m), Promise.resolve(true)),
    onDidReceiveMessage: receive.event,
  };
  const view = { webview, visible: true, onDidChangeVisibility: () => ({ dispose() {} }), onDidDispose: () => ({ dispose() {} }) };
  return { view, webview, posted, send: (m: unknown) => receive.fire(m) };
}

describe('architecture view provider', () => {
  const warnings: string[] = [];
  const log = { warn: (m: string) => warnings.push(m), trace: () => undefined };
  const session = { running: false, onDidChangeState: () => ({ dispose() {} }) };
  const context = { extensionUri: Uri.file('/ext'), globalStorageUri: Uri.file('/gs'), subscriptions: [] };
  let provider: InstanceType<typeof SideViewProvider>;
  beforeEach(() => {
    ui.commands = [];
    ui.settings = {};
    ui.configListeners = [];
    warnings.length = 0;
    provider = new SideViewProvider(context as never, session as never, log as never);
  });
  afterEach(() => provider.dispose());

  it('HTML: CSP default-src none, the one script by nonce, resources only from out/webview and media', () => {
    const { view, webview } = fakeView();
    provider.resolveWebviewView(view as never);
    assert.equal(webview.options.enableScripts, true);
    assert.deepEqual(webview.options.localResourceRoots?.map((u) => u.fsPath), ['/ext/out/webview', '/ext/media']);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(webview.html)?.[1] ?? '';
    assert.match(csp, /^default-src 'none';/);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 16, 'a random nonce');
    const scripts = [...webview.html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.deepEqual(scripts, [` nonce="${nonce}" src="https://webview.test/ext/out/webview/sideView.js"`]);
    assert.ok(!/unsafe-inline|unsafe-eval|https?:\/\/(?!webview\.test)/.test(webview.html), 'no inline, eval or remote content');
    // a fresh nonce per view
    const other = fakeView();
    provider.resolveWebviewView(other.view as never);
    assert.notEqual(/nonce-([^']+)/.exec(other.webview.html)?.[1], nonce);
  });

  it('sends the state when the view says it is ready, and again when a nin setting changes', () => {
    const { view, posted, send } = fakeView();
    provider.resolveWebviewView(view as never);
    send({ type: 'ready' });
    assert.equal(posted.length, 1);
    assert.equal(posted[0].state.rows[0].output.join('x'), '96x54x54');
    ui.settings = { preset: 'compact' };
    for (const l of ui.configListeners) l({ affectsConfiguration: (s) => s === 'nin' });
    assert.equal(posted.length, 2);
    assert.equal(posted[1].state.rows[0].output.join('x'), '32x28x28');
    for (const l of ui.configListeners) l({ affectsConfiguration: (s) => s === 'editor' });
    assert.equal(posted.length, 2, 'other settings do not redraw');
  });

  it('a collapsing input size is shown as an error row, an invalid value as an issue naming the setting', () => {
    const { view, posted, send } = fakeView();
    provider.resolveWebviewView(view as never);
    ui.settings = { inputSize: 66, epochs: -2 };
    send({ type: 'ready' });
    const s = posted[0].state;
    assert.equal(s.rows.find((r) => r.status === 'error')?.name, 'maxpool_3');
    assert.equal(s.issues.length, 1);
    assert.match(s.issues[0], /"nin\.epochs"/);
  });

  it('a click reveals the block in the panel; malformed or unknown messages are logged and ignored', () => {
    const { view, posted, send } = fakeView();
    provider.resolveWebviewView(view as never);
    send({ type: 'reveal', index: 2, name: 'nin_block_2' });
    assert.deepEqual(ui.commands.at(-1), ['nin.revealBlock', 'nin_block_2', 2]);
    const before = ui.commands.length;
    for (const bad of [{ type: 'reveal', index: '2', name: 'nin_block_2' }, { type: 'exec', cmd: 'rm' }, 'ready', null]) send(bad);
    assert.equal(ui.commands.length, before, 'nothing ran');
    assert.equal(posted.length, 0);
    assert.equal(warnings.length, 4);
    assert.ok(warnings.every((w) => w.startsWith('side view: ignored a message:')));
  });
});
