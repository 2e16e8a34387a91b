/** The `nin` command line: the same engine as the extension, for terminals and CI. */
import { ANNOTATE_USAGE, annotateCommand } from './annotate';
import { UsageError } from './args';
import { BENCH_USAGE, benchCommand, benchOneCommand } from './bench';
import { shapesCommand, SHAPES_USAGE } from './shapes';
import { trainCommand, TRAIN_USAGE } from './train';
import { evalCommand, EVAL_USAGE } from './eval';

type Command = (argv: string[]) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  shapes: { run: shapesCommand, usage: SHAPES_USAGE },
  annotate: { run: annotateCommand, usage: ANNOTATE_USAGE },
  bench: { run: benchCommand, usage: BENCH_USAGE },
  train: { run: trainCommand, usage: TRAIN_USAGE },
  eval: { run: evalCommand, usage: EVAL_USAGE },
  'bench-one': { run: benchOneCommand, usage: 'nin bench-one BACKEND PRESET@SIZE BATCH SECONDS (internal)' },
};

function usage(): string {
  return ['usage:', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const cmd = name === undefined ? undefined : COMMANDS[name];
  if (!cmd) {
    process.stderr.write(name && name !== '--help' ? `unknown command "${name}"\n${usage()}` : usage());
    return name === '--help' ? 0 : 2;
  }
  // Flags after a bare `--` are the command's own arguments, not a request for help.
  const flags = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (flags.includes('--help') || flags.includes('-h')) {
    process.stdout.write(`usage: ${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\nusage: ${cmd.usage}\n`);
      return 2;
    }
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`fatal: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
