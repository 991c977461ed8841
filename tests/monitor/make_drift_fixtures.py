#!/usr/bin/python3
"""Writes tests/monitor/fixtures/drift/: pairs of small CSV files (reference, current) and
expected.json holding, per case and column, what scipy 1.10 / numpy 1.24 give for every drift
metric (issue 17's definitions, docs/DRIFT.md) and the verdict Evidently 0.2-0.4's default rule
gives. Run with Debian's interpreter: /usr/bin/python3 tests/monitor/make_drift_fixtures.py"""
import json, os, sys
import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "drift")
rng = np.random.default_rng(17)


def numeric_metrics(r, c):
    r = np.asarray(r, float); c = np.asarray(c, float)
    m = {"ks_statistic": float(stats.ks_2samp(r, c).statistic),
         "ks_pvalue": float(stats.ks_2samp(r, c, method="asymp").pvalue),
         "ks_pvalue_exact": float(stats.ks_2samp(r, c, method="exact").pvalue) if max(len(r), len(c)) <= 10000 else None,
         "wasserstein": float(stats.wasserstein_distance(r, c))}
    m["wasserstein_normed"] = m["wasserstein"] / max(float(np.std(r)), 0.001)
    e = np.array([np.quantile(r, i / 10) for i in range(1, 10)])
    pr = np.maximum(np.bincount(np.searchsorted(e, r), minlength=10) / len(r), 1e-4)
    pc = np.maximum(np.bincount(np.searchsorted(e, c), minlength=10) / len(c), 1e-4)
    m["psi"] = float(np.sum((pc - pr) * np.log(pc / pr)))
    m["js_distance"] = float(jensenshannon(pr, pc, base=2))
    m["kl_divergence"] = float(np.sum(pc * np.log(pc / pr)))
    return m


def categorical_metrics(r, c, binary):
    keys = sorted(set(r) | set(c))
    rc = np.array([sum(1 for v in r if v == k) for k in keys], float)
    cc = np.array([sum(1 for v in c if v == k) for k in keys], float)
    chi2, p, _, _ = stats.chi2_contingency([rc, cc], correction=False)
    m = {"chi2_statistic": float(chi2), "chi2_pvalue": float(p),
         "js_distance": float(jensenshannon(rc / rc.sum(), cc / cc.sum(), base=2))}
    pr = np.maximum(rc / rc.sum(), 1e-4); pc = np.maximum(cc / cc.sum(), 1e-4)
    m["psi"] = float(np.sum((pc - pr) * np.log(pc / pr)))
    if binary:
        k1, n1, k2, n2 = rc[0], rc.sum(), cc[0], cc.sum()
        pool = (k1 + k2) / (n1 + n2)
        se = np.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
        m["z_pvalue"] = 1.0 if se == 0 else float(2 * stats.norm.sf(abs((k1 / n1 - k2 / n2) / se)))
    return m


def verdict(kind, n_ref, m):
    """Evidently's default: (method, statistic, p_value, threshold, drift)."""
    if n_ref <= 1000:
        if kind == "numeric":
            p = m["ks_pvalue_exact"] if m.get("ks_pvalue_exact") is not None else m["ks_pvalue"]
            return "ks", m["ks_statistic"], p, 0.05, p < 0.05
        if kind == "categorical":
            return "chisquare", m["chi2_statistic"], m["chi2_pvalue"], 0.05, m["chi2_pvalue"] < 0.05
        return "z", None, m["z_pvalue"], 0.05, m["z_pvalue"] < 0.05
    if kind == "numeric":
        return "wasserstein", m["wasserstein_normed"], None, 0.1, m["wasserstein_normed"] >= 0.1
    return "js", m["js_distance"], None, 0.1, m["js_distance"] >= 0.1


def write_csv(path, columns):
    names = list(columns)
    n = len(columns[names[0]])
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for i in range(n):
            f.write(",".join(repr(float(columns[k][i])) if not isinstance(columns[k][i], str) else columns[k][i]
                             for k in names) + "\n")


cases = {}
def case(name, ref, cur, kinds):
    write_csv(os.path.join(OUT, name + "_ref.csv"), ref)
    write_csv(os.path.join(OUT, name + "_cur.csv"), cur)
    cols = {}
    for col, kind in kinds.items():
        r, c = ref[col], cur[col]
        if kind == "numeric":
            m = numeric_metrics(r, c)
        else:
            m = categorical_metrics([str(v) for v in r], [str(v) for v in c], kind == "binary")
        method, stat, p, thr, drift = verdict(kind, len(r), m)
        if kind == "binary" and method == "z":
            stat = None  # the z statistic's sign depends on which category is first: compared through z_pvalue
        cols[col] = {"kind": kind, "metrics": m, "method": method, "statistic": stat, "p_value": p,
                     "threshold": thr, "drift": bool(drift)}
    cases[name] = {"n_reference": len(next(iter(ref.values()))), "n_current": len(next(iter(cur.values()))),
                   "columns": cols}


os.makedirs(OUT, exist_ok=True)
# Ties: integers 0..20, many repeats.
case("ties", {"x": rng.integers(0, 21, 200)}, {"x": rng.integers(2, 23, 150)}, {"x": "numeric"})
# Tiny samples, n = 5.
case("tiny", {"x": np.round(rng.normal(0, 1, 5), 6)}, {"x": np.round(rng.normal(0.5, 1, 5), 6)}, {"x": "numeric"})
# Heavy tails: Cauchy.
case("heavy", {"x": np.round(rng.standard_cauchy(800), 6)}, {"x": np.round(rng.standard_cauchy(700) * 1.3, 6)},
     {"x": "numeric"})
# Disjoint supports.
case("disjoint", {"x": np.round(rng.uniform(0, 1, 50), 6)}, {"x": np.round(rng.uniform(2, 3, 60), 6)}, {"x": "numeric"})
# Identical samples.
same = np.round(rng.normal(3, 2, 300), 6)
case("identical", {"x": same}, {"x": same.copy()}, {"x": "numeric"})
# Above 1000 reference rows: distances decide; two columns, one shifted.
case("large", {"a": np.round(rng.normal(0, 1, 3000), 6), "b": np.round(rng.exponential(2, 3000), 6)},
     {"a": np.round(rng.normal(0.3, 1.2, 2500), 6), "b": np.round(rng.exponential(2, 2500), 6)},
     {"a": "numeric", "b": "numeric"})
# Categories: 'd' only in the reference (missing category), 'e' only in the current (new category).
case("categories", {"c": rng.choice(["a", "b", "c", "d"], 400, p=[0.4, 0.3, 0.2, 0.1])},
     {"c": rng.choice(["a", "b", "c", "e"], 300, p=[0.3, 0.3, 0.3, 0.1])}, {"c": "categorical"})
case("categories_large", {"c": rng.choice(["red", "green", "blue"], 2000, p=[0.5, 0.3, 0.2])},
     {"c": rng.choice(["red", "green", "blue", "violet"], 1500, p=[0.4, 0.3, 0.2, 0.1])}, {"c": "categorical"})
# Binary.
case("binary", {"y": rng.choice(["no", "yes"], 500, p=[0.7, 0.3])}, {"y": rng.choice(["no", "yes"], 400, p=[0.6, 0.4])},
     {"y": "binary"})
# A numeric column of at most 5 distinct values is compared as categories (Evidently).
case("few_values", {"k": rng.integers(1, 5, 600)}, {"k": rng.integers(1, 6, 500)}, {"k": "categorical"})

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump({"generator": "tests/monitor/make_drift_fixtures.py", "scipy": __import__("scipy").__version__,
               "numpy": np.__version__, "cases": cases}, f, indent=1, sort_keys=True)
print("wrote", len(cases), "cases to", OUT)
