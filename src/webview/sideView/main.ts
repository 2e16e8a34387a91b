/**
 * The architecture side view (browser code): draws the network the host sends, block by block,
 * and reports clicks. Built with DOM APIs only (no innerHTML: every text is set as text), keyboard
 * accessible (each block is a button), VS Code theme colours through media/sideView.css.
 */
import { validateHostToSideView, type SideViewRow, type SideViewState, type SideViewToHost } from '../../protocol/index';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void; setState(state: unknown): void; getState(): unknown };

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;

const send = (m: SideViewToHost): void => vscode.postMessage(m);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** `1,992,166`. */
const count = (n: number): string => n.toLocaleString('en-US');
/** `0.77 G`, `12.3 M`, `45 k`. */
function flops(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} k`;
  return String(n);
}
const shape = (s: readonly number[]): string => s.join('×');

function row(r: SideViewRow, s: SideViewState): HTMLElement {
  const li = el('li', `row ${r.status} kind-${r.kind}`);
  const b = el('button', 'block');
  b.type = 'button';
  b.dataset.index = String(r.index);
  b.title = s.strings.reveal;
  const head = el('div', 'head');
  head.append(el('span', 'label', r.label));
  head.append(el('span', 'shape', r.status === 'unreached' ? s.strings.unreached : r.output.length ? `→ ${shape(r.output)}` : ''));
  b.append(head);
  b.append(el('div', 'detail', r.detail));
  if (r.status === 'ok' && (r.params > 0 || r.flops > 0)) {
    b.append(el('div', 'numbers', `${count(r.params)} ${s.strings.params} · ${flops(r.flops)} ${s.strings.flops}`));
  }
  if (r.error) {
    const e = el('div', 'error-text', r.error);
    e.setAttribute('role', 'alert');
    b.append(e);
  }
  const aria = [r.label, r.status === 'ok' ? `${shape(r.input)} → ${shape(r.output)}` : r.status === 'error' ? `${s.strings.collapse}: ${r.error ?? ''}` : s.strings.unreached, s.strings.reveal];
  b.setAttribute('aria-label', aria.join('. '));
  b.addEventListener('click', () => send({ type: 'reveal', index: r.index, name: r.name }));
  li.append(b);
  return li;
}

function render(s: SideViewState): void {
  const frag = document.createDocumentFragment();
  const header = el('header', 'summary');
  header.append(el('div', 'title', `${s.preset} · ${s.strings.input} ${shape(s.input)}`));
  if (s.running) header.append(el('div', 'running', s.strings.running));
  frag.append(header);

  if (s.issues.length) {
    const box = el('section', 'issues');
    box.setAttribute('role', 'status');
    box.append(el('div', 'issues-title', s.strings.issues));
    for (const i of s.issues) box.append(el('div', 'issue', i));
    const open = el('button', 'link', s.strings.openSettings);
    open.type = 'button';
    open.addEventListener('click', () => send({ type: 'openSettings' }));
    box.append(open);
    frag.append(box);
  }
  if (s.error) {
    const e = el('section', 'collapse', s.error);
    e.setAttribute('role', 'alert');
    frag.append(e);
  }

  const list = el('ol', 'layers');
  list.setAttribute('aria-label', s.preset);
  for (const r of s.rows) list.append(row(r, s));
  frag.append(list);

  const total = el('footer', 'total');
  // totals of a network that collapses would count only the rows before the break: leave them out
  if (!s.error) total.append(el('div', '', `${s.strings.total}: ${count(s.params)} ${s.strings.params} · ${flops(s.flops)} ${s.strings.flops}`));
  if (!s.running) {
    const train = el('button', 'primary', s.strings.train);
    train.type = 'button';
    train.addEventListener('click', () => send({ type: 'train' }));
    total.append(train);
  }
  frag.append(total);

  // keep keyboard focus on the same block across updates
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.index;
  root.replaceChildren(frag);
  if (focused !== undefined) root.querySelector<HTMLElement>(`button[data-index="${focused}"]`)?.focus();
  vscode.setState(s);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const v = validateHostToSideView(event.data);
  if (!v.ok) {
    console.warn(`NiN side view: ignored a message: ${v.error}`);
    return;
  }
  render(v.value.state);
});

// Arrow keys move between blocks (Tab still works as usual).
root.addEventListener('keydown', (e: KeyboardEvent) => {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const blocks = [...root.querySelectorAll<HTMLElement>('button.block')];
  const i = blocks.indexOf(document.activeElement as HTMLElement);
  if (i < 0) return;
  e.preventDefault();
  blocks[Math.max(0, Math.min(blocks.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))].focus();
});

const saved = vscode.getState();
const restored = validateHostToSideView({ type: 'state', state: saved });
if (restored.ok) render(restored.value.state);
else root.textContent = '';
send({ type: 'ready' });
