/**
 * A small model file analysed once after the parser loads, whole and focused, so that V8 has
 * compiled the analyser's code paths before the first real request: the first analysis of a
 * process otherwise runs several times slower than the next ones.
 */
import { analysePython } from './analyse';
import type { PythonParser } from './parser';

const SAMPLE = `import torch
from torch import nn
import torch.nn.functional as F


def block(in_channels, out_channels, kernel_size, strides=1, padding=0):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.BatchNorm2d(out_channels))


def net():
    # input shape: 1 * 64 * 64
    layers = []
    for i, (c_in, c_out) in enumerate([(1, 8), (8, 16)]):
        layers += [block(c_in, c_out, kernel_size=3, padding=1), nn.MaxPool2d(2, stride=2)]
    return nn.Sequential(*layers, nn.Dropout(0.5), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(16, 10))


class Small(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.AvgPool2d(2))
        self.fc = nn.Linear(6 * 14 * 14, num_classes)

    def forward(self, x):
        x = F.max_pool2d(self.features(x), 1)
        return self.fc(torch.flatten(x, 1))


def train(model, data, epochs):
    for epoch in range(epochs):
        for X, y in data:
            model(X).sum().backward()
`;

/** Analyse the sample a few times; returns the milliseconds it took. */
export function warmUp(parser: PythonParser, rounds = 3): number {
  const t0 = performance.now();
  const at = SAMPLE.indexOf('nn.MaxPool2d');
  for (let i = 0; i < rounds; i++) {
    analysePython(parser, SAMPLE);
    analysePython(parser, SAMPLE, { focus: { start: at, end: at + 1 } });
  }
  return performance.now() - t0;
}
