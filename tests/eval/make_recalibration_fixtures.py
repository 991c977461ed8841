#!/usr/bin/python3
"""Writes fixtures/sklearn_recalibration.json: scikit-learn's recalibration of
fixed scores, for tests/eval/recalibrate_test.cc.

Run with Debian's python3-sklearn (1.2.1; scripts/install-deps.sh --peers):
    /usr/bin/python3 tests/eval/make_recalibration_fixtures.py
(/usr/bin/python3 on purpose: a pyenv or venv python3 on PATH may lack sklearn.)

Platt and isotonic go through sklearn's own CalibratedClassifierCV(cv="prefit")
around a stand-in model whose scores are fixed tables (row i of X is the index
of a row of the table), so the one-vs-rest loop, the renormalisation and the
two-class special case are sklearn's, not a copy of them:
  platt     the stand-in's decision_function is x = logit(p) (dpeval's feature,
            p clipped to [eps, 1 - eps], eps = np.finfo(float64).eps): a binary
            column, or one column per class; method="sigmoid".
  isotonic  the stand-in has only predict_proba, the probabilities as given;
            method="isotonic" (IsotonicRegression(out_of_bounds="clip")).
Each records the fitted parameters (a_, b_ of every _SigmoidCalibration, and
the exact optimum of its objective, polished from there by Newton steps; the
X_thresholds_, y_thresholds_ of every IsotonicRegression) and predict_proba on
held-out rows that reach past the fitted range (binary: on the fit rows too).

sklearn has no temperature scaling: the reference T comes from scipy's brentq
on the derivative of the mean NLL in beta = 1 / T (convex; xtol 1e-15), and
nll_before / nll_after are that NLL at T = 1 and at the reference T.

Numbers are written with Python's repr (read back as the same float64); inputs
are rounded to a few decimals, so that C++ and Python read identical values and
isotonic fits meet ties.
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy.optimize import brentq
from scipy.special import expit, logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.isotonic import IsotonicRegression

SEED = 20261129
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "sklearn_recalibration.json")
EPS = np.finfo(np.float64).eps
T_MIN, T_MAX = 0.05, 20.0


def logit(p):
    p = np.clip(p, EPS, 1.0 - EPS)
    return np.log(p / (1.0 - p))


class ProbaTable(ClassifierMixin, BaseEstimator):
    """A 'prefit' model: predict_proba(X)[i] = proba[int(X[i, 0])]."""

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X, y):  # never called (cv="prefit")
        return self

    @property
    def classes_(self):
        return np.arange(self.proba.shape[1])

    def predict_proba(self, X):
        return self.proba[np.asarray(X)[:, 0].astype(int)]


class DecisionTable(ProbaTable):
    """Adds decision_function = logit(p): of class 1 for two classes, else per class."""

    def decision_function(self, X):
        p = self.predict_proba(X)
        return logit(p[:, 1]) if p.shape[1] == 2 else logit(p)


def platt_optimum(F, positive, start):
    """The minimiser of _sigmoid_calibration's objective (same targets, same
    parameterisation P = expit(-(A F + B))), polished from sklearn's BFGS answer
    by Newton steps on its gradient until that is ~1e-12: near the optimum the
    objective itself cannot resolve the gain left, so no line search."""
    prior1 = float(np.sum(positive))
    prior0 = len(F) - prior1
    T = np.where(positive, (prior1 + 1.0) / (prior1 + 2.0), 1.0 / (prior0 + 2.0))
    AB = np.array(start, dtype=float)
    for _ in range(50):
        P = expit(-(AB[0] * F + AB[1]))
        g = np.array([np.dot(T - P, F), np.sum(T - P)])
        if np.max(np.abs(g)) < 1e-11:
            break
        W = P * (1 - P)
        H = np.array([[np.dot(W, F * F), np.dot(W, F)], [np.dot(W, F), np.sum(W)]])
        AB = AB - np.linalg.solve(H, g)
    else:
        raise AssertionError(f"Newton did not converge: gradient {g}")
    return float(AB[0]), float(AB[1])


def sklearn_calibration(method, fit_proba, fit_labels, apply_proba, with_fit_rows=True):
    """CalibratedClassifierCV(cv="prefit") on the table: its parameters and predict_proba
    on the held-out rows (and on the fit rows with with_fit_rows)."""
    table = np.vstack([fit_proba, apply_proba])
    model = (DecisionTable if method == "sigmoid" else ProbaTable)(table)
    cal = CalibratedClassifierCV(estimator=model, method=method, cv="prefit")
    n_fit = len(fit_labels)
    cal.fit(np.arange(n_fit).reshape(-1, 1), fit_labels)
    (fitted,) = cal.calibrated_classifiers_
    out = {}
    if method == "sigmoid":
        out["a_sklearn"] = [float(c.a_) for c in fitted.calibrators]
        out["b_sklearn"] = [float(c.b_) for c in fitted.calibrators]
        # The exact optimum, from sklearn's answer: columns as _fit_calibrator pairs them.
        columns = [1] if fit_proba.shape[1] == 2 else range(fit_proba.shape[1])
        optima = [platt_optimum(logit(fit_proba[:, k]), fit_labels == k, (c.a_, c.b_))
                  for k, c in zip(columns, fitted.calibrators)]
        out["a_optimum"] = [a for a, _ in optima]
        out["b_optimum"] = [b for _, b in optima]
    else:
        out["x_thresholds"] = [c.X_thresholds_.tolist() for c in fitted.calibrators]
        out["y_thresholds"] = [c.y_thresholds_.tolist() for c in fitted.calibrators]
    if with_fit_rows:
        out["fit_proba"] = cal.predict_proba(np.arange(n_fit).reshape(-1, 1)).ravel().tolist()
    out["apply_proba"] = cal.predict_proba(np.arange(n_fit, len(table)).reshape(-1, 1)).ravel().tolist()
    return out


def mean_nll(z, labels, beta):
    s = beta * z
    return float(np.mean(logsumexp(s, axis=1) - s[np.arange(len(labels)), labels]))


def temperature_reference(z, labels, apply_z):
    """T minimising the mean NLL of softmax(z / T), by brentq on d/dbeta (beta = 1 / T)."""

    def slope(beta):
        s = beta * z
        q = np.exp(s - logsumexp(s, axis=1, keepdims=True))
        return float(np.mean((q * z).sum(axis=1) - z[np.arange(len(labels)), labels]))

    lo, hi = 1.0 / T_MAX, 1.0 / T_MIN
    assert slope(lo) < 0 < slope(hi), "the reference optimum must be inside the bracket"
    beta = brentq(slope, lo, hi, xtol=1e-15, rtol=4 * EPS, maxiter=500)
    s = apply_z * beta
    apply_q = np.exp(s - logsumexp(s, axis=1, keepdims=True))
    return {
        "temperature": 1.0 / beta,
        "nll_before": mean_nll(z, labels, 1.0),
        "nll_after": mean_nll(z, labels, beta),
        "apply_proba": apply_q.ravel().tolist(),
    }


def softmax(z):
    return np.exp(z - logsumexp(z, axis=1, keepdims=True))


def binary_case(rng):
    """An overconfident scorer: p = sigmoid(2.5 s + 0.3), labels ~ Bernoulli(sigmoid(s))."""
    n_fit, n_apply = 300, 80
    s = rng.normal(0.0, 1.5, n_fit + n_apply)
    labels = (rng.random(n_fit + n_apply) < expit(s)).astype(int)
    p = np.round(expit(2.5 * s + 0.3), 3)  # 3 decimals: ties
    p[:3] = [0.0, 1.0, 0.5]
    fit_p, fit_y = p[:n_fit], labels[:n_fit]
    apply_p = np.concatenate([np.round(p[n_fit:] + rng.normal(0, 0.01, n_apply).round(4), 4).clip(0, 1),
                              [0.0, 1.0, fit_p.min() / 2, (fit_p.max() + 1) / 2], fit_p[3:13]])
    fit_proba = np.column_stack([1 - fit_p, fit_p])
    apply_proba = np.column_stack([1 - apply_p, apply_p])
    case = {"fit_labels": fit_y.tolist(), "fit_scores": fit_p.tolist(), "apply_scores": apply_p.tolist()}
    case["platt"] = sklearn_calibration("sigmoid", fit_proba, fit_y, apply_proba)
    case["isotonic"] = sklearn_calibration("isotonic", fit_proba, fit_y, apply_proba)
    z = np.column_stack([np.zeros(n_fit), logit(fit_p)])
    apply_z = np.column_stack([np.zeros(len(apply_p)), logit(apply_p)])
    case["temperature"] = temperature_reference(z, fit_y, apply_z)
    return case


def near_ties_case():
    """Scores closer than np.finfo(float64).resolution (1e-15) to a run's first are one point."""
    base = 0.5
    x = np.array([0.2, 0.2, 0.3, base, np.nextafter(base, 1), base + 5e-16, base + 9e-16, base + 1.1e-15,
                  base + 2e-15, base + 2.5e-15, 0.6, 0.6, 0.6, 0.7, 0.9, 0.9])
    y = np.array([0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1])
    apply_x = np.concatenate([x, [0.0, 1.0, 0.25, base + 1e-15, 0.65, 0.8]])
    iso = IsotonicRegression(out_of_bounds="clip").fit(x, y)
    return {
        "fit_labels": y.tolist(), "fit_scores": x.tolist(), "apply_scores": apply_x.tolist(),
        "isotonic": {"x_thresholds": [iso.X_thresholds_.tolist()], "y_thresholds": [iso.y_thresholds_.tolist()],
                     "apply_proba": iso.predict(apply_x).tolist()},
    }


def multiclass_case(rng, num_classes, n_fit, n_apply, absent=None):
    """Labels ~ softmax(z); the model's logits 2 z + noise (overconfident), probabilities rounded."""
    z = rng.normal(0.0, 1.2, (n_fit + n_apply, num_classes))
    q = softmax(z)
    labels = np.array([rng.choice(num_classes, p=row) for row in q])
    if absent is not None:  # relabel the fit rows of one class, so the fit set lacks it
        fit_rows = labels[:n_fit] == absent
        labels[:n_fit][fit_rows] = (absent + 1) % num_classes
    logits = np.round(2.0 * z + rng.normal(0, 0.3, z.shape), 4)
    proba = np.round(softmax(logits), 3)  # rows off 1 by rounding: allowed, taken as given
    fit, app = slice(0, n_fit), slice(n_fit, n_fit + n_apply)
    case = {
        "num_classes": num_classes, "fit_labels": labels[fit].tolist(),
        "fit_probs": proba[fit].ravel().tolist(), "apply_probs": proba[app].ravel().tolist(),
        "fit_logits": logits[fit].ravel().tolist(), "apply_logits": logits[app].ravel().tolist(),
    }
    case["platt"] = sklearn_calibration("sigmoid", proba[fit], labels[fit], proba[app], False)
    case["isotonic"] = sklearn_calibration("isotonic", proba[fit], labels[fit], proba[app], False)
    case["temperature"] = temperature_reference(logits[fit], labels[fit], logits[app])
    return case


def main():
    rng = np.random.default_rng(SEED)
    fixture = {
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
        "temperature_bracket": [T_MIN, T_MAX],
        "binary": binary_case(rng),
        "binary_near_ties": near_ties_case(),
        "multiclass": multiclass_case(rng, 4, 240, 60),
        "multiclass_two_classes": multiclass_case(rng, 2, 150, 40),
        "multiclass_absent_class": multiclass_case(rng, 3, 150, 40, absent=2),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
