/**
 * "NiN: Train"'s quick pick: the recipes, each labelled with its estimated time on this machine
 * and backend. The estimate scales a few seconds of calibration on the real engine (cached per
 * backend in globalState) by each recipe's FLOPs and images; the quick pick opens at once and
 * fills in the estimates when the calibration answers. With `nin.backend: auto` both engines are
 * measured (PyTorch, then TensorFlow.js), each recipe shows its time on the engine that will
 * run it (engineChoice.ts, as the run itself chooses) and the other engine's time beside it.
 */
import * as vscode from 'vscode';
import {
  cachedCalibration,
  calibrationKey,
  chooseEngine,
  measured,
  pytorchRefuses,
  type EngineChoice,
  type MachineSettings,
  type Measured,
} from '../train/engineChoice';
import {
  costModel,
  deviations,
  engineLabel,
  estimateSeconds,
  RECIPES,
  runSize,
  type Calibration,
  type RecipeFields,
  type RecipeId,
} from '../train/recipes';
import { MODEL_PRESET, type ModelSource } from '../protocol/config';
import type { TrainingSession } from './session';
import { formatDuration } from './sessionFormat';
import { shapeProblem, type TrainingSettings } from './settings';

/** What the user picked: a recipe's fields, and which one. */
export interface PickedRecipe {
  readonly id: RecipeId | 'settings';
  readonly fields: RecipeFields;
}

type Item = vscode.QuickPickItem & { id: RecipeId | 'settings' | 'recalibrate'; fields?: RecipeFields };

/** Calibrations being measured, so that a quick pick opened again waits for them instead of measuring twice. */
const inFlight = new Map<string, Promise<Calibration>>();

/** The cached calibration for these settings' backend, or a new one measured on the engine. */
export function calibration(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  s: MachineSettings,
  force = false,
): Promise<Calibration> {
  const key = calibrationKey(s);
  const running = inFlight.get(key);
  if (running) return running;
  const p = cachedCalibration(context.globalState, (r) => session.calibrate(r), s, force).finally(() =>
    inFlight.delete(key),
  );
  inFlight.set(key, p);
  return p;
}

/**
 * The engines the quick pick measures: the settings' backend, or with `auto` PyTorch and then
 * TensorFlow.js's own `auto` (PyTorch first: without it, it fails at once).
 */
function enginesToMeasure(s: MachineSettings): MachineSettings[] {
  return s.backend === 'auto' ? [{ ...s, backend: 'pytorch' }, s] : [s];
}

/** Each measured engine's state: measuring (undefined) or its outcome, in enginesToMeasure's order. */
type EngineStates = readonly (Measured | undefined)[];

/** The recipe's name in the list. */
function recipeLabel(id: RecipeId | 'settings'): string {
  switch (id) {
    case 'article':
      return vscode.l10n.t("The article's recipe");
    case 'seed96':
      return vscode.l10n.t("The article's network at 96×96");
    case 'compact28':
      return vscode.l10n.t('Compact NiN at 28×28');
    case 'quick':
      return vscode.l10n.t('Quick check on a subset');
    case 'settings':
      return vscode.l10n.t('Current settings');
  }
}

/** `seed NiN, 224×224, SGD lr 0.1, batch 128, 10 epochs, 60,000 + 10,000 images` (a model: `nin(), 28×28, ...`). */
export function recipeSummary(r: RecipeFields): string {
  const size = runSize(r);
  return vscode.l10n.t(
    '{0}, {1}×{1}, {2} lr {3}, batch {4}, {5} epochs, {6} + {7} images',
    r.model ? r.model.name : vscode.l10n.t('{0} NiN', r.preset),
    r.input,
    r.optimizer === 'sgd' ? 'SGD' : r.optimizer === 'adam' ? 'Adam' : vscode.l10n.t('SGD with momentum'),
    r.lr,
    r.batchSize,
    r.epochs,
    (size?.trainImages ?? 0).toLocaleString('en-US'),
    (size?.testImages ?? 0).toLocaleString('en-US'),
  );
}

/** `As in the article.` or `Deviates from the article: input size, epochs.` */
export function deviationText(r: RecipeFields): string {
  const d = deviations(r);
  if (!d.length) return vscode.l10n.t('As in the article.');
  const names: Record<(typeof d)[number], string> = {
    preset: vscode.l10n.t('network'),
    input: vscode.l10n.t('input size'),
    epochs: vscode.l10n.t('epochs'),
    batchSize: vscode.l10n.t('batch size'),
    optimizer: vscode.l10n.t('optimizer'),
    lr: vscode.l10n.t('learning rate'),
    subset: vscode.l10n.t('a subset of the data'),
  };
  return vscode.l10n.t('Deviates from the article: {0}.', d.map((x) => names[x]).join(vscode.l10n.t(', ')));
}

const duration = (seconds: number) => formatDuration(seconds, vscode.l10n.t);

/** A recipe's estimate: the quick pick's description, and what the detail line starts with. */
interface RecipeEstimate {
  readonly description: string;
  readonly detail: string;
}

/** The estimate on the one engine the settings name. */
function singleEstimate(size: NonNullable<ReturnType<typeof runSize>>, m: Measured): RecipeEstimate {
  if (!m.ok) return { description: vscode.l10n.t('no estimate'), detail: '' };
  const seconds = estimateSeconds(costModel(m.calibration.points), size);
  return { description: vscode.l10n.t('≈ {0} on {1}', duration(seconds), engineLabel(m.calibration)), detail: '' };
}

/** `auto`: the estimate on the engine that will run, and both engines' in the detail line. */
function autoEstimate(choice: EngineChoice): RecipeEstimate {
  const { chosen, other } = choice;
  if (!chosen) return { description: vscode.l10n.t('no estimate'), detail: '' };
  const on = (e: typeof chosen) => vscode.l10n.t('≈ {0} on {1}', duration(e.seconds), e.label);
  return { description: on(chosen), detail: other ? `${on(chosen)} · ${on(other)} · ` : '' };
}

/** What the quick pick shows for a recipe while the engines are measured and once they are. */
function recipeEstimate(r: RecipeFields, s: MachineSettings, states: EngineStates): RecipeEstimate {
  const size = runSize(r);
  if (!size) return { description: vscode.l10n.t('$(error) shapes collapse'), detail: '' };
  if (states.some((m) => m === undefined))
    return { description: vscode.l10n.t('$(loading~spin) measuring this machine…'), detail: '' };
  const [first, second] = states as readonly Measured[];
  if (s.backend !== 'auto') return singleEstimate(size, first);
  const refused = pytorchRefuses(r);
  return autoEstimate(chooseEngine(size, second, refused ? { ok: false, reason: refused } : first));
}

/**
 * A recipe for the reader's model: its training (epochs, batch, optimizer, subset) on the
 * model's own input, which its code fixes (the images are resized to it, as the article resizes
 * to 224); the estimate then follows the model's FLOPs.
 */
const forModel = (r: RecipeFields, model: ModelSource): RecipeFields => ({
  ...r,
  preset: MODEL_PRESET,
  model,
  input: model.input[1],
});

/**
 * Open the recipe quick pick; resolves with the chosen recipe, or undefined when dismissed.
 * With `model`, the recipes train that network read from code (see forModel).
 */
export async function pickRecipe(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  settings: TrainingSettings,
  log: Pick<vscode.LogOutputChannel, 'warn' | 'info'>,
  model?: ModelSource,
): Promise<PickedRecipe | undefined> {
  const fromSettings: RecipeFields = {
    preset: settings.preset,
    input: settings.input,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    lr: settings.lr,
    optimizer: settings.optimizer,
    limitTrain: 0,
    limitTest: 0,
  };
  const fit = (f: RecipeFields): RecipeFields => (model ? forModel(f, model) : f);
  const choices: { id: RecipeId | 'settings'; fields: RecipeFields }[] = [
    ...RECIPES.map((r) => ({ id: r.id, fields: fit(r) })),
    { id: 'settings', fields: fit(fromSettings) },
  ];
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = model
    ? vscode.l10n.t(
        'NiN: Train {0} ({1} parameters, input {2}) — pick a recipe',
        model.name,
        model.params.toLocaleString('en-US'),
        model.input.join('×'),
      )
    : vscode.l10n.t('NiN: Train — pick a recipe');
  qp.placeholder = model
    ? vscode.l10n.t(
        "Each recipe's training on the model's own input {0}; times are estimated for this machine from its FLOPs",
        model.input.join('×'),
      )
    : vscode.l10n.t('Times are estimated for this machine from a few seconds of measurement on the training engine');
  qp.matchOnDetail = true;
  const engines = enginesToMeasure(settings);
  let states: EngineStates = engines.map(() => undefined);
  // Accepted (maybe waiting for the measurements), and what the pick resolves with.
  let picked: PickedRecipe | undefined;
  let result: PickedRecipe | undefined;
  let hidden = false;
  const render = () => {
    if (hidden) return;
    const active = qp.activeItems[0]?.id;
    const items: Item[] = choices.map(({ id, fields }) => {
      const problem = shapeProblem(fields);
      const estimate = recipeEstimate(fields, settings, states);
      return {
        id,
        fields,
        label: recipeLabel(id),
        description: estimate.description,
        // the engines' times and the deviation first: a long detail line is cut at the quick pick's width
        detail: problem ? problem.message : `${estimate.detail}${deviationText(fields)} ${recipeSummary(fields)}`,
      };
    });
    const at = Math.max(0, ...states.map((m) => (m?.ok ? m.calibration.at : 0)));
    items.push({
      id: 'recalibrate',
      label: vscode.l10n.t('$(dashboard) Measure this machine again'),
      description: at ? vscode.l10n.t('measured {0}', new Date(at).toLocaleString()) : '',
      alwaysShow: true,
    });
    qp.items = items;
    const again = items.find((i) => i.id === active);
    if (again) qp.activeItems = [again];
  };
  const logOutcome = (m: Measured, s: MachineSettings) => {
    if (!m.ok) {
      log.warn(`calibration (${s.backend}) failed: ${m.reason}`);
      return;
    }
    const c = m.calibration;
    log.info(
      `calibration (${engineLabel(c)}): ${c.points.map((p) => `${(p.flops / 1e6).toFixed(1)} MFLOPs/image at ${p.imagesPerSecond.toFixed(1)} images/s`).join(', ')}`,
    );
  };
  const measure = async (force: boolean) => {
    states = engines.map(() => undefined);
    qp.busy = true;
    render();
    // One engine after the other: measured side by side, each would slow the other down.
    for (const [i, s] of engines.entries()) {
      const m = await measured(calibration(context, session, s, force));
      logOutcome(m, s);
      states = states.map((x, j) => (j === i ? m : x));
      render();
    }
    const failures = states.filter((m): m is Extract<Measured, { ok: false }> => m?.ok === false);
    if (failures.length === states.length)
      qp.placeholder = vscode.l10n.t('No estimates: {0}', failures.map((m) => m.reason).join('; '));
    qp.busy = false;
    render();
    if (picked && !hidden) {
      // accepted while measuring: the run's engine is known now
      result = picked;
      qp.hide();
    }
  };
  return new Promise<PickedRecipe | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0];
      if (!item || picked) return;
      if (item.id === 'recalibrate') {
        if (!qp.busy) void measure(true);
        return;
      }
      if (!item.fields || shapeProblem(item.fields)) return; // the detail line says why
      picked = { id: item.id, fields: item.fields };
      // With auto, the run takes the engine these measurements choose: they finish first.
      if (settings.backend === 'auto' && qp.busy)
        qp.placeholder = vscode.l10n.t('Measuring the engines to choose the faster one; training starts when done');
      else {
        result = picked;
        qp.hide();
      }
    });
    qp.onDidHide(() => {
      hidden = true;
      qp.dispose();
      resolve(result);
    });
    void measure(false);
    qp.show();
  });
}
