// CI check of the real VSIX: `npm run package` (a --production build, then vsce), then the
// .vsix itself: under 100 files, the .wasm binaries in out/wasm, nothing from node_modules, no
// test hook in the webview bundle, no bundling warning from vsce; and its CLI unzipped outside
// the repository (no node_modules to fall back on) answers `shapes` and parses Python.
// Leaves out/ as a production build: run it after the tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Buffer } from 'node:buffer';
import { inflateRawSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const vsix = join(root, 'nin-vscode.vsix');
const WASM = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'nin-kernels.wasm',
  'web-tree-sitter.wasm',
  'tree-sitter-python.wasm',
];

/** name -> contents of every entry of a zip file (central directory; stored or deflated). */
function unzip(buf) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${vsix}: not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const skip = nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    entries.set(name, method === 8 ? inflateRawSync(raw) : raw);
    at += 46 + skip;
  }
  return entries;
}

const problems = [];
const packaged = spawnSync('npm', ['run', 'package'], { cwd: root, encoding: 'utf8' });
const log = packaged.stdout + packaged.stderr;
if (packaged.status !== 0) throw new Error(`npm run package failed:\n${log}`);
if (/WARNING|bundle your extension/i.test(log))
  problems.push(`vsce warned:\n${log.match(/.*(WARNING|bundle).*/gi).join('\n')}`);

const entries = unzip(readFileSync(vsix));
const files = [...entries.keys()].filter((n) => !n.endsWith('/'));
if (files.length >= 100) problems.push(`${files.length} files (at most 99)`);
for (const w of WASM) if (!entries.has(`extension/out/wasm/${w}`)) problems.push(`out/wasm/${w} is missing`);
const stray = files.filter((f) => /^extension\/(node_modules|src|test|out\/test)\//.test(f) || f.endsWith('.map'));
if (stray.length)
  problems.push(`shipped by mistake: ${stray.slice(0, 10).join(', ')}${stray.length > 10 ? ', ...' : ''}`);
if (entries.get('extension/out/webview/panel.js')?.includes('__ninPanel'))
  problems.push('out/webview/panel.js contains the __ninPanel test hook');

const dir = mkdtempSync(join(tmpdir(), 'nin-vsix-'));
try {
  for (const [name, data] of entries) {
    if (name.endsWith('/')) continue;
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  const cli = join(dir, 'extension', 'out', 'cli.js');
  const shapes = execFileSync(process.execPath, [cli, 'shapes'], { cwd: dir, encoding: 'utf8' });
  if (!shapes.includes('1,992,166'))
    problems.push(`the packaged CLI's shapes does not total 1,992,166 parameters:\n${shapes}`);
  const py = join(dir, 'model.py');
  writeFileSync(
    py,
    'import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(1, 96, kernel_size=11, stride=4), nn.ReLU())  # input shape: 1 * 224 * 224\n',
  );
  const annotated = execFileSync(process.execPath, [cli, 'annotate', py], { cwd: dir, encoding: 'utf8' });
  if (!annotated.includes('96x54x54'))
    problems.push(`the packaged CLI's annotate (tree-sitter) did not find 96x54x54:\n${annotated}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const size = readFileSync(vsix).length;
console.log(`${vsix}: ${files.length} files, ${(size / 2 ** 20).toFixed(2)} MiB`);
if (problems.length) {
  console.error(problems.map((p) => `- ${p}`).join('\n'));
  process.exit(1);
}
console.log('package check passed');
