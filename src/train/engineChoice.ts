/**
 * `nin.backend: auto` across engines: TensorFlow.js's own choice (native TensorFlow, else
 * WebAssembly, src/backends/backend.ts) against the PyTorch engine, decided by each engine's
 * calibration scaled to the run's FLOPs (recipes.ts's cost model). Also the calibration's
 * measurement loop and its cache (the extension's globalState, or any key-value store), shared by
 * the quick pick (its estimates), the routing engine (the run) and the CLI. No vscode here.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BackendPreference, DevicePreference } from '../backends/backend-names';
import { writeFileAtomically } from '../files/writes';
import type { NetworkChoice } from '../model/spec';
import type { CalibrationRequest, CalibrationResult } from './engineApi';
import {
  affordable,
  CALIBRATION_BATCH,
  CALIBRATION_TARGETS,
  calibrationFresh,
  costModel,
  engineLabel,
  estimateSeconds,
  forwardFlops,
  isCalibration,
  runSize,
  trainSecondsPerImage,
  type Calibration,
  type CalibrationPoint,
  type RecipeFields,
  type RunSize,
} from './recipes';

/** Measures one calibration point on the engine that `request.backend` names. */
export type Measure = (request: CalibrationRequest) => Promise<CalibrationResult>;

/** Where calibrations are kept between sessions (vscode's Memento has this shape). */
export interface CalibrationStore {
  get(key: string): unknown;
  update(key: string, value: unknown): PromiseLike<void> | void;
}

/**
 * A store in one JSON file (the CLI's, beside its dataset cache): an unreadable or invalid file
 * is an empty store (its calibrations are measured again); each update rewrites it atomically.
 */
export function fileCalibrationStore(file: string): CalibrationStore {
  const read = (): Record<string, unknown> => {
    try {
      const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  return {
    get: (key) => read()[key],
    update: (key, value) => {
      mkdirSync(dirname(file), { recursive: true });
      writeFileAtomically(file, JSON.stringify({ ...read(), [key]: value }, null, 1));
    },
  };
}

/** The machine settings a calibration depends on. */
export interface MachineSettings {
  readonly backend: BackendPreference;
  readonly threads: number;
  readonly device: DevicePreference;
}

/** One engine's calibration, or why there is none (PyTorch not found, the engine failed). */
export type Measured =
  { readonly ok: true; readonly calibration: Calibration } | { readonly ok: false; readonly reason: string };

/** An engine's estimated time for a run. */
export interface EngineEstimate {
  /** `wasm`, `tensorflow`, `pytorch (cpu)`. */
  readonly label: string;
  readonly seconds: number;
}

/** What `auto` runs, and why. */
export interface EngineChoice {
  /** The backend the run goes to: `pytorch`, or `auto` (TensorFlow.js picks its backend as always). */
  readonly backend: 'auto' | 'pytorch';
  /** The engine that will run: `pytorch (cpu)`, `wasm`, or `TensorFlow.js` when it was not measured. */
  readonly label: string;
  /** Why, for the backend line: `3.1x faster than wasm on this machine's calibration`. */
  readonly why: string;
  /** The estimate on the engine that runs (when it was measured and the network fits). */
  readonly chosen?: EngineEstimate;
  /** The other engine's estimate, when both were measured. */
  readonly other?: EngineEstimate;
}

// PyTorch's speed depends on its device too (a GPU run must not reuse a CPU measurement).
/** The store key of a calibration for these settings. */
export function calibrationKey(s: MachineSettings): string {
  return `nin.calibration.${s.backend}.${s.threads}${s.backend === 'pytorch' ? `.${s.device}` : ''}`;
}

/**
 * Measure the calibration points (the cheap network, then a mid-sized one while a batch of it
 * stays affordable) on the engine that `s.backend` names.
 */
export async function measureCalibration(measure: Measure, s: MachineSettings): Promise<Calibration> {
  const points: CalibrationPoint[] = [];
  let backend = '';
  let device: string | undefined;
  for (const target of CALIBRATION_TARGETS) {
    const flops = forwardFlops(target.preset, target.input);
    if (flops === undefined || !affordable(points, flops)) break;
    const r = await measure({ ...target, batchSize: CALIBRATION_BATCH, backend: s.backend, threads: s.threads });
    points.push({ flops: r.flops > 0 ? r.flops : flops, imagesPerSecond: r.imagesPerSecond });
    backend = r.backend;
    device = r.device;
  }
  return { backend, ...(device ? { device } : {}), points, at: Date.now() };
}

/** The stored calibration for these settings while it is fresh, else a new one (then stored). */
export async function cachedCalibration(
  store: CalibrationStore,
  measure: Measure,
  s: MachineSettings,
  force = false,
): Promise<Calibration> {
  const key = calibrationKey(s);
  const cached = store.get(key);
  if (!force && isCalibration(cached) && calibrationFresh(cached, Date.now())) return cached;
  const c = await measureCalibration(measure, s);
  await store.update(key, c);
  return c;
}

/** A calibration's outcome as a value: a failure becomes its message. */
export function measured(p: Promise<Calibration>): Promise<Measured> {
  return p.then(
    (calibration): Measured => ({ ok: true, calibration }),
    (e: unknown): Measured => ({ ok: false, reason: e instanceof Error ? e.message : String(e) }),
  );
}

const estimate = (c: Calibration, size: RunSize | undefined): EngineEstimate | undefined =>
  size ? { label: engineLabel(c), seconds: estimateSeconds(costModel(c.points), size) } : undefined;

/**
 * Which engine `auto` runs for a run of `size` (undefined: its network collapses; the engines are
 * then compared on the dearest network they measured): the one whose calibration predicts the
 * shorter run. Without a PyTorch calibration, TensorFlow.js, as before PyTorch was an engine;
 * `tfjs` may be undefined then (not measured).
 */
export function chooseEngine(size: RunSize | undefined, tfjs: Measured | undefined, pytorch: Measured): EngineChoice {
  const tf = tfjs?.ok ? tfjs.calibration : undefined;
  const tfLabel = tf ? engineLabel(tf) : 'TensorFlow.js';
  if (!pytorch.ok)
    return {
      backend: 'auto',
      label: tfLabel,
      why: `PyTorch not used: ${pytorch.reason}`,
      chosen: tf && estimate(tf, size),
    };
  const pt = pytorch.calibration;
  const ptLabel = engineLabel(pt);
  if (!tf) {
    const why = tfjs && !tfjs.ok ? tfjs.reason : 'not measured';
    return {
      backend: 'pytorch',
      label: ptLabel,
      why: `TensorFlow.js not measured: ${why}`,
      chosen: estimate(pt, size),
    };
  }
  const flops = size?.flops ?? Math.max(...pt.points.map((p) => p.flops), ...tf.points.map((p) => p.flops));
  const tPt = trainSecondsPerImage(costModel(pt.points), flops);
  const tTf = trainSecondsPerImage(costModel(tf.points), flops);
  // A tie goes to TensorFlow.js: no Python process to start.
  const torchWins = tPt < tTf;
  const [winner, loser] = torchWins ? [pt, tf] : [tf, pt];
  const ratio = torchWins ? tTf / tPt : tPt / tTf;
  return {
    backend: torchWins ? 'pytorch' : 'auto',
    label: engineLabel(winner),
    why: `${ratio.toFixed(1)}x faster than ${engineLabel(loser)} on this machine's calibration`,
    chosen: estimate(winner, size),
    other: estimate(loser, size),
  };
}

/** Why the PyTorch engine cannot train this network, or undefined when it can (it refuses batch norm). */
export function pytorchRefuses(r: NetworkChoice): string | undefined {
  const layers = r.model ? r.model.layers : [];
  return JSON.stringify(layers).includes('"kind":"batchnorm"')
    ? 'the PyTorch engine does not train batch norm yet'
    : undefined;
}

/**
 * The choice for one run with `nin.backend: auto`: PyTorch's calibration first (without a usable
 * PyTorch it fails at once, and TensorFlow.js then runs as it always did, unmeasured), then
 * TensorFlow.js's; each comes from the store while fresh.
 */
export async function chooseForRun(
  store: CalibrationStore,
  measure: Measure,
  run: RecipeFields & Pick<MachineSettings, 'threads'> & { readonly device?: DevicePreference },
): Promise<EngineChoice> {
  const refused = pytorchRefuses(run);
  if (refused) return chooseEngine(runSize(run), undefined, { ok: false, reason: refused });
  const s = { threads: run.threads, device: run.device ?? 'auto' };
  const pytorch = await measured(cachedCalibration(store, measure, { ...s, backend: 'pytorch' }));
  if (!pytorch.ok) return chooseEngine(runSize(run), undefined, pytorch);
  const tfjs = await measured(cachedCalibration(store, measure, { ...s, backend: 'auto' }));
  return chooseEngine(runSize(run), tfjs, pytorch);
}

/** The backend line's reason for a run `auto` sent to `choice`'s engine. */
export function choiceReason(choice: EngineChoice, engineReason: string): string {
  return `auto chose ${choice.label}: ${choice.why}; ${engineReason}`;
}
