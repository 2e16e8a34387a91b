/**
 * "NiN: Train"'s quick pick: the recipes, each labelled with its estimated time on this machine
 * and backend. The estimate scales a few seconds of calibration on the real engine (cached per
 * backend in globalState) by each recipe's FLOPs and images; the quick pick opens at once and
 * fills in the estimates when the calibration answers.
 */
import * as vscode from 'vscode';
import {
  affordable,
  CALIBRATION_BATCH,
  CALIBRATION_TARGETS,
  calibrationFresh,
  costModel,
  deviations,
  estimateSeconds,
  forwardFlops,
  isCalibration,
  RECIPES,
  runSize,
  type Calibration,
  type CalibrationPoint,
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

// PyTorch's speed depends on its device too (a GPU run must not reuse a CPU measurement).
const calibrationKey = (s: Pick<TrainingSettings, 'backend' | 'threads' | 'device'>) =>
  `nin.calibration.${s.backend}.${s.threads}${s.backend === 'pytorch' ? `.${s.device}` : ''}`;

/** The cached calibration for these settings' backend, or a new one measured on the engine. */
export async function calibration(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  s: Pick<TrainingSettings, 'backend' | 'threads' | 'device'>,
  force = false,
): Promise<Calibration> {
  const key = calibrationKey(s);
  const cached = context.globalState.get<unknown>(key);
  if (!force && isCalibration(cached) && calibrationFresh(cached, Date.now())) return cached;
  const points: CalibrationPoint[] = [];
  let backend = '';
  for (const target of CALIBRATION_TARGETS) {
    const flops = forwardFlops(target.preset, target.input);
    if (flops === undefined || !affordable(points, flops)) break;
    const r = await session.calibrate({
      ...target,
      batchSize: CALIBRATION_BATCH,
      backend: s.backend,
      threads: s.threads,
    });
    points.push({ flops: r.flops > 0 ? r.flops : flops, imagesPerSecond: r.imagesPerSecond });
    backend = r.backend;
  }
  const c: Calibration = { backend, points, at: Date.now() };
  await context.globalState.update(key, c);
  return c;
}

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

function estimateText(r: RecipeFields, cal: Calibration | undefined, state: 'measuring' | 'failed' | 'ready'): string {
  const size = runSize(r);
  if (!size) return vscode.l10n.t('$(error) shapes collapse');
  if (state === 'measuring') return vscode.l10n.t('$(loading~spin) measuring this machine…');
  if (state === 'failed' || !cal) return vscode.l10n.t('no estimate');
  return vscode.l10n.t(
    '≈ {0} on {1}',
    formatDuration(estimateSeconds(costModel(cal.points), size), vscode.l10n.t),
    cal.backend,
  );
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
  let cal: Calibration | undefined;
  let state: 'measuring' | 'failed' | 'ready' = 'measuring';
  const render = () => {
    const active = qp.activeItems[0]?.id;
    const items: Item[] = choices.map(({ id, fields }) => {
      const problem = shapeProblem(fields);
      return {
        id,
        fields,
        label: recipeLabel(id),
        description: estimateText(fields, cal, state),
        // the deviation first: a long detail line is cut at the quick pick's width
        detail: problem ? problem.message : `${deviationText(fields)} ${recipeSummary(fields)}`,
      };
    });
    items.push({
      id: 'recalibrate',
      label: vscode.l10n.t('$(dashboard) Measure this machine again'),
      description: cal ? vscode.l10n.t('measured {0}', new Date(cal.at).toLocaleString()) : '',
      alwaysShow: true,
    });
    qp.items = items;
    const again = items.find((i) => i.id === active);
    if (again) qp.activeItems = [again];
  };
  const measure = (force: boolean) => {
    state = 'measuring';
    qp.busy = true;
    render();
    calibration(context, session, settings, force)
      .then(
        (c) => {
          cal = c;
          state = 'ready';
          log.info(
            `calibration (${c.backend}): ${c.points.map((p) => `${(p.flops / 1e6).toFixed(1)} MFLOPs/image at ${p.imagesPerSecond.toFixed(1)} images/s`).join(', ')}`,
          );
        },
        (e: unknown) => {
          state = 'failed';
          qp.placeholder = vscode.l10n.t('No estimates: {0}', (e as Error).message);
          log.warn(`calibration failed: ${(e as Error).message}`);
        },
      )
      .finally(() => {
        qp.busy = false;
        render();
      });
  };
  return new Promise<PickedRecipe | undefined>((resolve) => {
    let picked: PickedRecipe | undefined;
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0];
      if (!item) return;
      if (item.id === 'recalibrate') {
        if (!qp.busy) measure(true);
        return;
      }
      if (!item.fields || shapeProblem(item.fields)) return; // the detail line says why
      picked = { id: item.id, fields: item.fields };
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(picked);
    });
    measure(false);
    qp.show();
  });
}
