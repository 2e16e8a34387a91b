#!/usr/bin/env python3
"""PyTorch reference for `nin train`: the same networks, recipe, data subset and epoch order.

The subset and the per-epoch shuffles reproduce src/data/batches.ts bit for bit
(mulberry32 + the same seed mixing), so a tfjs run and this run see the same images in the same
order; only weight draws and dropout differ. Prints one JSON line per epoch, like `--json`.

    /usr/bin/python3 test/reference/train_torch.py --preset compact --optimizer adam --lr 0.002 \
        --epochs 2 --limit-train 10000 --limit-test 1000
"""
import argparse
import gzip
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DATA = '/usr/share/datasets/fashion-mnist'
M32 = 0xFFFFFFFF


def imul(a, b):
    return (a * b) & M32


def mix_seed(a, b):
    h = imul((a ^ 0x9E3779B9) & M32, 0x85EBCA6B) ^ imul((b + 0x7F4A7C15) & M32, 0xC2B2AE35)
    h ^= h >> 16
    return h & M32


def rng(seed):
    state = [seed & M32]

    def nxt():
        state[0] = (state[0] + 0x6D2B79F5) & M32
        t = state[0]
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    return nxt


def permutation(n, seed):
    p = list(range(n))
    r = rng(seed)
    for i in range(n - 1, 0, -1):
        j = int(r() * (i + 1))
        p[i], p[j] = p[j], p[i]
    return np.array(p, dtype=np.int64)


def subset(count, limit, seed, salt):
    if limit <= 0 or limit >= count:
        return np.arange(count)
    return permutation(count, mix_seed(seed, salt))[:limit]


def idx(name):
    with gzip.open(f'{DATA}/{name}.gz') as f:
        raw = f.read()
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def nin_block(cin, cout, k, s, p):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, p), nn.ReLU(), nn.Conv2d(cout, cout, 1), nn.ReLU(), nn.Conv2d(cout, cout, 1), nn.ReLU())


def network(preset):
    if preset == 'seed':
        c, blocks = (96, 256, 384), ((11, 4, 0), (5, 1, 2), (3, 1, 1))
    else:
        c, blocks = (32, 64, 128), ((5, 1, 2), (5, 1, 2), (3, 1, 1))
    net = nn.Sequential(
        nin_block(1, c[0], *blocks[0]), nn.MaxPool2d(3, 2),
        nin_block(c[0], c[1], *blocks[1]), nn.MaxPool2d(3, 2),
        nin_block(c[1], c[2], *blocks[2]), nn.MaxPool2d(3, 2),
        nn.Dropout(0.5),
        nin_block(c[2], 10, 3, 1, 1),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)  # as d2l's init_weights; biases keep PyTorch's default
    return net


def batch(images, labels, ids, size):
    x = torch.from_numpy(images[ids].astype(np.float32) / 255).unsqueeze(1)
    if size != 28:
        x = F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False)
    return x, torch.from_numpy(labels[ids].astype(np.int64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--preset', default='seed', choices=['seed', 'compact'])
    ap.add_argument('--input', type=int, default=0)
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--batch-size', type=int, default=128)
    ap.add_argument('--lr', type=float, default=0.1)
    ap.add_argument('--optimizer', default='sgd', choices=['sgd', 'momentum', 'adam'])
    ap.add_argument('--limit-train', type=int, default=0)
    ap.add_argument('--limit-test', type=int, default=0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    size = a.input or (224 if a.preset == 'seed' else 28)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    tr_x, tr_y = idx('train-images-idx3-ubyte'), idx('train-labels-idx1-ubyte')
    te_x, te_y = idx('t10k-images-idx3-ubyte'), idx('t10k-labels-idx1-ubyte')
    train_ids = subset(60000, a.limit_train, a.seed, 101)
    test_ids = subset(10000, a.limit_test, a.seed, 202)
    net = network(a.preset)
    if a.optimizer == 'adam':
        opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9 if a.optimizer == 'momentum' else 0)
    for epoch in range(1, a.epochs + 1):
        order = train_ids[permutation(len(train_ids), mix_seed(a.seed, 1000 + epoch))]
        net.train()
        loss_sum, correct, seen, t0 = 0.0, 0, 0, time.time()
        for b in range(0, len(order), a.batch_size):
            x, y = batch(tr_x, tr_y, order[b:b + a.batch_size], size)
            logits = net(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        seconds = time.time() - t0
        net.eval()
        right = 0
        with torch.no_grad():
            for b in range(0, len(test_ids), a.batch_size):
                x, y = batch(te_x, te_y, test_ids[b:b + a.batch_size], size)
                right += (net(x).argmax(1) == y).sum().item()
        print(json.dumps({'type': 'epoch', 'engine': 'pytorch', 'epoch': epoch, 'trainLoss': loss_sum / seen, 'trainAcc': correct / seen,
                          'testAcc': right / len(test_ids), 'seconds': seconds, 'imagesPerSecond': seen / seconds}), flush=True)


if __name__ == '__main__':
    main()
