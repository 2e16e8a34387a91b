// python/nin_torch/user_model.py: the reader's model built from their file by running only what
// it needs (real PyTorch, Debian python3-torch), never the file's own training.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** Load `name` from `file` in a real Python: its output shape and parameters, or the error. */
function load(file: string, name: string, input: number[]): { output?: number[]; params?: number; error?: string } {
  const code = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'python'))})`,
    'from nin_torch.user_model import load_model, describe',
    'try:',
    `    m = load_model(open(sys.argv[1]).read(), sys.argv[1], sys.argv[2])`,
    `    print(json.dumps(describe(m, json.loads(sys.argv[3]))))`,
    'except Exception as e:',
    '    print(json.dumps({"error": f"{type(e).__name__}: {e}"}))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code, file, name, JSON.stringify(input)], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe("building the reader's model in PyTorch without running their file", function () {
  let dir: string;
  before(function () {
    if (!hasTorch) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'nin-user-model-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));
  const marker = () => join(dir, 'TRAINED');

  it("the article's code with its top-level training (d2l, not installed here) and a train() that would write a marker: only the model is built", () => {
    const article = readFileSync(join(ROOT, 'test', 'fixtures', 'models', 'nin.py'), 'utf8');
    const file = join(dir, 'article.py');
    writeFileSync(
      file,
      [
        'from d2l import torch as d2l',
        article,
        'X = torch.rand(size=(1, 1, 224, 224))',
        'for layer in net:',
        '    X = layer(X)',
        "    print(layer.__class__.__name__, 'output shape:', X.shape)",
        'def train(net):',
        `    open(${JSON.stringify(marker())}, 'w').write('trained')`,
        'net.apply(lambda m: None)',
        'lr, num_epochs, batch_size = 0.1, 10, 128',
        'train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, resize=224)',
        'd2l.train_ch6(net, train_iter, test_iter, num_epochs, lr, d2l.try_gpu())',
        'train(net)',
      ].join('\n'),
    );
    assert.deepEqual(load(file, 'net', [1, 224, 224]), { output: [10], params: 1_992_166 });
    assert.equal(existsSync(marker()), false, "the file's own training never ran");
  });

  it('a class instantiated only in main() under the __main__ guard, and a model built by a top-level loop', () => {
    const file = join(dir, 'scripts.py');
    writeFileSync(
      file,
      [
        'import torch',
        'from torch import nn',
        'import torch.nn.functional as F',
        'class Net(nn.Module):',
        '    def __init__(self):',
        '        super().__init__()',
        '        self.conv1 = nn.Conv2d(1, 32, 3, 1)',
        '        self.conv2 = nn.Conv2d(32, 64, 3, 1)',
        '        self.fc1 = nn.Linear(9216, 128)',
        '        self.fc2 = nn.Linear(128, 10)',
        '    def forward(self, x):',
        '        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)',
        '        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))',
        'blks = []',
        'cin = 1',
        'for c in (8, 16):',
        '    blks.append(nn.Conv2d(cin, c, 3, padding=1))',
        '    blks.append(nn.ReLU())',
        '    cin = c',
        'looped = nn.Sequential(*blks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))',
        'def main():',
        '    model = Net()',
        `    open(${JSON.stringify(marker())}, 'w').write('trained')`,
        "if __name__ == '__main__':",
        '    main()',
      ].join('\n'),
    );
    assert.deepEqual(load(file, 'Net()', [1, 28, 28]), { output: [10], params: 1_199_882 });
    assert.deepEqual(load(file, 'looped', [1, 28, 28]), { output: [10], params: 80 + 1168 + 170 });
    assert.equal(existsSync(marker()), false);
  });

  it('a name the file does not define, or that is not a module, is an error naming it', () => {
    const file = join(dir, 'none.py');
    writeFileSync(file, 'import torch\nsize = 3\n');
    assert.match(load(file, 'net', [1, 28, 28]).error ?? '', /ModelNotFound: .*none\.py: no top-level 'net'/);
    assert.match(load(file, 'size', [1, 28, 28]).error ?? '', /size is a int, not a torch\.nn\.Module/);
  });
});
