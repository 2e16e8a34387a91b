// A run that diverged is listed as "diverged", not "failed": a real divergent run (compact at
// 16x16, SGD at lr 1000, real Fashion-MNIST) is read back from its folder by the listing that
// Open Run, Resume and the panel's Runs table use. The engine marks divergence in the error
// event's `diverged` field; a log written before that field existed still reads as an error.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatePanelHostMessage, type TrainConfig, type TrainEvent } from '../../src/protocol/index';
import { listRuns, panelSummary, runFacts, runPaths } from '../../src/runs';
import { runTraining } from '../../src/train/engine';
import { statusText } from '../../src/webview/panel/statusText';
import { smallRun } from './helpers';

const config = (runsDir: string, over: Partial<TrainConfig>): TrainConfig =>
  smallRun(runsDir, { limitTrain: 256, ...over });

describe('a diverged run in the run listings', () => {
  let runs: string;
  let runDir: string;
  before(async function () {
    this.timeout(120_000);
    runs = mkdtempSync(join(tmpdir(), 'nin-diverged-'));
    const events: TrainEvent[] = [];
    const outcome = await runTraining(config(runs, { optimizer: 'sgd', lr: 1000 }), undefined, {
      emit: (e) => events.push(e),
      shouldStop: () => false,
      data: { download: false },
      batchEventIntervalMs: 0,
    });
    assert.equal(outcome, 'error', `the run ended ${events.at(-1)?.type}`);
    const start = events.find((e) => e.type === 'start');
    assert.ok(start?.type === 'start');
    runDir = start.runDir;
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('reads "diverged" from its folder: in the listing, the panel message (validated) and the Runs table word', async () => {
    const [info] = await listRuns([runs]);
    assert.equal(info.runDir, runDir);
    assert.equal(info.status, 'diverged');
    assert.equal(info.badLines, 0);
    const message = { type: 'runs', runs: [panelSummary(info)] };
    const checked = validatePanelHostMessage(JSON.parse(JSON.stringify(message)));
    assert.ok(checked.ok, checked.ok ? '' : checked.error);
    assert.equal(statusText(info.status), 'diverged');
  });

  it('a log from before the mark, or another error, still reads as "error"', async () => {
    const metrics = runPaths(runDir).metrics;
    const lines = readFileSync(metrics, 'utf8').trimEnd().split('\n');
    const last = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    assert.equal(last.type, 'error');
    assert.ok(last.diverged, 'the engine marked the error as a divergence');
    delete last.diverged;
    // The message still says "diverged": the status must not come from its text.
    assert.match(String(last.message), /diverged/);
    writeFileSync(metrics, [...lines.slice(0, -1), JSON.stringify(last)].join('\n') + '\n');
    const [info] = await listRuns([runs]);
    assert.equal(info.status, 'error');
    assert.equal(runFacts([{ type: 'error', message: 'out of memory' }]).status, 'error');
  });
});
