#!/usr/bin/python3
"""Seeded prediction files for bench/eval_vs_sklearn:
  make_data.py binary ROWS OUT.csv     label,score,region (an over-confident model)
  make_data.py multiclass ROWS OUT.csv label,prob_0..prob_9 (10 classes, rows sum to 1)
Values carry 6 decimals, as exported predictions usually do."""
import sys

import numpy as np


def write(out, header, columns, fmt):
    n = len(columns[0])
    with open(out + ".tmp", "w") as f:
        f.write(header + "\n")
        for i in range(0, n, 200_000):
            j = min(n, i + 200_000)
            f.write("".join(fmt.format(*row) for row in zip(*(c[i:j] for c in columns))))
    import os
    os.replace(out + ".tmp", out)


def main():
    task, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = np.random.default_rng(20261129)
    if task == "binary":
        region = rng.choice(np.array(["north", "south", "east", "west"]), n, p=[0.4, 0.3, 0.2, 0.1])
        logit = rng.normal(0, 2, n)
        label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
        score = 1 / (1 + np.exp(-(logit * 1.6 + rng.normal(0, 0.7, n))))
        write(out, "label,score,region", [label, score, region], "{},{:.6f},{}\n")
    else:
        k = 10
        label = rng.integers(0, k, n)
        logits = rng.normal(0, 1, (n, k))
        logits[np.arange(n), label] += 2.0
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        cols = [label] + [probs[:, c] for c in range(k)]
        write(out, "label," + ",".join(f"prob_{c}" for c in range(k)), cols,
              "{}," + ",".join("{:.6f}" for _ in range(k)) + "\n")


if __name__ == "__main__":
    main()
