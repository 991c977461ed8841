#!/usr/bin/python3
"""The peer of `dpeval eval`: what a user scripts with pandas and scikit-learn 1.2 to get
the same figures from a predictions CSV (parse + every metric + calibration, ECE with 15
equal-width bins as in docs/EVAL.md). Prints one JSON line: seconds from read_csv to the
last metric (the interpreter start and the imports are excluded: that favours the peer).

  /usr/bin/python3 sklearn_peer.py --task binary|multiclass FILE.csv
"""
import argparse
import json
import time

import numpy as np
import pandas as pd
from sklearn import metrics as m


def ece(conf, correct, bins=15):
    b = np.clip(np.ceil(conf * bins) - 1, 0, bins - 1).astype(int)
    total = 0.0
    for i in range(bins):
        sel = b == i
        if sel.any():
            total += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return total


def binary(df):
    y = df["label"].to_numpy()
    s = df["score"].to_numpy()
    p = (s >= 0.5).astype(int)
    out = {
        "accuracy": m.accuracy_score(y, p), "balanced_accuracy": m.balanced_accuracy_score(y, p),
        "precision": m.precision_score(y, p), "recall": m.recall_score(y, p), "f1": m.f1_score(y, p),
        "mcc": m.matthews_corrcoef(y, p), "cohen_kappa": m.cohen_kappa_score(y, p),
        "roc_auc": m.roc_auc_score(y, s), "average_precision": m.average_precision_score(y, s),
        "log_loss": m.log_loss(y, s), "brier": m.brier_score_loss(y, s),
    }
    m.confusion_matrix(y, p)
    out["ece"] = ece(np.maximum(s, 1 - s), p == y)
    return out


def multiclass(df):
    y = df["label"].to_numpy()
    k = sum(1 for c in df.columns if c.startswith("prob_"))
    probs = df[[f"prob_{i}" for i in range(k)]].to_numpy()
    p = probs.argmax(axis=1)
    labels = np.arange(k)
    out = {
        "accuracy": m.accuracy_score(y, p), "balanced_accuracy": m.balanced_accuracy_score(y, p),
        "f1_macro": m.f1_score(y, p, average="macro"), "f1_weighted": m.f1_score(y, p, average="weighted"),
        "precision_macro": m.precision_score(y, p, average="macro", zero_division=0),
        "recall_macro": m.recall_score(y, p, average="macro"), "mcc": m.matthews_corrcoef(y, p),
        "cohen_kappa": m.cohen_kappa_score(y, p), "log_loss": m.log_loss(y, probs, labels=labels),
        "roc_auc_ovr_macro": m.roc_auc_score(y, probs, multi_class="ovr", average="macro", labels=labels),
        "top2_accuracy": m.top_k_accuracy_score(y, probs, k=2, labels=labels),
    }
    m.confusion_matrix(y, p, labels=labels)
    m.precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    out["ece"] = ece(probs.max(axis=1), p == y)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=["binary", "multiclass"], required=True)
    ap.add_argument("file")
    a = ap.parse_args()
    start = time.perf_counter()
    df = pd.read_csv(a.file)
    parsed = time.perf_counter()
    out = binary(df) if a.task == "binary" else multiclass(df)
    done = time.perf_counter()
    print(json.dumps({"seconds": done - start, "read_csv_s": parsed - start, "metrics_s": done - parsed,
                      "metrics": out}))


if __name__ == "__main__":
    main()
