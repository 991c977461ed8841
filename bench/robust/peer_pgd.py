#!/usr/bin/python3
"""peer_pgd.py WEIGHTS KIND EPS STEPS THREADS: PGD with a random start (Madry et al. 2018) in PyTorch, the peer of
`dpeval robust --attack pgd`: the exported weights (safetensors, read without the package) in the MLP or CNN of
../shared/peers/fmnist_ddp.py's shape (written here, the names `dpeval export` gives), the 10,000 Fashion-MNIST test
images / 255, batches of 500, start x + U(-eps, eps) clipped to [0, 1], STEPS steps of 2.5 eps / STEPS along the
sign of the mean cross-entropy's input gradient, projected into the eps ball and [0, 1]. torch.set_num_threads(THREADS).
Prints {"robust_accuracy", "seconds"} (the attack alone: loading excluded) as JSON."""
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch

path, kind, eps, steps, threads = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(0)
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header, body = json.loads(raw[8:8 + n]), raw[8 + n:]
sd = {k: torch.from_numpy(np.frombuffer(body[t["data_offsets"][0]:t["data_offsets"][1]], dtype="<f4")
                          .reshape(t["shape"]).copy()) for k, t in header.items() if k != "__metadata__"}


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = torch.nn.Linear(784, 512), torch.nn.Linear(512, 256), torch.nn.Linear(256, 10)

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x.flatten(1))))))


class CNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(32, 64, 5, padding=2)
        self.fc1, self.fc2 = torch.nn.Linear(7 * 7 * 64, 128), torch.nn.Linear(128, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


m = (MLP() if kind == "mlp" else CNN()).eval()
m.load_state_dict(sd, strict=True)
src = os.environ.get("DPEVAL_FMNIST_DIR", "/usr/share/datasets/fashion-mnist")
X = torch.from_numpy(np.frombuffer(gzip.open(os.path.join(src, "t10k-images-idx3-ubyte.gz")).read()[16:], np.uint8)
                     .reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255.0))
Y = torch.from_numpy(np.frombuffer(gzip.open(os.path.join(src, "t10k-labels-idx1-ubyte.gz")).read()[8:], np.uint8)
                     .astype(np.int64))
alpha = 2.5 * eps / steps
start = time.perf_counter()
right = 0
for i in range(0, len(X), 500):
    x, y = X[i:i + 500], Y[i:i + 500]
    adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        adv.requires_grad_(True)
        torch.nn.functional.cross_entropy(m(adv), y).backward()
        with torch.no_grad():
            adv = torch.min(torch.max(adv + alpha * adv.grad.sign(), x - eps), x + eps).clamp(0, 1)
    with torch.no_grad():
        right += (m(adv).argmax(1) == y).sum().item()
print(json.dumps({"robust_accuracy": right / len(X), "seconds": time.perf_counter() - start}))
