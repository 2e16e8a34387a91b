/**
 * Finding the Python that runs the PyTorch engine: an explicit interpreter (`nin.pythonPath`,
 * `--python`), else the one selected in the Python extension, else `python3` / `python` on the
 * PATH (and the system's /usr/bin/python3, which a pyenv or venv on the PATH may shadow). Each
 * candidate is asked once what it offers (`python -m nin_torch` with a probe job: its torch
 * version and devices); the answer is cached per interpreter. Every failure is a message that
 * says what to do. No vscode here: the extension passes the Python extension's choice in.
 */
import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import type { DevicePreference } from '../../backends/backend-names';

/** The oldest torch the engine supports (F.interpolate's `antialias`, Apple MPS). */
export const MIN_TORCH: readonly [number, number] = [1, 12];
/** The oldest Python the package is written for. */
export const MIN_PYTHON: readonly [number, number] = [3, 9];

/** What a usable interpreter offers. */
export interface PythonInfo {
  /** The command or path we run. */
  readonly command: string;
  /** `sys.executable` as the interpreter reports it. */
  readonly executable: string;
  readonly pythonVersion: string;
  readonly torch: string;
  /** Names of the CUDA GPUs torch sees (empty without CUDA). */
  readonly cuda: readonly string[];
  readonly mps: boolean;
}

/** Where to look. */
export interface FindPythonOptions {
  /** An interpreter the user named; when set, the only candidate. */
  readonly configured?: string;
  /** How the user named it, for messages (`nin.pythonPath`, `--python`). */
  readonly configuredBy?: string;
  /** The Python extension's selected interpreter, if that extension is installed. */
  readonly fromPythonExtension?: () => Promise<string | undefined>;
  /** Candidates after those (default python3, python, and /usr/bin/python3 off Windows). */
  readonly pathCandidates?: readonly string[];
}

/** A failure to find a usable Python/torch; the message says what to do. */
export class PythonNotFound extends Error {}

/** The folder holding the `nin_torch` package (shipped as plain source beside out/). */
export function pythonPackageDir(): string {
  // Bundled: out/cli.js, out/extension.js, out/test/unit/*.js -> <root>/python.
  const parts = __dirname.split(/[\\/]/);
  const out = parts.lastIndexOf('out');
  return join(out >= 0 ? parts.slice(0, out).join('/') || '/' : join(__dirname, '..', '..', '..'), 'python');
}

/** The environment a child Python runs with: our package importable, no bytecode written beside it. */
export function pythonEnv(): NodeJS.ProcessEnv {
  const pkg = pythonPackageDir();
  const old = process.env.PYTHONPATH;
  return {
    ...process.env,
    PYTHONPATH: old ? `${pkg}${delimiter}${old}` : pkg,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
  };
}

type ProbeAnswer =
  | { readonly ok: true; readonly info: PythonInfo }
  | { readonly ok: false; readonly problem: string; readonly missing: boolean };

const cache = new Map<string, Promise<ProbeAnswer>>();

/** Forget cached probes (tests; after the user installs torch the next session re-probes anyway). */
export function clearPythonCache(): void {
  cache.clear();
}

const versionParts = (v: string): number[] => (/^(\d+)\.(\d+)/.exec(v) ?? ['', 'NaN', 'NaN']).slice(1, 3).map(Number);

/** True when version text `v` is at least `min` (major, minor). */
export function versionAtLeast(v: string, min: readonly [number, number]): boolean {
  const [a, b] = versionParts(v);
  return a > min[0] || (a === min[0] && b >= min[1]);
}

function probeOnce(command: string, timeoutMs: number): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let settled = false;
    const done = (a: ProbeAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill();
      resolve(a);
    };
    const child = spawn(command, ['-u', '-m', 'nin_torch'], { env: pythonEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(
      () =>
        done({
          ok: false,
          missing: false,
          problem: `did not answer within ${timeoutMs / 1000} s (importing torch hung?)`,
        }),
      timeoutMs,
    );
    child.on('error', (e: NodeJS.ErrnoException) =>
      done({
        ok: false,
        missing: e.code === 'ENOENT',
        problem: e.code === 'ENOENT' ? 'not found' : `cannot run it (${e.code ?? e.message})`,
      }),
    );
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      let a: Record<string, unknown> | undefined;
      try {
        a = line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
      } catch {
        a = undefined;
      }
      if (!a || a.type !== 'probe') {
        const why = err.trim().split('\n').pop() ?? '';
        return done({
          ok: false,
          missing: false,
          problem: `is not a Python that runs our nin_torch package (exit code ${code}${why ? `: ${why}` : ''})`,
        });
      }
      const py = `Python ${String(a.pythonVersion)}`;
      if (!versionAtLeast(String(a.pythonVersion), MIN_PYTHON))
        return done({
          ok: false,
          missing: false,
          problem: `is ${py}; the PyTorch engine needs Python ${MIN_PYTHON.join('.')} or later`,
        });
      if (typeof a.torch !== 'string')
        return done({
          ok: false,
          missing: false,
          problem: `(${py}) has no torch (${String(a.error)}): install it there (pip install torch; see pytorch.org)`,
        });
      if (!versionAtLeast(a.torch, MIN_TORCH))
        return done({
          ok: false,
          missing: false,
          problem: `has torch ${a.torch}; the PyTorch engine needs torch ${MIN_TORCH.join('.')} or later: upgrade it (pip install -U torch)`,
        });
      if (typeof a.error === 'string')
        return done({
          ok: false,
          missing: false,
          problem: `has torch ${a.torch}, which fails to start (${a.error}): reinstall it (pip install --force-reinstall torch)`,
        });
      done({
        ok: true,
        info: {
          command,
          executable: String(a.python),
          pythonVersion: String(a.pythonVersion),
          torch: a.torch,
          cuda: Array.isArray(a.cuda) ? a.cuda.map(String) : [],
          mps: a.mps === true,
        },
      });
    });
    child.stdin.on('error', () => undefined); // a missing interpreter closes the pipe first
    child.stdin.end('{"type":"probe"}\n');
  });
}

/** Ask an interpreter once (cached) what it offers. */
export function probePython(command: string, timeoutMs = 120_000): Promise<ProbeAnswer> {
  let p = cache.get(command);
  if (!p) cache.set(command, (p = probeOnce(command, timeoutMs)));
  return p;
}

function defaultCandidates(): string[] {
  return process.platform === 'win32' ? ['python', 'py', 'python3'] : ['python3', 'python', '/usr/bin/python3'];
}

const TELL =
  'install PyTorch (pip install torch; see pytorch.org) in a Python 3.9+ and set nin.pythonPath (CLI: --python) to that interpreter';

/** The first interpreter with a usable torch; throws PythonNotFound saying what to do. */
export async function findPython(o: FindPythonOptions = {}): Promise<PythonInfo> {
  if (o.configured) {
    const by = o.configuredBy ?? 'nin.pythonPath';
    const a = await probePython(o.configured);
    if (a.ok) return a.info;
    throw new PythonNotFound(
      a.missing
        ? `${by} is "${o.configured}", which was not found: set it to the path of a Python with PyTorch, or clear it to search the PATH`
        : `${by} is "${o.configured}", which ${a.problem}`,
    );
  }
  const tried: string[] = [];
  const fromExt = await o.fromPythonExtension?.().catch(() => undefined);
  const candidates = [...(fromExt ? [fromExt] : []), ...(o.pathCandidates ?? defaultCandidates())];
  for (const c of [...new Set(candidates)]) {
    const a = await probePython(c);
    if (a.ok) return a.info;
    if (!a.missing) tried.push(`${c === fromExt ? `the Python extension's interpreter ${c}` : c} ${a.problem}`);
  }
  if (!tried.length) throw new PythonNotFound(`no Python found (tried ${candidates.join(', ')}): ${TELL}`);
  throw new PythonNotFound(`no Python with a usable PyTorch: ${tried.join('; ')}. To fix: ${TELL}`);
}

/** Check that `device` exists for this interpreter's torch; throws a message that says what to do. */
export function checkDevice(info: PythonInfo, device: DevicePreference): void {
  if (device === 'cuda' && info.cuda.length === 0)
    throw new PythonNotFound(
      `device cuda was asked for, but torch ${info.torch} in ${info.executable} sees no CUDA GPU: set nin.device (CLI: --device) to auto or cpu, or install a CUDA build of torch`,
    );
  if (device === 'mps' && !info.mps)
    throw new PythonNotFound(
      `device mps was asked for, but torch ${info.torch} in ${info.executable} has no Apple MPS (an Apple-silicon Mac is needed): set nin.device (CLI: --device) to auto or cpu`,
    );
}

/** The device `preference` trains on with this interpreter's torch (`auto`: CUDA, then MPS, then the CPU). */
export function resolvedDevice(info: PythonInfo, preference: DevicePreference): Exclude<DevicePreference, 'auto'> {
  if (preference !== 'auto') return preference;
  return info.cuda.length ? 'cuda' : info.mps ? 'mps' : 'cpu';
}
