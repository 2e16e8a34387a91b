/**
 * `npm run test:vscode`: the same integration suite in desktop VS Code via @vscode/test-electron,
 * for machines that can download VS Code (these CI machines cannot: use `npm run test:e2e`).
 * VS Code version: NIN_VSCODE_VERSION (default 1.96.4, what code-server 4.96.4 embeds).
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { makeRunDirs, printResults, readResults, repoRoot } from './workspace';

async function main(): Promise<number> {
  const dirs = makeRunDirs('nin-vscode-');
  try {
    await runTests({
      version: process.env.NIN_VSCODE_VERSION ?? '1.96.4',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'out', 'test', 'integration', 'index.js'),
      extensionTestsEnv: { NIN_TEST_RESULTS: dirs.results },
      launchArgs: [
        dirs.workspace,
        '--user-data-dir',
        dirs.userData,
        '--extensions-dir',
        dirs.extensions,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
      ],
    }).catch((e) => {
      // runTests rejects on a nonzero exit; the results file (if any) says why.
      console.error(e instanceof Error ? e.message : e);
    });
    const r = readResults(dirs.results);
    if (!r) {
      console.error('the integration suite wrote no results (VS Code did not start, or the suite did not load)');
      return 1;
    }
    printResults(r);
    return r.failed > 0 || r.passed === 0 ? 1 : 0;
  } finally {
    rmSync(dirs.dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
