/**
 * Texts the training session shows (progress notification, status bar, estimates), as pure
 * functions of the events with an injected translator, so they are unit-tested in both languages.
 */
import type { BatchEvent, PrepareEvent, StartEvent } from '../protocol/index';
import { splitDuration } from '../train/recipes';
import type { Translate } from './settings';

/** `1 h 05 min`, `4 min 10 s`, `42 s` (rounded as splitDuration does). */
export function formatDuration(seconds: number, t: Translate): string {
  if (!Number.isFinite(seconds)) return t('unknown');
  const d = splitDuration(seconds);
  if (d.hours > 0) return t('{0} h {1} min', d.hours, String(d.minutes).padStart(2, '0'));
  if (d.minutes > 0) return d.seconds ? t('{0} min {1} s', d.minutes, d.seconds) : t('{0} min', d.minutes);
  return t('{0} s', d.seconds);
}

/** Percentages with one decimal: `91.3%`. */
export function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}

/** Fraction of the whole run done at a batch (0..1), counting from the epoch the run started at. */
export function runFraction(
  e: Pick<BatchEvent, 'epoch' | 'batch' | 'batchesPerEpoch'>,
  start: Pick<StartEvent, 'startEpoch'> & { epochs: number },
): number {
  const total = start.epochs - start.startEpoch + 1;
  if (total <= 0 || e.batchesPerEpoch <= 0) return 0;
  const done = e.epoch - start.startEpoch + Math.min(e.batch, e.batchesPerEpoch) / e.batchesPerEpoch;
  return Math.min(1, Math.max(0, done / total));
}

/** The progress notification's line: epoch, batch, loss, ETA. */
export function progressMessage(e: BatchEvent, epochs: number, t: Translate): string {
  return t(
    'Epoch {0}/{1} · batch {2}/{3} · loss {4} · {5} images/s · ETA {6}',
    e.epoch,
    epochs,
    e.batch,
    e.batchesPerEpoch,
    e.loss.toFixed(4),
    Math.round(e.imagesPerSecond),
    formatDuration(e.etaSeconds, t),
  );
}

/** The preparation line (dataset download or check). */
export function prepareMessage(e: PrepareEvent, t: Translate): string {
  return e.fraction >= 0 ? t('{0} ({1})', e.message, percent(e.fraction)) : e.message;
}

/** Short status-bar text while training: `NiN 3/10 · 42%`. */
export function statusText(epoch: number, epochs: number, fraction: number): string {
  return `NiN ${epoch}/${epochs} · ${Math.floor(100 * fraction)}%`;
}
