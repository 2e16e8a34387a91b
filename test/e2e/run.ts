/**
 * `npm run test:e2e`: the integration suite in a real VS Code, offline.
 *
 * Starts code-server 4.96.4 (set up by scripts/e2e/setup-code-server.sh) on a free loopback port
 * with fresh user-data/extensions folders and a temporary workspace, opens it in headless
 * Chromium through playwright-core with `extensionDevelopmentPath`/`extensionTestsPath`, waits
 * for the suite's results file, then drives the UI from the browser side (hover on the article's
 * code, screenshots in test-results/) and reloads a window mid-run (reload.ts). Everything it starts is shut down on every path; any
 * failure, or a hang cut by the timeout, exits nonzero with the server log's tail.
 *
 * Environment: NIN_CODE_SERVER (code-server package folder), CHROMIUM (browser binary),
 * NIN_E2E_SUITE_TIMEOUT_S (default 900), NIN_E2E_KEEP=1 (keep the temp folder),
 * NIN_E2E_HEADED=1 (show the browser), NIN_TEST_GREP (run matching integration tests only),
 * NIN_E2E_VSIX=FILE (test what ships: install FILE into the fresh extensions folder with
 * code-server's --install-extension and run the integration suite against that installed
 * extension, the window's development extension being an empty stub; the browser-side UI
 * checks are skipped, since they read test hooks a production build does not have).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { E2EError, makeRunDirs, printResults, readResults, repoRoot, waitFor, type RunDirs } from './workspace';
import { uiChecks } from './ui';
import { reloadChecks } from './reload';

const SUITE_TIMEOUT_MS = Number(process.env.NIN_E2E_SUITE_TIMEOUT_S ?? 900) * 1000;
const SERVER_START_TIMEOUT_MS = 60_000;
const TRAIN_TIMEOUT_MS = Number(process.env.NIN_TEST_TRAIN_TIMEOUT_S ?? 600) * 1000;
const resultsDir = path.join(repoRoot, 'test-results');

function log(msg: string): void {
  console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/** A port the OS says is free on 127.0.0.1 (code-server then binds it; the window is tiny). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** The code-server process and its log (kept in a file and the last lines in memory). */
class Server {
  private tail: string[] = [];
  exited: { code: number | null; signal: string | null } | undefined;
  readonly port: number;
  readonly proc: ChildProcess;

  constructor(pkg: string, port: number, dirs: RunDirs, logFile: string) {
    this.port = port;
    const args = [
      path.join(pkg, 'out', 'node', 'entry.js'),
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--config',
      path.join(dirs.dir, 'code-server.yaml'),
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      dirs.extensions,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--log',
      'debug',
      dirs.workspace,
    ];
    const out = createWriteStream(logFile);
    // Own process group, so shutdown reaches the extension hosts and pty helpers it forks.
    this.proc = spawn(process.execPath, args, {
      cwd: dirs.dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NIN_TEST_RESULTS: dirs.results,
        XDG_CONFIG_HOME: path.join(dirs.dir, 'xdg-config'),
        XDG_DATA_HOME: path.join(dirs.dir, 'xdg-data'),
        // No extension gallery: nothing reaches for the network, no noise in the log.
        EXTENSIONS_GALLERY: '{}',
      },
    });
    const onData = (b: Buffer) => {
      out.write(b);
      this.tail.push(...b.toString().split('\n'));
      if (this.tail.length > 400) this.tail.splice(0, this.tail.length - 400);
    };
    this.proc.stdout!.on('data', onData);
    this.proc.stderr!.on('data', onData);
    this.proc.on('exit', (code, signal) => {
      this.exited = { code, signal };
      out.end();
    });
  }

  logTail(lines = 60): string {
    return this.tail.slice(-lines).join('\n');
  }

  /** SIGTERM to the whole group, SIGKILL if it is still there after 5 s. */
  async stop(): Promise<void> {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        /* already gone */
      }
    };
    kill('SIGTERM');
    const gone = await waitFor('code-server to exit', () => (this.exited ? true : undefined), 5000, 100).catch(
      () => false,
    );
    kill('SIGKILL');
    if (!gone)
      await waitFor('code-server to die', () => (this.exited ? true : undefined), 5000, 100).catch(() => undefined);
  }
}

/**
 * The URL that opens the workspace with an extension in development mode (ours unless
 * `devPath` names another) and, optionally, the suite.
 */
export function workbenchUrl(port: number, workspace: string, tests: string | undefined, devPath = repoRoot): string {
  const authority = `127.0.0.1:${port}`;
  const payload: [string, string][] = [['extensionDevelopmentPath', `vscode-remote://${authority}${devPath}`]];
  if (tests) payload.push(['extensionTestsPath', `vscode-remote://${authority}${tests}`]);
  payload.push(['skipWelcome', 'true']);
  return `http://${authority}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Browser console lines of a page, for the failure report. */
function recordConsole(page: Page, sink: string[]): void {
  page.on('console', (m) => {
    const t = m.text();
    if (/open-vsx\.org|marketplace|gallery/i.test(t)) return; // offline noise
    sink.push(`[${m.type()}] ${t}`);
    if (sink.length > 200) sink.shift();
  });
  page.on('pageerror', (e) => sink.push(`[pageerror] ${e.message}`));
}

/** What is running now, for the signal handlers: an interrupted run leaves nothing behind. */
const live: { server?: Server; browser?: Browser } = {};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    console.error(`\n[e2e] ${sig}: shutting down code-server and Chromium`);
    void Promise.allSettled([live.browser?.close(), live.server?.stop()]).then(() => process.exit(130));
  });
}
process.on('exit', () => {
  // Last resort (e.g. an uncaught error): the server's process group must not outlive us.
  const pid = live.server?.exited ? undefined : live.server?.proc.pid;
  if (pid !== undefined) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

async function main(): Promise<number> {
  const pkg =
    process.env.NIN_CODE_SERVER ?? path.join(repoRoot, '.cache', 'code-server', 'node_modules', 'code-server');
  if (!existsSync(path.join(pkg, 'out', 'node', 'entry.js'))) {
    console.error(`code-server not found at ${pkg}: run bash scripts/e2e/setup-code-server.sh (npm run test:e2e does)`);
    return 2;
  }
  const suite = path.join(repoRoot, 'out', 'test', 'integration', 'index.js');
  if (!existsSync(suite) || !existsSync(path.join(repoRoot, 'out', 'extension.js'))) {
    console.error('out/ is not built: run npm run build (npm run test:e2e does)');
    return 2;
  }
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    console.error(
      `no Chromium at ${executablePath}: apt-get install chromium (scripts/setup-system.sh), or set CHROMIUM`,
    );
    return 2;
  }
  mkdirSync(resultsDir, { recursive: true });
  const dirs = makeRunDirs('nin-e2e-');
  const serverLog = path.join(resultsDir, 'code-server.log');
  const consoleLines: string[] = [];
  let server: Server | undefined;
  let browser: Browser | undefined;
  let failed = false;
  const t0 = Date.now();

  const fail = (msg: string) => {
    failed = true;
    console.error(`\nE2E FAILURE: ${msg}`);
  };

  const vsix = process.env.NIN_E2E_VSIX ? path.resolve(process.env.NIN_E2E_VSIX) : undefined;
  let devPath = repoRoot;
  try {
    if (vsix) devPath = installVsix(pkg, vsix, dirs);
    const port = await freePort();
    log(`code-server ${pkg} on 127.0.0.1:${port}, workspace ${dirs.workspace}`);
    server = new Server(pkg, port, dirs, serverLog);
    live.server = server;
    const srv = server;
    await waitFor(
      'code-server to answer /healthz',
      async () => {
        if (srv.exited) throw new E2EError(`code-server exited early (${JSON.stringify(srv.exited)})`);
        return (await httpStatus(`http://127.0.0.1:${port}/healthz`)) === 200 ? true : undefined;
      },
      SERVER_START_TIMEOUT_MS,
    );
    log(`code-server up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    browser = live.browser = await chromium.launch({
      executablePath,
      headless: process.env.NIN_E2E_HEADED !== '1',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });

    // 1. The integration suite, in the extension host of a window opened with extensionTestsPath.
    const suitePage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    recordConsole(suitePage, consoleLines);
    await suitePage.goto(workbenchUrl(port, dirs.workspace, suite, devPath));
    log('integration suite started in the extension host; waiting for its results file');
    const results = await waitFor(
      `the integration suite's results (${dirs.results})`,
      () => {
        if (srv.exited) throw new E2EError(`code-server exited during the suite (${JSON.stringify(srv.exited)})`);
        return readResults(dirs.results);
      },
      SUITE_TIMEOUT_MS,
      500,
    ).catch((e: unknown) => {
      throw new E2EError(
        `${e instanceof Error ? e.message : e}: the suite hung or is slower than NIN_E2E_SUITE_TIMEOUT_S=${SUITE_TIMEOUT_MS / 1000}`,
      );
    });
    printResults(results);
    if (results.failed > 0 || results.passed === 0)
      fail(`integration suite: ${results.failed} failed, ${results.passed} passed`);
    await suitePage.close();
    if (vsix) {
      log(`the suite ran against ${vsix} as installed; UI checks skipped (they read development builds' test hooks)`);
    } else {
      // 2. The browser side: a fresh window with the extension in development mode.
      log('UI checks');
      const uiPage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      recordConsole(uiPage, consoleLines);
      await uiPage.goto(workbenchUrl(port, dirs.workspace, undefined));
      const ui = await uiChecks(uiPage, {
        resultsDir,
        pythonFile: dirs.pythonFile,
        notebookFile: dirs.notebookFile,
        variantFile: dirs.variantFile,
        trainTimeoutMs: TRAIN_TIMEOUT_MS,
      });
      for (const c of ui) if (!c.ok) fail(`UI check failed: ${c.name}`);
      await uiPage.close();
      // 3. Reloading the window mid-run leaves a resumable run (its own window).
      const reload = await reloadChecks(browser, {
        url: workbenchUrl(port, dirs.workspace, undefined),
        runsDir: path.join(dirs.workspace, '.nin', 'runs'),
        resultsDir,
        trainTimeoutMs: TRAIN_TIMEOUT_MS,
      });
      for (const c of reload) if (!c.ok) fail(`reload check failed: ${c.name}`);
    }
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  } finally {
    if (failed) {
      if (server)
        console.error(`\n--- code-server log (last 60 lines; full log ${serverLog}) ---\n${server.logTail()}`);
      const ext = extensionHostLog(dirs);
      if (ext) console.error(`\n--- extension host log (last 40 lines) ---\n${ext}`);
      if (consoleLines.length)
        console.error(`\n--- browser console (last 30 lines) ---\n${consoleLines.slice(-30).join('\n')}`);
    }
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (process.env.NIN_E2E_KEEP === '1') log(`kept ${dirs.dir}`);
    else rmSync(dirs.dir, { recursive: true, force: true });
  }
  log(`${failed ? 'FAILED' : 'passed'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return failed ? 1 : 0;
}

/**
 * Install `vsix` into the run's extensions folder with code-server's own CLI, and make an empty
 * stub extension for the window's development path (extensionTestsPath needs one), so the
 * suite's `getExtension('nin-lab.nin-vscode')` finds the installed copy. Returns the stub's path.
 */
function installVsix(pkg: string, vsix: string, dirs: RunDirs): string {
  if (!existsSync(vsix)) throw new E2EError(`NIN_E2E_VSIX=${vsix}: no such file (npm run package builds it)`);
  const r = spawnSync(
    process.execPath,
    [
      path.join(pkg, 'out', 'node', 'entry.js'),
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      dirs.extensions,
      '--install-extension',
      vsix,
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, EXTENSIONS_GALLERY: '{}' } },
  );
  const installed = existsSync(dirs.extensions)
    ? readdirSync(dirs.extensions).filter((d) => d.startsWith('nin-lab.nin-vscode'))
    : [];
  if (r.status !== 0 || !installed.length)
    throw new E2EError(`--install-extension ${vsix} failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
  log(`installed ${installed.join(', ')} from ${vsix}: ${r.stdout.trim().split('\n').pop()}`);
  const stub = path.join(dirs.dir, 'stub-extension');
  mkdirSync(stub, { recursive: true });
  writeFileSync(
    path.join(stub, 'package.json'),
    JSON.stringify({ name: 'nin-e2e-stub', publisher: 'nin-lab', version: '0.0.0', engines: { vscode: '^1.96.0' } }),
  );
  return stub;
}

/** The last lines of the newest extension host log under the user-data folder. */
function extensionHostLog(dirs: RunDirs): string | undefined {
  const logs = path.join(dirs.userData, 'logs');
  if (!existsSync(logs)) return undefined;
  const found = readdirSync(logs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(path.join('exthost', 'exthost.log')) || f.endsWith('remoteexthost.log'))
    .sort();
  if (!found.length) return undefined;
  const text = readFileSync(path.join(logs, found[found.length - 1]), 'utf8');
  return text.split('\n').slice(-40).join('\n');
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
