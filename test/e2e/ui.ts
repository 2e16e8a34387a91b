/**
 * Browser-side checks, driven through Playwright in the code-server workbench: what a user sees.
 * Every step waits for a condition in the page (an element, a text), never for a fixed time.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { repoRoot, waitFor } from './workspace';
import { pytorchUiChecks } from './uiPytorch';

/** One browser-side check's outcome. */
export interface UiCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

/** Where screenshots go and which file the workspace holds. */
export interface UiOptions {
  resultsDir: string;
  pythonFile: string;
  /** The article's two blocks as the two cells of a notebook. */
  notebookFile?: string;
  /** How long one training run may take (the quick recipe). */
  trainTimeoutMs: number;
  /** A reader's variant of the article's NiN (one 1x1 conv per block, 28x28) for the code lens checks. */
  variantFile?: string;
}

/** What the panel webview exposes for tests (src/webview/panel/main.ts, read-only). */
export interface PanelProbe {
  status: string;
  points: number;
  loss: number[][];
  acc: number[][];
  epoch: string;
  test: string;
  backend: string;
  /** The backend line under the stats: engine, why, parameters, images, batch. */
  line: string;
}

/** What the training panel shows now. */
export async function probePanel(frame: Frame): Promise<PanelProbe> {
  return frame.evaluate(() => {
    type Shown = { shown: (number | null)[][] };
    const p = (
      globalThis as unknown as {
        __ninPanel: {
          series: { status: string; x: { length: number } };
          charts: { loss: Shown; acc: Shown } | undefined;
        };
      }
    ).__ninPanel;
    const clean = (d: (number | null)[][] | undefined) =>
      (d ?? []).map((col) => col.filter((v): v is number => typeof v === 'number'));
    const stat = (k: string) => document.querySelector(`.stat-${k} dd`)?.textContent ?? '';
    return {
      status: p.series.status,
      points: p.series.x.length,
      loss: clean(p.charts?.loss.shown),
      acc: clean(p.charts?.acc.shown),
      epoch: stat('epoch'),
      test: stat('test'),
      backend: stat('backend'),
      line: document.querySelector('.backend-line')?.textContent ?? '',
    };
  });
}

const WORKBENCH_TIMEOUT_MS = 90_000;

/** Runs `f` as a named check; an exception is a failed check with its message, and the rest go on. */
export async function check(
  list: UiCheck[],
  name: string,
  f: () => Promise<string | void>,
  page?: Page,
  resultsDir?: string,
): Promise<boolean> {
  let c: UiCheck;
  try {
    const detail = await f();
    c = { name, ok: true, detail: detail || undefined };
  } catch (e) {
    c = { name, ok: false, detail: e instanceof Error ? e.message.split('\n')[0] : String(e) };
    if (page && resultsDir) {
      // What the screen showed when the check failed.
      const shot = path.join(resultsDir, `failure-${list.length + 1}.png`);
      if (
        await page.screenshot({ path: shot }).then(
          () => true,
          () => false,
        )
      )
        c.detail += ` (screen: ${path.relative(path.dirname(resultsDir), shot)})`;
    }
  }
  list.push(c);
  // Printed as it happens: a slow step shows where the time goes.
  console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
  return c.ok;
}

/** Opens a workspace file through Quick Open (Ctrl+P), as a user would. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: WORKBENCH_TIMEOUT_MS });
  const input = page.locator('.quick-input-widget .quick-input-box input').first();
  await waitFor(
    'Quick Open (Ctrl+P)',
    async () => {
      await page.keyboard.press('Control+P');
      return (await input.isVisible().catch(() => false)) ? true : undefined;
    },
    30_000,
    1000,
  );
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 30_000 });
}

/** Runs a command from the command palette (F1), typing its title as a user would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input').first();
  await waitFor(
    'the command palette (F1)',
    async () => {
      if (!(await input.isVisible().catch(() => false))) await page.keyboard.press('F1');
      return (await input.isVisible().catch(() => false)) ? true : undefined;
    },
    30_000,
    1000,
  );
  await input.fill(`>${title}`);
  await pickRow(page, title);
}

/**
 * Waits for the quick input's row whose label is exactly `text` and clicks it (Enter would take
 * the first row, and "recently used" rows that merely resemble the filter come first); says what
 * it saw if there is none.
 */
export async function pickRow(page: Page, text: string, timeoutMs = 30_000): Promise<void> {
  const rows = page.locator('.quick-input-list .monaco-list-row');
  const exact = async () => {
    const labels = await rows.evaluateAll((els) =>
      els.map((e) => (e.querySelector('.label-name')?.textContent ?? '').replace(/\s+/g, ' ').trim()),
    );
    const i = labels.indexOf(text);
    return i >= 0 ? i : undefined;
  };
  try {
    const i = await waitFor(`the quick input row "${text}"`, exact, timeoutMs, 200);
    await rows.nth(i).click();
  } catch {
    const input = page.locator('.quick-input-widget .quick-input-box input').first();
    const value = await input.inputValue({ timeout: 1000 }).catch(() => '(no input)');
    const seen = await rows.allInnerTexts().catch(() => []);
    throw new Error(
      `no quick input row "${text}" (input ${JSON.stringify(value)}; rows ${JSON.stringify(seen.map((r) => r.replace(/\s+/g, ' ')).slice(0, 8))})`,
    );
  }
}

/**
 * The webview frame (VS Code nests each webview two iframes deep) that holds `selector`:
 * found by content, since frame names and URLs are VS Code's internals.
 */
export async function webviewFrame(page: Page, selector: string, what: string, timeoutMs = 60_000): Promise<Frame> {
  return waitFor(
    what,
    async () => {
      for (const f of page.frames()) {
        if (
          (await f
            .locator(selector)
            .count()
            .catch(() => 0)) > 0
        )
          return f;
      }
      return undefined;
    },
    timeoutMs,
    250,
  );
}

/** A recipe row's estimate in the open recipe pick (its whole text once it names an engine), or undefined before. */
export async function recipeEstimate(page: Page, label: string): Promise<string | undefined> {
  const t = await page
    .locator('.quick-input-list .monaco-list-row', { hasText: label })
    .first()
    .innerText({ timeout: 1000 })
    .catch(() => '');
  return / on /.test(t) ? t.replace(/\s+/g, ' ').trim() : undefined;
}

/** The editor line whose text contains `text` (under `within`, e.g. a notebook editor). */
function editorLine(page: Page, text: string, within = ''): Locator {
  return page.locator(`${within} .monaco-editor .view-line`.trim(), { hasText: text }).first();
}

/**
 * Page coordinates of the `nth` character of the first occurrence of `word` in `line`: found
 * through the DOM's text nodes, so it does not depend on how the tokenizer split the spans.
 */
async function charPoint(line: Locator, word: string, nth: number): Promise<{ x: number; y: number }> {
  const box = await line.evaluate(
    (el, [w, k]) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let acc = '';
      const nodes: { node: Text; start: number }[] = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        nodes.push({ node: n as Text, start: acc.length });
        acc += n.textContent ?? '';
      }
      // VS Code renders spaces as U+00A0.
      const at = acc.replace(/\u00a0/g, ' ').indexOf(w as string);
      if (at < 0) return undefined;
      const target = at + (k as number);
      const hit = nodes.filter((x) => x.start <= target).pop()!;
      const r = document.createRange();
      r.setStart(hit.node, target - hit.start);
      r.setEnd(hit.node, target - hit.start + 1);
      const rect = r.getBoundingClientRect();
      return { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
    },
    [word, nth] as const,
  );
  if (!box) throw new Error(`"${word}" not found in the editor line`);
  return box;
}

/**
 * Hovers `word` in the editor line containing `lineText` until the hover shows `expect`.
 * The hover is re-triggered (mouse away and back) while the extension is still activating or
 * the analyser is still parsing, which the first hover can race.
 */
export async function hoverUntil(
  page: Page,
  lineText: string,
  word: string,
  expect: string,
  timeoutMs = 60_000,
  within = '',
): Promise<string> {
  const line = editorLine(page, lineText, within);
  await line.waitFor({ timeout: 30_000 });
  const hover = page
    .locator('.monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden) .hover-contents')
    .first();
  return waitFor(
    `a hover on ${word} showing ${expect}`,
    async () => {
      const p = await charPoint(line, word, 3);
      await page.mouse.move(p.x, p.y + 200);
      await page.mouse.move(p.x, p.y, { steps: 4 });
      const shown = await hover.waitFor({ state: 'visible', timeout: 5000 }).then(
        () => true,
        () => false,
      );
      if (!shown) return undefined;
      // The hover may first say "Loading..." and fill in when the provider answers.
      const text = await waitFor(
        'hover content',
        async () => {
          const t = (await hover.innerText().catch(() => '')) ?? '';
          return t.includes(expect) ? t : undefined;
        },
        3000,
        200,
      ).catch(() => undefined);
      return text;
    },
    timeoutMs,
    500,
  );
}

/**
 * Closes the notification toasts a fresh profile shows (e.g. "try the new default theme"), so
 * they do not cover what a screenshot is for. Clicks their close buttons, as a user would.
 */
export async function dismissToasts(page: Page): Promise<void> {
  const close = page.locator('.notifications-toasts .notification-toast .codicon-notifications-clear');
  for (let i = 0; i < 10 && (await close.count()) > 0; i++) {
    await close
      .first()
      .click({ timeout: 2000 })
      .catch(() => undefined);
  }
}

/** Waits until `el` is fully opaque and no animation runs on it or its ancestors. */
export async function settled(el: Locator): Promise<void> {
  await waitFor(
    'the element to settle (opacity 1, no animation)',
    () =>
      el
        .evaluate((node) => {
          for (let n: Element | null = node; n; n = n.parentElement) {
            if (getComputedStyle(n).opacity !== '1') return undefined;
          }
          return node.getAnimations({ subtree: true }).every((a) => a.playState !== 'running') ? true : undefined;
        })
        .catch(() => undefined),
    10_000,
    100,
  );
}

/** The UI checks that exist today; later features add theirs here. */
export async function uiChecks(page: Page, opts: UiOptions): Promise<UiCheck[]> {
  const out: UiCheck[] = [];
  const file = path.basename(opts.pythonFile);

  const step = (name: string, f: () => Promise<string | void>) => check(out, name, f, page, opts.resultsDir);

  const opened = await step(`workbench loads and Quick Open opens ${file}`, async () => {
    await openFile(page, file);
  });
  if (!opened) {
    await page.screenshot({ path: path.join(opts.resultsDir, 'workbench-failure.png') }).catch(() => undefined);
    return out;
  }

  await step("hover on nin_block(96, 256, ...) in the article's code shows 96x26x26 -> 256x26x26", async () => {
    // A toast that pops up meanwhile is closed and the hover shown again (closing moves the mouse).
    let text = '';
    for (let i = 0; i < 3; i++) {
      await dismissToasts(page);
      text = await hoverUntil(page, 'nin_block(96, 256', 'nin_block', '256x26x26');
      if ((await page.locator('.notifications-toasts .notification-toast').count()) === 0) break;
    }
    await settled(page.locator('.monaco-hover:not(.hidden)').first());
    await page.screenshot({ path: path.join(opts.resultsDir, 'hover.png') });
    if (process.env.NIN_E2E_DEBUG)
      require('node:fs').writeFileSync(path.join(opts.resultsDir, 'hover.html'), await page.content());
    if (!/96x26x26\s*→\s*256x26x26/.test(text))
      throw new Error(`hover text lacks "96x26x26 → 256x26x26": ${JSON.stringify(text.slice(0, 300))}`);
    return `${text
      .split('\n')
      .find((l) => l.includes('→'))
      ?.trim()} (test-results/hover.png)`;
  });

  await step('inlay hint "-> 256x26x26" at the end of that line', async () => {
    const line = editorLine(page, 'nin_block(96, 256');
    await waitFor(
      'the inlay hint',
      async () => ((await line.innerText()).replace(/\u00a0/g, ' ').includes('-> 256x26x26') ? true : undefined),
      30_000,
    );
  });

  await step('NiN: Show Architecture opens the side view with the network block by block', async () => {
    await dismissToasts(page);
    await runCommand(page, 'NiN: Show Architecture');
    const frame = await webviewFrame(page, '#root .row', "the Architecture view's rows");
    const shapes = await waitFor(
      "the first block's shape 96×54×54 (the seed network at 224×224)",
      async () => {
        const t = await frame.locator('#root .row .shape').allInnerTexts();
        return t.some((x) => x.includes('96×54×54')) ? t : undefined;
      },
      30_000,
    );
    if (!shapes.some((x) => x.includes('256×26×26'))) throw new Error(`no 256×26×26 in ${JSON.stringify(shapes)}`);
    const body = await frame.locator('#root').innerText();
    if (!body.includes('1,992,166'))
      throw new Error(
        `the view does not total the article's 1,992,166 parameters: ${JSON.stringify(body.slice(-200))}`,
      );
    await page.mouse.move(5, 450);
    await page.screenshot({ path: path.join(opts.resultsDir, 'side-view.png') });
    return `${shapes.length} rows: ${shapes.filter(Boolean).slice(0, 4).join(' ')} ... (test-results/side-view.png)`;
  });

  if (opts.notebookFile) {
    const nbName = path.basename(opts.notebookFile);
    await step(
      `in ${nbName} (the article as two cells), the hover on nin_block(96, 256, ...) in the second cell shows 96x26x26 -> 256x26x26 and the inlay hint`,
      async () => {
        await dismissToasts(page);
        await openFile(page, nbName);
        const cells = '.notebook-editor';
        await page.locator(`${cells} .monaco-editor .view-line`).first().waitFor({ timeout: 60_000 });
        let text = '';
        for (let i = 0; i < 3; i++) {
          await dismissToasts(page);
          text = await hoverUntil(page, 'nin_block(96, 256', 'nin_block', '256x26x26', 60_000, cells);
          if ((await page.locator('.notifications-toasts .notification-toast').count()) === 0) break;
        }
        await settled(page.locator('.monaco-hover:not(.hidden)').first());
        await page.screenshot({ path: path.join(opts.resultsDir, 'notebook-hover.png') });
        if (!/96x26x26\s*→\s*256x26x26/.test(text) || !text.includes('746,240'))
          throw new Error(`hover text lacks "96x26x26 → 256x26x26" and 746,240: ${JSON.stringify(text.slice(0, 300))}`);
        const line = editorLine(page, 'nin_block(96, 256', cells);
        await waitFor(
          'the inlay hint in the cell',
          async () => ((await line.innerText()).replace(/\u00a0/g, ' ').includes('-> 256x26x26') ? true : undefined),
          30_000,
        );
        const problems = await page
          .locator(
            '.notebook-editor .squiggly-info, .notebook-editor .squiggly-warning, .notebook-editor .squiggly-error',
          )
          .count();
        if (problems) throw new Error(`${problems} squiggles in the notebook`);
        return `${text
          .split('\n')
          .find((l) => l.includes('→'))
          ?.trim()}; hint -> 256x26x26 (test-results/notebook-hover.png)`;
      },
    );
  }

  await step(
    "NiN: Show Training Panel opens the panel; its diagram shows the settings' network (seed, 1×224×224 → 96×54×54)",
    async () => {
      await dismissToasts(page);
      await runCommand(page, 'NiN: Show Training Panel');
      const f = await webviewFrame(page, '#app #block-nin_block_1', "the training panel's diagram", 60_000);
      const block1 = await waitFor(
        'block 1 of the diagram',
        async () => {
          const l =
            (await f
              .locator('#block-nin_block_1')
              .getAttribute('aria-label')
              .catch(() => null)) ?? '';
          return l.includes('96×54×54') ? l : undefined;
        },
        30_000,
      );
      if (!block1.includes('1×224×224')) throw new Error(`block 1: ${JSON.stringify(block1)}`);
      const shapes = await f.locator('[data-shape-after]').allTextContents();
      if (!shapes.some((x) => x.includes('256×26×26')))
        throw new Error(`no 256×26×26 among the diagram's shapes: ${JSON.stringify(shapes)}`);
      await f.locator('#tab-architecture').click();
      await f.locator('#block-nin_block_4').waitFor({ state: 'visible', timeout: 30_000 });
      await page.mouse.move(5, 450);
      await page.screenshot({ path: path.join(opts.resultsDir, 'panel-architecture.png') });
      await f.locator('#tab-training').click();
      return `block 1: ${block1}; ${shapes.length} shapes between blocks (test-results/panel-architecture.png)`;
    },
  );

  let panel: Frame | undefined;
  await step(
    'NiN: Train from the palette: recipe quick pick -> "Quick check on a subset" -> progress notification',
    async () => {
      await dismissToasts(page);
      await runCommand(page, 'NiN: Train');
      const input = page.locator('.quick-input-widget .quick-input-box input').first();
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Quick check on a subset' })
        .first()
        .waitFor({ timeout: 30_000 })
        .catch(() => undefined);
      // What the pick estimates for the article's recipe on this machine, for the record (not asserted).
      const article = await waitFor(
        "the estimate of the article's recipe",
        () => recipeEstimate(page, "The article's recipe"),
        180_000,
        500,
      ).catch(() => 'not estimated within 3 min');
      await page.screenshot({ path: path.join(opts.resultsDir, 'recipes-pick.png') });
      await input.fill('Quick check');
      await pickRow(page, 'Quick check on a subset');
      await page.locator('.notification-toast', { hasText: 'NiN training' }).first().waitFor({ timeout: 120_000 });
      return `progress notification "NiN training" shown; the pick estimated the article's recipe as "${article}" (test-results/recipes-pick.png)`;
    },
  );

  await step(
    "the panel during training: curves fed with batches, the diagram of the run's network (1×28×28)",
    async () => {
      panel = await webviewFrame(page, '#app .stats', 'the training panel webview', 120_000);
      const f = panel;
      // A fast engine may finish the quick recipe before the panel is probed: the curves are
      // checked either way, and the detail says which state the screenshot shows.
      const probe = await waitFor(
        'the panel to draw at least 20 batches',
        async () => {
          const p = await probePanel(f).catch(() => undefined);
          if (p && (p.status === 'error' || p.status === 'stopped')) throw new Error(`the run ended ${p.status}`);
          return p && (p.status === 'running' || p.status === 'done') && (p.loss[0]?.length ?? 0) >= 20 ? p : undefined;
        },
        opts.trainTimeoutMs,
        500,
      );
      const loss = probe.loss[1] ?? [];
      if (!loss.length || !loss.every((v) => Number.isFinite(v) && v > 0 && v < 20))
        throw new Error(`implausible loss curve: ${JSON.stringify(loss.slice(0, 10))}`);
      const block1 = (await f.locator('#block-nin_block_1').getAttribute('aria-label')) ?? '';
      if (!/1×28×28 →/.test(block1))
        throw new Error(`the diagram does not show the run's 28×28 network: ${JSON.stringify(block1)}`);
      const shapes = await f.locator('[data-shape-after]').allTextContents();
      await page.mouse.move(5, 450);
      await page.screenshot({ path: path.join(opts.resultsDir, 'panel-training.png') });
      return `${probe.status}: ${probe.loss[0].length} loss points (first ${loss[0].toFixed(3)}), epoch ${probe.epoch}, backend ${probe.backend} ("${probe.line}"); block 1: ${block1}; shapes ${shapes.join(' ')} (test-results/panel-training.png)`;
    },
  );

  await step('the panel after training: status done, two epochs, test accuracy shown', async () => {
    if (!panel) throw new Error('no panel');
    const f = panel;
    const probe = await waitFor(
      'the run to finish',
      async () => {
        const p = await probePanel(f).catch(() => undefined);
        if (p && (p.status === 'error' || p.status === 'stopped')) throw new Error(`the run ended ${p.status}`);
        return p && p.status === 'done' ? p : undefined;
      },
      opts.trainTimeoutMs,
      1000,
    );
    if (!/^2\s*\/\s*2$/.test(probe.epoch))
      throw new Error(`epoch stat ${JSON.stringify(probe.epoch)}, expected "2 / 2"`);
    if (!/\d/.test(probe.test)) throw new Error(`no test accuracy shown: ${JSON.stringify(probe.test)}`);
    await dismissToasts(page);
    await page.mouse.move(5, 450);
    await page.screenshot({ path: path.join(opts.resultsDir, 'panel-done.png') });
    return `epoch ${probe.epoch}, test accuracy ${probe.test}, ${probe.loss[0]?.length ?? 0} loss points (test-results/panel-done.png)`;
  });

  await step(
    "the panel's evaluation after the real run: heat map over the whole test subset, gallery of test images",
    async () => {
      if (!panel) throw new Error('no panel');
      return evaluationTab(page, panel, path.join(opts.resultsDir, 'panel-evaluation.png'));
    },
  );

  if (opts.variantFile) await modelChecks(page, opts, opts.variantFile, step);
  await pytorchUiChecks(page, opts, step);
  return out;
}

/** The reader's variant as PyTorch measured it (test/reference/codelens_models.py). */
interface TorchVariant {
  model: string;
  input: number[];
  params: number;
  blocks: number[][][];
}

/**
 * "Train the model you wrote": the code lens on the variant, its architecture in the panel, a
 * run of it from the lens on the quick recipe, and the Runs overlay with the built-in run the
 * checks above trained (screenshots codelens.png, panel-model.png, runs-overlay.png).
 */
async function modelChecks(
  page: Page,
  opts: UiOptions,
  file: string,
  step: (name: string, f: () => Promise<string | void>) => Promise<boolean>,
): Promise<void> {
  const torch = JSON.parse(
    readFileSync(path.join(repoRoot, 'test', 'fixtures', 'codelens', 'nin_one1x1_28.torch.json'), 'utf8'),
  ) as TorchVariant;
  const name = path.basename(file);
  // Run folders are named after the network: `nin()` at 28 -> `...-nin28-adam`.
  const runStem = `${torch.model.replace(/[^A-Za-z0-9_-]+/g, '')}${torch.input[1]}`;
  const want = `Train on Fashion-MNIST · ${torch.params.toLocaleString('en-US')} params · ${torch.input.join('×')}`;
  const lens = (text: string) => page.locator('.codelens-decoration a', { hasText: text }).first();
  const shown = await step(`the code lens on ${torch.model} in ${name}: "${want}" and "Show in panel"`, async () => {
    await dismissToasts(page);
    await openFile(page, name);
    await lens(want).waitFor({ state: 'visible', timeout: 60_000 });
    await lens('Show in panel').waitFor({ state: 'visible', timeout: 10_000 });
    const line = (await page.locator('.codelens-decoration').first().innerText()).replace(/\u00a0/g, ' ');
    await page.mouse.move(5, 450);
    await page.screenshot({ path: path.join(opts.resultsDir, 'codelens.png') });
    return `${line.trim()} (test-results/codelens.png)`;
  });
  if (!shown) return;

  await step(
    "Show in panel: the panel's diagram has the reader's blocks, each one kxk conv and ONE 1x1 conv",
    async () => {
      await lens('Show in panel').click();
      const f = await waitFor(
        'the panel drawing the model (block 1 from 1×28×28)',
        async () => {
          for (const fr of page.frames()) {
            const l = await fr
              .locator('#app #block-nin_block_1')
              .getAttribute('aria-label', { timeout: 500 })
              .catch(() => null);
            if (l?.includes(`${torch.input.join('×')} →`) && (await fr.locator('#app #block-nin_block_4').count()))
              return fr;
          }
          return undefined;
        },
        60_000,
      );
      const parts = await f
        .locator('#app g.block[id^="block-nin_block"]')
        .evaluateAll((gs) =>
          gs.map((g) =>
            [...g.querySelectorAll('rect.part')].map((r) => r.getAttribute('class')?.replace('part part-', '')),
          ),
        );
      const expected = torch.blocks.map((convs) => convs.map(([k]) => (k === 1 ? 'conv1x1' : 'conv')));
      if (JSON.stringify(parts) !== JSON.stringify(expected))
        throw new Error(`blocks drawn ${JSON.stringify(parts)}, expected ${JSON.stringify(expected)}`);
      const block1 = (await f.locator('#block-nin_block_1').getAttribute('aria-label')) ?? '';
      // The top of the diagram: the model's name and input, its first blocks.
      await f.locator('#app .diagram-summary').first().scrollIntoViewIfNeeded();
      await page.mouse.move(5, 450);
      await page.screenshot({ path: path.join(opts.resultsDir, 'panel-model.png') });
      return `${parts.length} NiN blocks, each ${JSON.stringify(parts[0])}; block 1: ${block1} (test-results/panel-model.png)`;
    },
  );

  let panel: Frame | undefined;
  const trained = await step(
    `the lens "${want}" -> "Quick check on a subset" trains ${torch.model} to done`,
    async () => {
      await dismissToasts(page);
      // Back to the file's tab (the panel has the focus, and Quick Open keys would go to its webview).
      await page.locator('.tabs-container .tab', { hasText: name }).first().click();
      await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 30_000 });
      await lens(want).click();
      const input = page.locator('.quick-input-widget .quick-input-box input').first();
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Quick check on a subset' })
        .first()
        .waitFor({ timeout: 30_000 });
      const title = await page
        .locator('.quick-input-widget .quick-input-title')
        .innerText()
        .catch(() => '');
      await input.fill('Quick check');
      await pickRow(page, 'Quick check on a subset');
      panel = await webviewFrame(page, '#app .stats', 'the training panel webview', 120_000);
      const f = panel;
      const probe = await waitFor(
        `the run of ${torch.model} to finish`,
        async () => {
          const p = await probePanel(f).catch(() => undefined);
          if (p && (p.status === 'error' || p.status === 'stopped')) throw new Error(`the run ended ${p.status}`);
          // A panel still showing the earlier run's "done" is not this run's: its folder is named after the model.
          const run = await f
            .locator('#app .run-name')
            .innerText()
            .catch(() => '');
          return p?.status === 'done' && run.includes(`-${runStem}-`) ? p : undefined;
        },
        opts.trainTimeoutMs,
        1000,
      );
      return `pick titled ${JSON.stringify(title)}; epoch ${probe.epoch}, test accuracy ${probe.test}`;
    },
  );
  if (!trained || !panel) return;

  await step(`the Runs tab overlays the run of ${torch.model} with the built-in compact run`, async () => {
    const f = panel!;
    await f.locator('#tab-runs').click();
    await f.locator('vscode-button', { hasText: 'Refresh' }).first().click();
    const rows = f.locator('table.runs tbody tr');
    const pickRun = async (text: string) => {
      const row = rows.filter({ hasText: text }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.locator('vscode-checkbox').click();
    };
    await pickRun(`${torch.model} (`);
    await pickRun('compact (');
    await f.locator('vscode-button', { hasText: 'Overlay selected runs' }).first().click();
    const labels = await waitFor(
      'the overlay legend naming both networks',
      async () => {
        const l = await f.locator('.overlay-charts .u-legend .u-series').allInnerTexts();
        const t = l.map((x) => x.replace(/\s+/g, ' ').trim());
        return t.some((x) => x.includes(torch.model)) && t.some((x) => x.includes('compact')) ? t : undefined;
      },
      30_000,
    );
    await f.locator('.overlay-charts').scrollIntoViewIfNeeded();
    await dismissToasts(page);
    await page.mouse.move(5, 450);
    await page.screenshot({ path: path.join(opts.resultsDir, 'runs-overlay.png') });
    return `legend: ${labels.filter((x) => /compact|nin/.test(x)).join(' | ')} (test-results/runs-overlay.png)`;
  });
}

/**
 * The panel's evaluation tab after a quick-recipe run: the confusion heat map counts each of
 * the 1,000 test images once and the gallery shows test images; screenshot to `shot`.
 */
export async function evaluationTab(page: Page, f: Frame, shot: string): Promise<string> {
  await f.locator('#tab-evaluation').click();
  const counts = await waitFor(
    'the confusion heat map',
    async () => {
      const c = await f
        .locator('table.heatmap td.cell')
        .evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-count'))));
      return c.length === 100 ? c : undefined;
    },
    30_000,
  );
  const total = counts.reduce((a, b) => a + b, 0);
  // The quick-check recipe evaluates 1,000 test images: every one is counted once.
  if (total !== 1000) throw new Error(`the heat map counts ${total} test images, expected 1000`);
  const tiles = await f.locator('.gallery .tile').count();
  if (tiles < 1) throw new Error('the gallery shows no test images');
  await page.mouse.move(5, 450);
  await page.screenshot({ path: shot });
  return `heat map counts ${total} test images, gallery shows ${tiles} (test-results/${path.basename(shot)})`;
}
