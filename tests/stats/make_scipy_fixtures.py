#!/usr/bin/python3
"""Writes fixtures/scipy_stats.json: scipy 1.10's values for tests/stats.

Run with Debian's python3-scipy (1.10.1):
    /usr/bin/python3 tests/stats/make_scipy_fixtures.py
(/usr/bin/python3 on purpose: a pyenv or venv python3 on PATH may lack scipy.)

Each number is written with Python's repr, which reads back as the same float64.

Calls, exactly:
  chi2_sf          scipy.stats.chi2.sf(x, df)
  normal_sf        scipy.stats.norm.sf(z)
  kolmogorov_sf    scipy.stats.kstwobign.sf(x)  (Kolmogorov's limiting distribution)
  ks_statistic     scipy.stats.ks_2samp(a, b).statistic
  chi2_homogeneity scipy.stats.chi2_contingency([a, b], correction=False) over the
                   categories with a count in a or b (scipy refuses a category
                   that is zero in both; dpeval leaves it out, as this does)
  wasserstein      scipy.stats.wasserstein_distance(a, b)
  two_proportion_z pooled two-proportion z-test, p = 2 scipy.stats.norm.sf(|z|)
  binned_numeric   inner edges numpy.quantile(ref, i/10), i = 1..9 (linear);
                   right-closed bins (e_{k-1}, e_k] (numpy.searchsorted(edges, x,
                   side='left')); shares = count/n floored at 1e-4, not
                   renormalised; psi = sum (cur-ref) ln(cur/ref);
                   js = scipy.spatial.distance.jensenshannon(ref, cur, base=2);
                   kl = sum cur ln(cur/ref)
  binned_categorical  the same divergences over category counts: js on the raw
                   shares (no floor), psi and kl on the floored shares
"""
import json
import os

import numpy as np
import scipy
import scipy.stats as st
from scipy.spatial import distance

assert scipy.__version__.startswith("1.10"), scipy.__version__
rng = np.random.default_rng(17)

out = {"scipy": scipy.__version__, "numpy": np.__version__, "chi2_sf": [], "normal_sf": [], "kolmogorov_sf": [],
       "ks_statistic": [], "chi2_homogeneity": [], "two_proportion_z": [], "binned_numeric": [],
       "binned_categorical": []}

for df in [1, 2, 3, 5, 9, 30, 99, 1000]:
    for x in [0.0, 1e-6, 0.5, 1.0, df * 0.5, float(df), df + 3.0 * np.sqrt(2.0 * df), 4.0 * df + 20.0, 200.0]:
        out["chi2_sf"].append({"x": float(x), "df": float(df), "sf": float(st.chi2.sf(x, df))})
for z in [-8.0, -3.0, -1.0, -1e-3, 0.0, 0.5, 1.0, 1.959963984540054, 3.0, 5.0, 8.0, 12.0, 30.0]:
    out["normal_sf"].append({"z": z, "sf": float(st.norm.sf(z))})
for x in [0.0, 0.05, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.0999, 1.1, 1.2, 1.36, 1.5, 2.0, 3.0, 5.0, 6.0]:
    out["kolmogorov_sf"].append({"x": x, "sf": float(st.kstwobign.sf(x))})


def ks_case(name, a, b):
    a = [float(v) for v in a]
    b = [float(v) for v in b]
    out["ks_statistic"].append({"name": name, "a": a, "b": b, "statistic": float(st.ks_2samp(a, b).statistic),
                                "wasserstein": float(st.wasserstein_distance(a, b))})


ks_case("normal vs shifted", rng.normal(0, 1, 200), rng.normal(0.3, 1, 150))
ks_case("tiny n=5", rng.normal(0, 1, 5), rng.normal(0.5, 1, 5))
ks_case("ties", rng.integers(0, 5, 60), rng.integers(0, 6, 40))
ks_case("heavy tails", rng.standard_cauchy(300), rng.standard_cauchy(250) * 2)
ks_case("disjoint supports", rng.uniform(0, 1, 30), rng.uniform(2, 3, 20))
same = rng.normal(0, 1, 50)
ks_case("identical samples", same, same)
ks_case("one value each", [1.0], [2.0])
ks_case("all equal", [3.0] * 10, [3.0] * 7)


def chi_case(name, a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    keep = (a + b) > 0
    stat, p, dof, _ = st.chi2_contingency([a[keep], b[keep]], correction=False)
    out["chi2_homogeneity"].append({"name": name, "a": a.tolist(), "b": b.tolist(), "statistic": float(stat),
                                    "dof": float(dof), "p_value": float(p)})


chi_case("three categories", [30, 50, 20], [25, 60, 15])
chi_case("a category missing from current", [40, 40, 20], [50, 50, 0])
chi_case("a new category in current", [40, 60, 0], [30, 50, 20])
chi_case("a category in neither", [10, 0, 30, 5], [12, 0, 25, 9])
chi_case("identical proportions", [10, 20, 30], [20, 40, 60])
chi_case("two categories (2x2)", [90, 10], [70, 30])
chi_case("large counts", [100000, 250000, 650000], [101000, 249000, 650000])

for ka, na, kb, nb in [(30, 100, 45, 100), (5, 5, 0, 5), (0, 50, 0, 60), (12, 40, 12, 40), (1, 1000, 9, 1000),
                       (500, 1000, 520, 1000)]:
    pooled = (ka + kb) / (na + nb)
    if pooled in (0.0, 1.0):
        z, p = 0.0, 1.0
    else:
        se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        z = (ka / na - kb / nb) / se
        p = min(1.0, 2 * st.norm.sf(abs(z)))
    out["two_proportion_z"].append({"k_a": ka, "n_a": na, "k_b": kb, "n_b": nb, "z": float(z), "p_value": float(p)})

FLOOR = 1e-4


def divergences(ref, cur):
    psi = float(np.sum((cur - ref) * np.log(cur / ref)))
    js = float(distance.jensenshannon(ref, cur, base=2))
    kl = float(np.sum(cur * np.log(cur / ref)))
    return psi, js, kl


def binned_case(name, ref, cur):
    ref = np.asarray(ref, dtype=float)
    cur = np.asarray(cur, dtype=float)
    edges = np.quantile(ref, [i / 10 for i in range(1, 10)])
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=10).astype(float)
    cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=10).astype(float)
    rs = np.maximum(rc / rc.sum(), FLOOR)
    cs = np.maximum(cc / cc.sum(), FLOOR)
    psi, js, kl = divergences(rs, cs)
    out["binned_numeric"].append({"name": name, "ref": ref.tolist(), "cur": cur.tolist(), "edges": edges.tolist(),
                                  "ref_counts": rc.tolist(), "cur_counts": cc.tolist(), "psi": psi, "js": js,
                                  "kl": kl})


binned_case("normal vs shifted", rng.normal(0, 1, 400), rng.normal(0.4, 1.2, 300))
binned_case("ties on the edges", rng.integers(0, 4, 200), rng.integers(0, 5, 150))
binned_case("tiny n=5", rng.normal(0, 1, 5), rng.normal(1, 1, 5))
binned_case("identical", same, same)
binned_case("disjoint (empty bins floored)", rng.uniform(0, 1, 100), rng.uniform(5, 6, 80))
binned_case("heavy tails", rng.standard_cauchy(500), rng.standard_cauchy(400))


def categorical_case(name, a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    js = float(distance.jensenshannon(a / a.sum(), b / b.sum(), base=2))
    psi, _, kl = divergences(np.maximum(a / a.sum(), FLOOR), np.maximum(b / b.sum(), FLOOR))
    out["binned_categorical"].append({"name": name, "ref_counts": a.tolist(), "cur_counts": b.tolist(), "psi": psi,
                                      "js": js, "kl": kl})


categorical_case("three categories", [30, 50, 20], [25, 60, 15])
categorical_case("a category missing from current", [40, 40, 20], [50, 50, 0])
categorical_case("a new category in current", [40, 60, 0], [30, 50, 20])
categorical_case("identical", [10, 20, 30], [10, 20, 30])

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "scipy_stats.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(path)
