/**
 * Browser-side checks of the PyTorch engine: with `nin.backend: pytorch` (and `nin.pythonPath`
 * the interpreter with torch, NIN_TEST_PYTHON or Debian's /usr/bin/python3) in the workspace's
 * settings, as a user would set them, "NiN: Train" on the quick recipe ends done, the panel shows
 * the pytorch engine and its device, the evaluation tab fills in, and Classify Image runs the
 * run's exported model on a test image.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { dismissToasts, evaluationTab, pickRow, probePanel, runCommand, webviewFrame, type UiOptions } from './ui';
import { classifyCheck } from './uiClassify';
import { waitFor } from './workspace';

const PYTHON = process.env.NIN_TEST_PYTHON ?? '/usr/bin/python3';
const QUICK = 'Quick check on a subset';

/** The quick recipe's estimate (its row's description, which names the engine), or undefined before it is in. */
async function quickEstimate(page: Page): Promise<string | undefined> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: QUICK }).first();
  const d = await row
    .locator('.label-description')
    .first()
    .innerText({ timeout: 1000 })
    .catch(() => '');
  return / on /.test(d) ? d.replace(/\s+/g, ' ').trim() : undefined;
}

/**
 * Opens "NiN: Train" until its quick pick estimates the quick recipe on PyTorch (the workspace
 * settings take effect once VS Code has read the new file), and picks that recipe.
 */
async function trainQuickOnPytorch(page: Page): Promise<string> {
  const input = page.locator('.quick-input-widget .quick-input-box input').first();
  return waitFor(
    'the recipe quick pick estimating on pytorch',
    async () => {
      await dismissToasts(page);
      await runCommand(page, 'NiN: Train');
      const row = await waitFor('the quick recipe estimate', () => quickEstimate(page), 180_000, 500);
      // auto may choose pytorch too; its row then also estimates the other engine ("≈ … on pytorch · ≈ … on wasm"):
      // only the row of nin.backend pytorch, read from the new settings file, estimates on one engine.
      const whole = await page
        .locator('.quick-input-list .monaco-list-row', { hasText: QUICK })
        .first()
        .innerText({ timeout: 1000 })
        .catch(() => '');
      if (!/ on pytorch/.test(row) || (whole.match(/≈/g) ?? []).length !== 1) {
        await page.keyboard.press('Escape');
        return undefined;
      }
      await input.fill('Quick check');
      await pickRow(page, QUICK);
      return row;
    },
    240_000,
    1000,
  );
}

/** The PyTorch checks, run by uiChecks after the TensorFlow.js ones. */
export async function pytorchUiChecks(
  page: Page,
  opts: UiOptions,
  step: (name: string, f: () => Promise<string | void>) => Promise<boolean>,
): Promise<void> {
  const settingsDir = path.join(path.dirname(opts.pythonFile), '.vscode');
  let panel: Frame | undefined;
  try {
    await step(
      `with nin.backend pytorch (nin.pythonPath ${PYTHON}): NiN: Train -> "${QUICK}" ends done and the panel shows pytorch and the device`,
      async () => {
        mkdirSync(settingsDir, { recursive: true });
        writeFileSync(
          path.join(settingsDir, 'settings.json'),
          JSON.stringify({ 'nin.backend': 'pytorch', 'nin.pythonPath': PYTHON }, null, 2),
        );
        const row = await trainQuickOnPytorch(page);
        panel = await webviewFrame(page, '#app .stats', 'the training panel webview', 120_000);
        const f = panel;
        // The earlier run's panel says done too: this run's line starts with PyTorch's own reason.
        const probe = await waitFor(
          'the PyTorch run to finish in the panel',
          async () => {
            const p = await probePanel(f).catch(() => undefined);
            if (!p || !/^pytorch backend \(PyTorch /.test(p.line)) return undefined;
            if (p.status === 'error' || p.status === 'stopped') throw new Error(`the run ended ${p.status}: ${p.line}`);
            return p.status === 'done' ? p : undefined;
          },
          opts.trainTimeoutMs,
          1000,
        );
        if (probe.backend !== 'pytorch') throw new Error(`backend stat ${JSON.stringify(probe.backend)}`);
        const device = /on the (CPU|CUDA GPU|Apple MPS)/.exec(probe.line)?.[1];
        if (!device) throw new Error(`the backend line names no device: ${JSON.stringify(probe.line)}`);
        if (!/^2\s*\/\s*2$/.test(probe.epoch) || !/\d/.test(probe.test))
          throw new Error(`epoch ${JSON.stringify(probe.epoch)}, test accuracy ${JSON.stringify(probe.test)}`);
        await dismissToasts(page);
        // The panel keeps the tab last shown (the earlier run's evaluation): the curves' tab first.
        await f.locator('#tab-training').click();
        await page.mouse.move(5, 450);
        await page.screenshot({ path: path.join(opts.resultsDir, 'panel-pytorch.png') });
        return `quick pick estimate "${row}"; panel: backend ${probe.backend}, device ${device}, epoch ${probe.epoch}, test accuracy ${probe.test}; "${probe.line}" (test-results/panel-pytorch.png)`;
      },
    );
    await step("the PyTorch run's evaluation tab: heat map over the 1,000 test images, gallery", async () => {
      if (!panel) throw new Error('no panel');
      const shown = await evaluationTab(page, panel, path.join(opts.resultsDir, 'panel-pytorch-evaluation.png'));
      await panel.locator('#tab-training').click();
      return shown;
    });
    await step(
      "NiN: Classify Image... with the PyTorch run's model: a Fashion-MNIST test image (PNG) through the view",
      () =>
        classifyCheck(page, {
          workspace: path.dirname(opts.pythonFile),
          runsDir: path.join(path.dirname(opts.pythonFile), '.nin', 'runs'),
          backend: 'pytorch',
          index: 0,
          shot: path.join(opts.resultsDir, 'classify-pytorch.png'),
        }),
    );
  } finally {
    rmSync(settingsDir, { recursive: true, force: true });
  }
}
