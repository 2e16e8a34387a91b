/**
 * Reading a run folder: its config (strictly, or leniently for listings) and its metrics log,
 * every line validated. A bad line (a torn last line after a crash, an edited file) is counted
 * and reported, never thrown, and the log is read as a stream, so any size works.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { createInterface } from 'node:readline';
import { validateConfig, validateEvent, type TrainConfig, type TrainEvent } from '../protocol/index';
import { runPaths } from './layout';

/** Where readers report what they skipped (the extension's log channel, the CLI's stderr). */
export interface RunLog {
  warn(message: string): void;
}

/** A metrics log read back: the valid events in order, and how many lines were not. */
export interface MetricsRead {
  readonly events: TrainEvent[];
  readonly badLines: number;
}

/** Validate one line of a metrics log: the event, or why it is not one. */
export function parseMetricsLine(line: string): { event: TrainEvent } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { error: `not JSON (${(e as Error).message})` };
  }
  const v = validateEvent(value);
  return v.ok ? { event: v.value } : { error: v.error };
}

/** Collects lines into a MetricsRead, logging each bad one with its line number. */
class MetricsCollector {
  readonly events: TrainEvent[] = [];
  badLines = 0;
  private lineNo = 0;
  constructor(
    private readonly source: string,
    private readonly log?: RunLog,
  ) {}
  add(raw: string): void {
    this.lineNo++;
    const line = raw.trim();
    if (!line) return;
    const r = parseMetricsLine(line);
    if ('event' in r) this.events.push(r.event);
    else {
      this.badLines++;
      this.log?.warn(`${this.source}:${this.lineNo}: skipped, ${r.error}`);
    }
  }
  result(): MetricsRead {
    return { events: this.events, badLines: this.badLines };
  }
}

/** Parse metrics text (tests, fixtures); `source` names it in warnings. */
export function parseMetrics(text: string, source = 'metrics', log?: RunLog): MetricsRead {
  const c = new MetricsCollector(source, log);
  for (const line of text.split('\n')) c.add(line);
  return c.result();
}

/** Read and validate a run's metrics.jsonl as a stream; a missing log is empty, another failure names the file. */
export async function readMetrics(runDir: string, log?: RunLog): Promise<MetricsRead> {
  const file = runPaths(runDir).metrics;
  const c = new MetricsCollector(file, log);
  const stream = createReadStream(file, { encoding: 'utf8' });
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) c.add(line);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], badLines: 0 };
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  } finally {
    stream.destroy();
  }
  return c.result();
}

/** A run's config.json, validated; errors name the file (for resuming and evaluating). */
export async function readRunConfig(runDir: string): Promise<TrainConfig> {
  const file = runPaths(runDir).config;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`${file}: missing (is ${runDir} a run folder?)`);
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const v = validateConfig(raw);
  if (!v.ok) throw new Error(`${file}: ${v.error}`);
  return v.value;
}

/** The config, or undefined when it is missing or invalid (said in `log`): for listings. */
export async function tryReadRunConfig(runDir: string, log?: RunLog): Promise<TrainConfig | undefined> {
  try {
    return await readRunConfig(runDir);
  } catch (e) {
    const message = (e as Error).message;
    if (!message.includes(': missing (')) log?.warn(message);
    return undefined;
  }
}
