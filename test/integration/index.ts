/**
 * The integration suite's entry: VS Code's test harness (`@vscode/test-electron`, or code-server
 * with `extensionTestsPath`) loads this module in the extension host and awaits `run()`.
 *
 * Both runners read the outcome from a JSON file whose path comes from `NIN_TEST_RESULTS` (the
 * extension host inherits the environment of whoever launched VS Code or code-server): the
 * browser-driven runner has no process exit code to look at, and the file also carries each
 * failure's message for the report. `NIN_TEST_GREP` narrows the run to matching tests.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** One test's outcome as the runners report it. */
export interface TestOutcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

/** What `NIN_TEST_RESULTS` receives when the suite ends (written atomically: temp + rename). */
export interface SuiteResults {
  passed: number;
  failed: number;
  pending: number;
  tests: TestOutcome[];
  /** Set when the suite could not run at all (e.g. a test file failed to load). */
  fatal?: string;
}

function writeResults(results: SuiteResults): void {
  const file = process.env.NIN_TEST_RESULTS;
  if (!file) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(results, null, 2));
  renameSync(tmp, file);
}

/** Test files next to this module: out/test/integration/**\/*.test.js. */
function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Runs every integration test; rejects when any fails, as VS Code's harness expects. */
export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000, reporter: 'spec' });
  if (process.env.NIN_TEST_GREP) mocha.grep(process.env.NIN_TEST_GREP);
  const files = testFiles(__dirname);
  for (const f of files) mocha.addFile(f);

  const tests: TestOutcome[] = [];
  try {
    if (!files.length) throw new Error(`no *.test.js files under ${__dirname}`);
    await mocha.loadFilesAsync();
    const failures = await new Promise<number>((resolve) => {
      const runner = mocha.run((n) => resolve(n));
      runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
      runner.on('fail', (t, err: Error) =>
        tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration, error: err?.stack ?? String(err) }),
      );
    });
    const count = (s: TestOutcome['state']) => tests.filter((t) => t.state === s).length;
    writeResults({
      passed: count('passed'),
      failed: Math.max(failures, count('failed')),
      pending: count('pending'),
      tests,
    });
    if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
  } catch (e) {
    if (!tests.some((t) => t.state === 'failed')) {
      // Nothing recorded a failure yet: the suite itself broke (load error, no files).
      const fatal = e instanceof Error ? (e.stack ?? e.message) : String(e);
      writeResults({ passed: 0, failed: 1, pending: 0, tests, fatal });
    }
    throw e;
  }
}
