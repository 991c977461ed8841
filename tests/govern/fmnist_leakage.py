#!/usr/bin/python3
"""Fashion-MNIST leakage counts computed independently of dpeval (numpy only),
for tests/govern/fmnist_leakage_test.cc and docs/AUDIT.md.

  exact_test_in_train   test images byte-identical to some train image
                        (a Python set of the train images' bytes)
  train_duplicates      train rows equal to an earlier train row, pixels and label
  near_duplicates       test images not byte-identical to any train image whose
                        dHash-364 (docs/AUDIT.md, Note [Image hash] in
                        src/dpeval/govern/image_hash.h) is within --bits of some
                        train image's; Hamming distances through one matrix product
                        per block of test images

Prints one JSON object. Usage: fmnist_leakage.py [DIR] [--bits 8]
Versions that made tests/govern/fmnist_leakage_golden.json: Python 3.11, numpy 1.24.2.
"""
import argparse
import gzip
import json
import os

import numpy as np


def read_idx(path, offset):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return np.frombuffer(data, np.uint8, offset=offset)


def dhash(images):
    n = len(images)
    sums = images.reshape(n, 14, 2, 14, 2).astype(np.int64).sum(axis=(2, 4))
    horizontal = (sums[:, :, 1:] > sums[:, :, :-1]).reshape(n, -1)
    vertical = (sums[:, 1:, :] > sums[:, :-1, :]).reshape(n, -1)
    return np.concatenate([horizontal, vertical], axis=1)  # 182 + 182 bits, in dpeval's bit order


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default=os.environ.get("DPEVAL_FMNIST_DIR") or "/usr/share/datasets/fashion-mnist")
    ap.add_argument("--bits", type=int, default=8)
    a = ap.parse_args()
    f = lambda name: os.path.join(a.dir, name)
    train = read_idx(f("train-images-idx3-ubyte.gz"), 16).reshape(-1, 28, 28)
    test = read_idx(f("t10k-images-idx3-ubyte.gz"), 16).reshape(-1, 28, 28)
    train_labels = read_idx(f("train-labels-idx1-ubyte.gz"), 8)

    train_bytes = {img.tobytes() for img in train}
    exact = np.array([img.tobytes() in train_bytes for img in test])
    seen = set()
    duplicates = 0
    for img, label in zip(train, train_labels):
        key = (img.tobytes(), int(label))
        duplicates += key in seen
        seen.add(key)

    a_bits = dhash(test).astype(np.float32)
    b_bits = dhash(train).astype(np.float32)
    b_count = b_bits.sum(axis=1)
    nearest = np.empty(len(test), np.int64)
    for i in range(0, len(test), 1000):
        block = a_bits[i:i + 1000]
        distance = block.sum(axis=1)[:, None] + b_count[None, :] - 2 * (block @ b_bits.T)
        nearest[i:i + 1000] = np.rint(distance.min(axis=1)).astype(np.int64)
    near = (nearest <= a.bits) & ~exact
    print(json.dumps({"train_rows": len(train), "test_rows": len(test), "exact_test_in_train": int(exact.sum()),
                      "train_duplicates": int(duplicates), "near_duplicates": int(near.sum()),
                      "near_duplicate_bits": a.bits}))


if __name__ == "__main__":
    main()
