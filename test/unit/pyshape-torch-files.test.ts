// No false errors or warnings on real code nobody here wrote: every Python file of the installed
// PyTorch package (Debian python3-torch) that mentions nn.Conv2d, nn.Sequential or nn.Module is
// correct code, so the analyser must report no error and no warning on any of them. Prints the
// count and the time per file. Skipped where PyTorch's sources are not installed.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { analysePython } from '../../src/pyshape/analyse';
import { loadPythonParser } from '../../src/pyshape/parser';
import { diagnosticEnglish } from '../../src/pyshape/report';
import { ROOT } from './helpers';

const TORCH = process.env.NIN_TORCH_DIR ?? '/usr/lib/python3/dist-packages/torch';
const MENTIONS = /nn\.Conv2d|nn\.Sequential|nn\.Module/;

function pythonFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.py'))
    .map((f) => join(dir, f))
    .sort();
}

describe("pyshape: PyTorch's own module files give no error or warning (printed: count, time per file)", function () {
  before(function () {
    if (!existsSync(TORCH)) this.skip();
  });

  it('annotates every file that mentions nn.Conv2d, nn.Sequential or nn.Module', async () => {
    const parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
    const files = pythonFiles(TORCH)
      .map((f) => ({ f, text: readFileSync(f, 'utf8') }))
      .filter((x) => MENTIONS.test(x.text));
    const times: number[] = [];
    const problems: string[] = [];
    let models = 0;
    for (const { f, text } of files) {
      const t0 = performance.now();
      const a = analysePython(parser, text);
      times.push(performance.now() - t0);
      models += a.models.length;
      for (const d of a.diagnostics)
        if (d.severity !== 'info')
          problems.push(`${f.slice(TORCH.length + 1)}:${d.span.line + 1}: ${d.severity}: ${diagnosticEnglish(d)}`);
    }
    const s = [...times].sort((p, q) => p - q);
    console.log(
      `      ${files.length} files, ${models} models, ${problems.length} errors/warnings; annotate per file: median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms, total ${times.reduce((p, q) => p + q, 0).toFixed(0)} ms (load average ${loadavg()[0].toFixed(2)} on ${cpus().length} CPUs)`,
    );
    for (const p of problems) console.log(`      ${p}`);
    assert.ok(files.length >= 100, `only ${files.length} files under ${TORCH}`);
    assert.deepEqual(problems, []);
  });
});
