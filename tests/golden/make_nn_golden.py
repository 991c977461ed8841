#!/usr/bin/python3
"""Golden numbers for tests/nn/golden_test.cc: the peer's MLP and CNN in PyTorch.

Run with the Debian interpreter that has torch (python3-torch 1.13):
    /usr/bin/python3 tests/golden/make_nn_golden.py > tests/golden/nn_golden.json

The models are the peer's own definitions (/work/shared/peers/fmnist_ddp.py, copied
verbatim below). Nothing random is involved, so the C++ test computes the same
inputs and starting weights from the same integer formulas instead of storing them:

  hash32(i, salt)   = a murmur-style mix of (i * 2654435761 + salt * 97531) mod 2^32
  unit(i, salt)     = hash32(i, salt) / 2^32                        in [0, 1), exact in double
  weight element j of parameter tensor k (torch's parameters() order, flat row-major):
                      float32((2 * unit(j, 1000 + k) - 1) / sqrt(fan_in))
                      fan_in = prod(weight.shape[1:]) (a bias uses its layer's weight)
  input element i:    float32(unit(i, 7))                           like pixels in [0, 1)
  label of sample b:  hash32(b, 11) % 10

Then 3 steps of plain SGD (p -= 0.05 * grad, no momentum) on that one batch of 8
[1, 28, 28] images with mean softmax cross-entropy. Stored per model: the logits of
the first forward, the loss before each step, the loss after the last step and, per
parameter tensor, sum, sum of |p| and the first 4 elements of the final weights.
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 8
STEPS = 3
LR = 0.05
MASK32 = 0xFFFFFFFF


# --- verbatim from the peer (fmnist_ddp.py) -------------------------------------------
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(7 * 7 * 64, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)
# ---------------------------------------------------------------------------------------


def hash32(i, salt):
    h = (i * 2654435761 + salt * 97531) & MASK32
    h ^= h >> 15
    h = (h * 2246822519) & MASK32
    h ^= h >> 13
    h = (h * 3266489917) & MASK32
    h ^= h >> 16
    return h


def unit_array(n, salt):
    """unit(i, salt) for i in [0, n) as float64, vectorised with int64 arithmetic."""
    i = torch.arange(n, dtype=torch.int64)
    h = (i * 2654435761 + salt * 97531) & MASK32
    h = h ^ (h >> 15)
    h = (h * 2246822519) & MASK32
    h = h ^ (h >> 13)
    h = (h * 3266489917) & MASK32
    h = h ^ (h >> 16)
    return h.to(torch.float64) / 4294967296.0


def set_fixed_weights(model):
    params = list(model.parameters())
    fan_in = None
    for k, p in enumerate(params):
        if p.dim() > 1:
            fan_in = math.prod(p.shape[1:])
        bound = 1.0 / math.sqrt(fan_in)
        values = (2.0 * unit_array(p.numel(), 1000 + k) - 1.0) * bound
        with torch.no_grad():
            p.copy_(values.to(torch.float32).reshape(p.shape))


def fixed_batch():
    x = unit_array(BATCH * 784, 7).to(torch.float32).reshape(BATCH, 1, 28, 28)
    y = torch.tensor([hash32(b, 11) % 10 for b in range(BATCH)], dtype=torch.int64)
    return x, y


def run(model):
    set_fixed_weights(model)
    x, y = fixed_batch()
    out = {"params": sum(p.numel() for p in model.parameters()), "losses": []}
    for step in range(STEPS):
        logits = model(x)
        if step == 0:
            out["logits"] = [float(v) for v in logits.detach().flatten()]
        loss = F.cross_entropy(logits, y)
        out["losses"].append(float(loss))
        model.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= LR * p.grad
    with torch.no_grad():
        out["final_loss"] = float(F.cross_entropy(model(x), y))
    out["tensors"] = [
        {"shape": list(p.shape), "sum": float(p.double().sum()), "abs_sum": float(p.double().abs().sum()),
         "head": [float(v) for v in p.detach().flatten()[:4]]}
        for p in model.parameters()
    ]
    return out


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    golden = {
        "generator": "tests/golden/make_nn_golden.py",
        "torch": torch.__version__,
        "batch": BATCH, "steps": STEPS, "lr": LR,
        "labels": [int(v) for v in fixed_batch()[1]],
        "mlp": run(MLP()),
        "cnn": run(CNN()),
    }
    json.dump(golden, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
