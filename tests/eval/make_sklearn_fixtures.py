#!/usr/bin/python3
"""Writes fixtures/sklearn_metrics.json: scikit-learn's values for tests/eval.

Run with Debian's python3-sklearn (1.2.1; scripts/install-deps.sh --peers):
    /usr/bin/python3 tests/eval/make_sklearn_fixtures.py
(/usr/bin/python3 on purpose: a pyenv or venv python3 on PATH may lack sklearn.)

Every case is seeded and small (a few hundred rows). Each number is written with
Python's repr, which reads back as the same float64. A value sklearn leaves
undefined (nan, or it raises) is written as null, and the reason is kept under
"undefined" for the reader; dpeval must return null there too.

Calls, exactly (K classes, predictions from the scores/probabilities):
  binary      y_pred = (score >= 0.5); precision/recall/f1 with pos_label=1 and
              the default zero_division="warn" (0.0); log_loss with labels=[0, 1]
              (so one-class input is defined); roc_auc_score and
              average_precision_score on the raw scores; brier_score_loss.
  multiclass  y_pred = argmax (lowest index on ties); labels=range(K) for
              confusion_matrix, precision/recall/f1 (macro, weighted, per class),
              log_loss, roc_auc_score(multi_class="ovr", average="macro") and
              top_k_accuracy_score(k=2); balanced_accuracy, mcc and kappa on
              y_true, y_pred as given.
  regression  r2_score(force_finite=False), so a constant target is nan (null),
              not sklearn's default stand-in of 1.0 / 0.0.
  calibration no sklearn function computes ECE; the reference here uses the bins
              of sklearn.calibration.calibration_curve(strategy="uniform")
              (edges np.linspace(0, 1, B + 1), bin = searchsorted(inner edges),
              i.e. (lo, hi], 0 in bin 0), and the Brier decomposition takes
              prob_true / prob_pred from calibration_curve itself.
"""
import json
import os
import warnings

import numpy as np
import scipy
import sklearn
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

SEED = 20240613
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "sklearn_metrics.json")
CALIBRATION_BINS = (10, 15)


def number(x):
    x = float(x)
    return None if np.isnan(x) or np.isinf(x) else x


def attempt(expected, undefined, key, fn):
    """expected[key] = fn(), or null (with the reason) when sklearn raises or gives nan."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = fn()
        except ValueError as e:
            expected[key] = None
            undefined[key] = f"sklearn raises: {e}"
            return
    expected[key] = number(value)
    if expected[key] is None:
        undefined[key] = f"sklearn gives {value}"


def bin_ids(values, bins):
    edges = np.linspace(0.0, 1.0, bins + 1)
    return np.searchsorted(edges[1:-1], values)


def top_label_calibration(correct, confidence, bins):
    ids = bin_ids(confidence, bins)
    count = np.bincount(ids, minlength=bins)
    acc_sum = np.bincount(ids, weights=correct.astype(np.float64), minlength=bins)
    conf_sum = np.bincount(ids, weights=confidence, minlength=bins)
    out = {"bins": bins, "count": count.tolist(), "accuracy": [], "confidence": []}
    gaps = []
    for b in range(bins):
        if count[b] == 0:
            out["accuracy"].append(None)
            out["confidence"].append(None)
            continue
        acc, conf = acc_sum[b] / count[b], conf_sum[b] / count[b]
        out["accuracy"].append(float(acc))
        out["confidence"].append(float(conf))
        gaps.append((count[b], abs(acc - conf)))
    n = len(confidence)
    out["ece"] = float(sum(c / n * g for c, g in gaps)) if n else None
    out["mce"] = float(max(g for _, g in gaps)) if n else None
    return out


def brier_decomposition(y, s, bins):
    """Murphy (1973) over calibration_curve's bins of the class-1 score."""
    prob_true, prob_pred = calibration_curve(y, s, n_bins=bins, strategy="uniform")
    count = np.bincount(bin_ids(s, bins), minlength=bins)
    n_b = count[count != 0]
    n, base_rate = len(y), np.mean(y)
    return {
        "bins": bins,
        "count": count.tolist(),
        "reliability": float(np.sum(n_b * (prob_pred - prob_true) ** 2) / n),
        "resolution": float(np.sum(n_b * (prob_true - base_rate) ** 2) / n),
        "uncertainty": float(base_rate * (1 - base_rate)),
    }


def binary_case(name, y, s, curves=False):
    y = np.asarray(y, dtype=np.int64)
    s = np.asarray(s, dtype=np.float64)
    p = (s >= 0.5).astype(np.int64)
    e, u = {}, {}
    attempt(e, u, "accuracy", lambda: skm.accuracy_score(y, p))
    attempt(e, u, "balanced_accuracy", lambda: skm.balanced_accuracy_score(y, p))
    attempt(e, u, "precision", lambda: skm.precision_score(y, p, pos_label=1))
    attempt(e, u, "recall", lambda: skm.recall_score(y, p, pos_label=1))
    attempt(e, u, "f1", lambda: skm.f1_score(y, p, pos_label=1))
    attempt(e, u, "mcc", lambda: skm.matthews_corrcoef(y, p))
    attempt(e, u, "cohen_kappa", lambda: skm.cohen_kappa_score(y, p))
    attempt(e, u, "roc_auc", lambda: skm.roc_auc_score(y, s))
    attempt(e, u, "average_precision", lambda: skm.average_precision_score(y, s))
    attempt(e, u, "log_loss", lambda: skm.log_loss(y, s, labels=[0, 1]))
    attempt(e, u, "brier", lambda: skm.brier_score_loss(y, s, pos_label=1))
    confidence = np.maximum(s, 1 - s)
    case = {
        "name": name,
        "labels": y.tolist(),
        "scores": s.tolist(),
        "expected": e,
        "undefined": u,
        "confusion": skm.confusion_matrix(y, p, labels=[0, 1]).tolist(),
        "calibration": [top_label_calibration(p == y, confidence, b) for b in CALIBRATION_BINS],
        "brier_decomposition": [brier_decomposition(y, s, b) for b in CALIBRATION_BINS],
    }
    if curves:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fpr, tpr, thr = skm.roc_curve(y, s, drop_intermediate=False)
            precision, recall, pr_thr = skm.precision_recall_curve(y, s)
        # sklearn 1.2 writes max(score) + 1 as the first ROC threshold; dpeval writes +inf.
        case["roc_curve"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr[1:].tolist()}
        # sklearn orders the PR curve by increasing threshold and appends (recall 0, precision 1);
        # dpeval orders by decreasing threshold, that point first. Reverse here.
        case["pr_curve"] = {
            "recall": recall[::-1].tolist(),
            "precision": precision[::-1].tolist(),
            "thresholds": pr_thr[::-1].tolist(),
        }
    return case


def multiclass_case(name, y, probs):
    y = np.asarray(y, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    k = probs.shape[1]
    labels = list(range(k))
    p = np.argmax(probs, axis=1)
    e, u = {}, {}
    attempt(e, u, "accuracy", lambda: skm.accuracy_score(y, p))
    attempt(e, u, "balanced_accuracy", lambda: skm.balanced_accuracy_score(y, p))
    attempt(e, u, "f1_macro", lambda: skm.f1_score(y, p, labels=labels, average="macro"))
    attempt(e, u, "f1_weighted", lambda: skm.f1_score(y, p, labels=labels, average="weighted"))
    attempt(e, u, "precision_macro", lambda: skm.precision_score(y, p, labels=labels, average="macro"))
    attempt(e, u, "recall_macro", lambda: skm.recall_score(y, p, labels=labels, average="macro"))
    attempt(e, u, "mcc", lambda: skm.matthews_corrcoef(y, p))
    attempt(e, u, "cohen_kappa", lambda: skm.cohen_kappa_score(y, p))
    attempt(e, u, "log_loss", lambda: skm.log_loss(y, probs, labels=labels))
    attempt(
        e, u, "roc_auc_ovr_macro",
        lambda: skm.roc_auc_score(y, probs, multi_class="ovr", average="macro", labels=labels),
    )
    attempt(e, u, "top2_accuracy", lambda: skm.top_k_accuracy_score(y, probs, k=2, labels=labels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prec, rec, f1, support = skm.precision_recall_fscore_support(y, p, labels=labels)
    return {
        "name": name,
        "num_classes": k,
        "labels": y.tolist(),
        "probs": probs.reshape(-1).tolist(),
        "expected": e,
        "undefined": u,
        "confusion": skm.confusion_matrix(y, p, labels=labels).tolist(),
        "per_class": {
            "precision": prec.tolist(),
            "recall": rec.tolist(),
            "f1": f1.tolist(),
            "support": support.tolist(),
        },
        "calibration": [
            top_label_calibration(p == y, probs.max(axis=1), b) for b in CALIBRATION_BINS
        ],
    }


def regression_case(name, y, yhat):
    y = np.asarray(y, dtype=np.float64)
    yhat = np.asarray(yhat, dtype=np.float64)
    e, u = {}, {}
    attempt(e, u, "mse", lambda: skm.mean_squared_error(y, yhat))
    attempt(e, u, "rmse", lambda: skm.mean_squared_error(y, yhat, squared=False))
    attempt(e, u, "mae", lambda: skm.mean_absolute_error(y, yhat))
    attempt(e, u, "r2", lambda: skm.r2_score(y, yhat, force_finite=False))
    attempt(e, u, "median_absolute_error", lambda: skm.median_absolute_error(y, yhat))
    attempt(e, u, "max_error", lambda: skm.max_error(y, yhat))
    attempt(e, u, "mape", lambda: skm.mean_absolute_percentage_error(y, yhat))
    return {"name": name, "targets": y.tolist(), "predictions": yhat.tolist(), "expected": e, "undefined": u}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def binary_cases(rng):
    cases = []
    y = (rng.random(300) < 0.35).astype(np.int64)
    cases.append(binary_case("random", y, sigmoid(1.5 * (2 * y - 1) + rng.normal(0, 1.2, y.size)), curves=True))

    y = (rng.random(300) < 0.5).astype(np.int64)
    s = np.round(sigmoid(1.2 * (2 * y - 1) + rng.normal(0, 1.5, y.size)), 1)  # 11 distinct values, 0 and 1 too
    cases.append(binary_case("ties_one_decimal", y, s, curves=True))

    y = np.zeros(800, dtype=np.int64)
    y[rng.choice(800, 8, replace=False)] = 1
    cases.append(binary_case("imbalanced_1pct", y, sigmoid(2.0 * y - 2.5 + rng.normal(0, 1.0, y.size))))

    y = (rng.random(120) < 0.4).astype(np.int64)
    cases.append(binary_case("perfect_hard", y, y.astype(np.float64)))  # 0/1 scores: log_loss clips
    cases.append(binary_case("perfect_soft", y, np.where(y == 1, 0.6 + 0.4 * rng.random(y.size), 0.4 * rng.random(y.size))))
    cases.append(binary_case("all_wrong", y, np.where(y == 1, 0.45 * rng.random(y.size), 0.55 + 0.45 * rng.random(y.size))))

    cases.append(binary_case("single_class_negative", np.zeros(80, dtype=np.int64), rng.random(80)))
    cases.append(binary_case("single_class_positive", np.ones(80, dtype=np.int64), rng.random(80)))
    cases.append(binary_case("single_class_negative_none_predicted", np.zeros(60, dtype=np.int64), 0.49 * rng.random(60)))

    y = (rng.random(150) < 0.3).astype(np.int64)
    cases.append(binary_case("no_positive_predictions", y, 0.499 * rng.random(y.size)))

    s = np.array([0.0, 0.5, 1.0, 1e-17, 1 - 1e-16, 0.49999999999999994, 0.5, 0.25, 0.75, 1.0, 0.0, 0.5])
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1])
    cases.append(binary_case("boundary_scores", y, s, curves=True))
    return cases


def multiclass_cases(rng):
    cases = []
    k = 4
    probs = rng.dirichlet(np.full(k, 0.8), 300)
    y = np.array([rng.choice(k, p=0.5 * row + 0.5 / k) for row in probs])
    cases.append(multiclass_case("random_k4", y, probs))

    rows = np.array([
        [0.4, 0.4, 0.2], [0.25, 0.5, 0.25], [0.5, 0.25, 0.25], [0.3, 0.3, 0.4],
        [0.2, 0.4, 0.4], [0.25, 0.25, 0.5], [0.5, 0.5, 0.0], [0.6, 0.2, 0.2],
    ])
    probs = rows[rng.integers(0, len(rows), 240)]
    cases.append(multiclass_case("ties_k3", rng.integers(0, 3, 240), probs))

    probs = rng.dirichlet(np.array([1.0, 1.0, 1.0, 1.0, 0.05]), 300)
    probs[:, 4] *= 0.01
    probs /= probs.sum(axis=1, keepdims=True)
    y = rng.integers(0, 4, 300)  # class 4: never a label, never the argmax
    cases.append(multiclass_case("absent_class_k5", y, probs))

    probs = rng.dirichlet(np.full(4, 0.6), 250)
    y = rng.integers(0, 3, 250)  # class 3 never a label, but predicted
    cases.append(multiclass_case("predicted_but_absent_k4", y, probs))

    y = rng.integers(0, 3, 150)
    cases.append(multiclass_case("perfect_onehot_k3", y, np.eye(3)[y]))
    cases.append(multiclass_case("all_wrong_k3", y, np.eye(3)[(y + 1) % 3] * 0.8 + 0.1 * (1 - np.eye(3)[(y + 1) % 3])))

    y = rng.choice([0, 2], 200)
    cases.append(multiclass_case("two_classes_present_k3", y, rng.dirichlet(np.ones(3), 200)))

    k = 10
    probs = rng.dirichlet(np.full(k, 0.3), 120)
    cases.append(multiclass_case("random_k10", rng.integers(0, k, 120), probs))
    return cases


def regression_cases(rng):
    cases = []
    y = rng.normal(5, 3, 300)
    cases.append(regression_case("random_even", y, y + rng.normal(0, 1, y.size)))
    y = rng.normal(-2, 4, 301)
    cases.append(regression_case("random_odd", y, 0.8 * y + rng.normal(0, 2, y.size)))
    y = rng.normal(0, 1, 200)
    y[rng.random(200) < 0.2] = 0.0
    yhat = y + rng.normal(0, 0.3, y.size)
    yhat[::17] = 0.0
    cases.append(regression_case("zeros_in_target", y, yhat))
    cases.append(regression_case("perfect", y, y.copy()))
    cases.append(regression_case("constant_target", np.full(50, 3.0), 3.0 + rng.normal(0, 0.5, 50)))
    cases.append(regression_case("constant_target_perfect", np.full(20, -1.5), np.full(20, -1.5)))
    y = 1e6 + rng.normal(0, 1, 200)
    cases.append(regression_case("large_offset", y, y + rng.normal(0, 0.5, y.size)))
    return cases


def main():
    rng = np.random.default_rng(SEED)
    fixture = {
        "generator": "tests/eval/make_sklearn_fixtures.py",
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
        "seed": SEED,
        "binary": binary_cases(rng),
        "multiclass": multiclass_cases(rng),
        "regression": regression_cases(rng),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
