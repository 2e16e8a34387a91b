// Speed of the shape analyser on a generated 2,000-line file: printed, never asserted
// (timing depends on the machine; the budget is 50 ms per answer).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePython } from '../../src/model/pyshape/analyse';
import { AnalysisCache } from '../../src/model/pyshape/cache';
import { loadPythonParser } from '../../src/model/pyshape/parser';
import { ROOT } from './helpers';

/** A long realistic file: many helpers, models (functions, classes, loops) and training code. */
export function generateLongFile(lines: number): string {
  const chunk = (i: number): string => `
def nin_block_${i}(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


def nin_${i}():
    # input shape: 1 * 224 * 224
    net = nn.Sequential(
        nin_block_${i}(1, 96, kernel_size=11, strides=4, padding=0),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nin_block_${i}(96, 256, kernel_size=5, strides=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block_${i}(256, 384, kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block_${i}(384, 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten())
    return net


class Net${i}(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(*[nn.Conv2d(3 if j == 0 else 16, 16, 3, padding=1) for j in range(4)])
        self.fc = nn.Linear(16 * 8 * 8, num_classes)

    def forward(self, x):
        x = F.max_pool2d(self.features(x), 4)
        return self.fc(x.view(x.size(0), -1))


def train_${i}(net, train_iter, test_iter, num_epochs, lr, device):
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        net.train()
        for X, y in train_iter:
            optimizer.zero_grad()
            l = loss(net(X), y)
            l.backward()
            optimizer.step()
`;
  let src = 'import torch\nfrom torch import nn\nimport torch.nn.functional as F\n';
  for (let i = 0; src.split('\n').length < lines; i++) src += chunk(i);
  return src;
}

/** A long file that is mostly training and data code, with the article's model at the end. */
function generateMostlyOtherCode(lines: number, model: string): string {
  const chunk = (i: number): string => `
def evaluate_accuracy_${i}(net, data_iter, device=None):
    if isinstance(net, nn.Module):
        net.eval()
        if not device:
            device = next(iter(net.parameters())).device
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            if isinstance(X, list):
                X = [x.to(device) for x in X]
            else:
                X = X.to(device)
            y = y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def load_data_${i}(batch_size, resize=None):
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(root="../data", train=True, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True, num_workers=4))
`;
  let src = 'import torch\nimport torchvision\nfrom torch import nn\n';
  for (let i = 0; src.split('\n').length < lines - model.split('\n').length; i++) src += chunk(i);
  return src + model;
}

describe('pyshape: speed on a 2,000-line file (printed)', () => {
  it('cold, warm and cached analysis times', async () => {
    const t0 = performance.now();
    const parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
    const load = performance.now() - t0;
    const text = generateLongFile(2000);
    const lineCount = text.split('\n').length;
    const time = (f: () => void): number => {
      const s = performance.now();
      f();
      return performance.now() - s;
    };
    let models = 0;
    const cold = time(() => (models = analysePython(parser, text).models.length));
    const warm: number[] = [];
    for (let i = 0; i < 10; i++) warm.push(time(() => analysePython(parser, text)));
    warm.sort((a, b) => a - b);
    const parse: number[] = [];
    for (let i = 0; i < 10; i++) parse.push(time(() => parser.parse(text).delete()));
    parse.sort((a, b) => a - b);
    const cache = new AnalysisCache();
    cache.get('doc', 1, '', () => analysePython(parser, text));
    const cached =
      time(() => {
        for (let i = 0; i < 1000; i++) cache.get('doc', 1, '', () => analysePython(parser, text));
      }) / 1000;
    const article = readFileSync(join(ROOT, 'test', 'fixtures', 'pyshape', 'article_nin.py'), 'utf8');
    const small: number[] = [];
    for (let i = 0; i < 20; i++) small.push(time(() => analysePython(parser, article)));
    small.sort((a, b) => a - b);
    const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)];
    const realistic = generateMostlyOtherCode(2000, article);
    const real: number[] = [];
    for (let i = 0; i < 10; i++) real.push(time(() => analysePython(parser, realistic)));
    real.sort((a, b) => a - b);
    console.log(
      `      parser load ${load.toFixed(1)} ms; ${lineCount} lines, ${models} models: cold ${cold.toFixed(1)} ms, ` +
        `warm median ${median(warm).toFixed(1)} ms (min ${warm[0].toFixed(1)}, max ${warm.at(-1)!.toFixed(1)}), ` +
        `of which parse ${median(parse).toFixed(1)} ms; cached ${(cached * 1000).toFixed(2)} µs; article file ${median(small).toFixed(2)} ms; ` +
        `${realistic.split('\n').length} lines of training code + the article's model: median ${median(real).toFixed(1)} ms`,
    );
    assert.ok(models >= 40);
  });
});
