#!/usr/bin/python3
"""The scikit-learn peer of bench/eval/bootstrap_bench.cc: the same Poisson
bootstrap of accuracy and ROC AUC done the usual way (numpy Poisson weights,
sklearn's metrics with sample_weight), timed over a few resamples and
extrapolated to --resamples (each resample costs the same).

  /usr/bin/python3 bench/eval/bootstrap_sklearn.py [--rows N] [--resamples B] [--timed K]
"""
import argparse
import time

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--resamples", type=int, default=200)
    p.add_argument("--timed", type=int, default=3)
    a = p.parse_args()
    rng = np.random.default_rng(12345)
    labels = (rng.random(a.rows) < 0.3).astype(np.float64)
    scores = 0.7 * rng.random(a.rows) + 0.3 * labels
    predicted = scores >= 0.5
    start = time.perf_counter()
    values = []
    for _ in range(a.timed):
        w = rng.poisson(1.0, a.rows)
        values.append((accuracy_score(labels, predicted, sample_weight=w),
                       roc_auc_score(labels, scores, sample_weight=w)))
    per = (time.perf_counter() - start) / a.timed
    print(f"sklearn: {a.rows} rows: {per:.3f} s per resample (accuracy + roc_auc), "
          f"{per * a.resamples:.1f} s for {a.resamples} resamples (one thread, extrapolated)")
    print("  last resample:", values[-1])


if __name__ == "__main__":
    main()
