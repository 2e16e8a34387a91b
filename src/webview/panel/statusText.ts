/**
 * One word for a run's status, shared by the header strip (the live run) and the runs table
 * (run folders), so that the same state reads the same in both.
 */
import type { RunSummary } from '../../protocol/index';
import { s } from './i18n';
import type { RunStatus } from './series';

/** The localized word for the live run's status or a listed run's. */
export function statusText(status: RunStatus | RunSummary['status']): string {
  switch (status) {
    case 'idle':
      return s('no run');
    case 'preparing':
      return s('preparing');
    case 'running':
      return s('training');
    case 'done':
      return s('finished');
    case 'stopped':
      return s('stopped');
    case 'error':
      return s('failed');
    case 'diverged':
      return s('diverged');
    case 'incomplete':
      return s('incomplete');
  }
}
