/** `nin shapes`: the network table for a preset and input size, or for a model read from code. */
import { formatShape, inferShapes, type ShapeReport } from '../model/shapes';
import { isPresetName, parseInputShape, presetSpec, PRESET_NAMES, specOf } from '../model/spec';
import { parseFlags, printJson, UsageError } from './args';
import { readModelArg } from './model';

/** Usage text for `shapes`. */
export const SHAPES_USAGE =
  'nin shapes [--preset seed|compact|compact-fc|compact-no1x1 | --model FILE[:NAME]] [--input N | --input C,H,W] [--json]';

/** Run `shapes`; returns the process exit code. */
export async function shapesCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    preset: { type: 'string' },
    model: { type: 'string' },
    input: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const report = inferShapes(await specFromFlags(values));
  if (values.json) printJson(toJson(report));
  else process.stdout.write(table(report));
  if (report.error && !values.json) process.stderr.write(`error: ${report.error.message}\n`);
  return report.error ? 1 : 0;
}

async function specFromFlags(values: { preset?: string; model?: string; input?: string }) {
  if (values.model !== undefined) {
    if (values.preset !== undefined) throw new UsageError('--model and --preset name two networks: give one');
    const model = await readModelArg(values.model, values.input);
    return specOf({ preset: 'model', input: model.input[1], model });
  }
  const preset = values.preset ?? 'seed';
  if (!isPresetName(preset)) throw new UsageError(`--preset must be one of ${PRESET_NAMES.join(', ')}`);
  try {
    return presetSpec(preset, values.input === undefined ? undefined : parseInputShape(values.input));
  } catch (e) {
    throw new UsageError(`--input: ${(e as Error).message}`);
  }
}

function toJson(r: ShapeReport): unknown {
  if (r.error) return { error: r.error };
  return {
    preset: r.spec.preset,
    input: r.spec.input,
    layers: r.layers.map((l) => ({ name: l.name, kind: l.kind, output: l.output, params: l.params, flops: l.flops })),
    params: r.params,
    flops: r.flops,
  };
}

const num = (n: number): string => n.toLocaleString('en-US');

function table(r: ShapeReport): string {
  const rows = [
    ['Layer (type)', 'Output shape', 'Params', 'FLOPs'],
    ...r.layers.map((l) => [`${l.name} (${l.kind})`, formatShape(l.output), num(l.params), num(l.flops)]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  const rule = '='.repeat(line(rows[0]).length);
  return [
    `${isPresetName(r.spec.preset) ? `NiN preset "${r.spec.preset}"` : `model ${r.spec.preset}`}, input ${formatShape(r.spec.input)}`,
    rule,
    line(rows[0]),
    rule.replace(/=/g, '-'),
    ...rows.slice(1).map(line),
    rule,
    `Total params: ${num(r.params)}`,
    `Forward FLOPs per image: ${num(r.flops)} (${(r.flops / 1e9).toFixed(3)} GFLOPs)`,
    '',
  ].join('\n');
}
