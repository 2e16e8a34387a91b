/**
 * The training worker: one long-lived `worker_threads` Worker for the extension's lifetime
 * (tfjs-node is reported to fail in a second one). Every command is validated on arrival;
 * every run event is posted as it happens. Bundled to out/worker.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { validateCommand, type CalibrateCommand, type CalibrationEvent, type WorkerEvent } from '../../protocol/index';
import { calibrate } from '../calibrate';
import { runTraining } from '../engine';

/** What the host passes when it creates the worker. */
export interface WorkerData {
  /** Dataset cache folder (the extension's global storage). */
  readonly cacheDir?: string;
}

const port = parentPort;
if (!port) throw new Error('the training worker must run in a worker_threads Worker');
const data = (workerData ?? {}) as WorkerData;

const post = (e: WorkerEvent): void => port.postMessage(e);
let running = false;
let stopRequested = false;

async function doCalibrate(c: CalibrateCommand): Promise<void> {
  try {
    const r = await calibrate(c);
    const answer: CalibrationEvent = {
      type: 'calibration',
      preset: c.preset,
      input: c.input,
      backend: r.backend,
      imagesPerSecond: r.imagesPerSecond,
      flops: r.flops,
    };
    post(answer);
  } catch (e) {
    post({ type: 'error', message: `calibration failed: ${e instanceof Error ? e.message : String(e)}` });
  } finally {
    running = false;
  }
}

port.on('message', (msg: unknown) => {
  const v = validateCommand(msg);
  if (!v.ok) {
    post({ type: 'error', message: `the training worker rejected a message: ${v.error}` });
    return;
  }
  const cmd = v.value;
  switch (cmd.type) {
    case 'stop':
      stopRequested = true;
      return;
    case 'train':
    case 'calibrate':
      if (running) {
        post({ type: 'error', message: `the training worker is busy: ${cmd.type} refused until the current job ends` });
        return;
      }
      running = true;
      stopRequested = false;
      if (cmd.type === 'calibrate') {
        void doCalibrate(cmd);
        return;
      }
      void runTraining(cmd.config, cmd.resumeRunDir, {
        emit: post,
        shouldStop: () => stopRequested,
        data: data.cacheDir ? { cacheDir: data.cacheDir } : undefined,
      }).finally(() => {
        running = false;
      });
      return;
  }
});
