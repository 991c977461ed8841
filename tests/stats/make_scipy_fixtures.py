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
  kstwo_sf         scipy.stats.kstwo.sf(d, n)  (the exact finite-n one-sample D_n): a grid
                   over the regions of scipy's method choice and both sides of each
                   boundary (n x^2 = 0.754693, 4, 2.2, 18, 370; n = 140/141, 100000;
                   n x^1.5 = 1.4; d = 1/(2n), 1/n, 1 - 1/n, 1/2; n past 10^6)
  ks_statistic     scipy.stats.ks_2samp(a, b).statistic
  ks_2samp         for sample pairs: d = ks_2samp(a, b, method='asymp').statistic,
                   p_asymp = its pvalue, p_exact = ks_2samp(a, b, method='exact').pvalue
                   (exact_fell_back: scipy warned and used asymp instead); the samples
                   themselves (4 significant digits) where small enough to store
  ks_2samp_grid    the same two p-values from d alone, as ks_2samp derives them (see
                   ks_2samp_pvalues below): every lattice d = |i/m - j/n| of small m, n
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
import math
import os
import warnings

import numpy as np
import scipy
import scipy.stats as st
from scipy.spatial import distance

assert scipy.__version__.startswith("1.10"), scipy.__version__
rng = np.random.default_rng(17)
ks_rng = np.random.default_rng(18)  # the ks_2samp pairs draw from their own stream: rng's cases stay as they were

out = {"scipy": scipy.__version__, "numpy": np.__version__, "chi2_sf": [], "normal_sf": [], "kolmogorov_sf": [],
       "kstwo_sf": [], "ks_statistic": [], "ks_2samp": [], "ks_2samp_grid": [], "chi2_homogeneity": [],
       "two_proportion_z": [], "binned_numeric": [], "binned_categorical": []}

for df in [1, 2, 3, 5, 9, 30, 99, 1000]:
    for x in [0.0, 1e-6, 0.5, 1.0, df * 0.5, float(df), df + 3.0 * np.sqrt(2.0 * df), 4.0 * df + 20.0, 200.0]:
        out["chi2_sf"].append({"x": float(x), "df": float(df), "sf": float(st.chi2.sf(x, df))})
for z in [-8.0, -3.0, -1.0, -1e-3, 0.0, 0.5, 1.0, 1.959963984540054, 3.0, 5.0, 8.0, 12.0, 30.0]:
    out["normal_sf"].append({"z": z, "sf": float(st.norm.sf(z))})
for x in [0.0, 0.05, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.0999, 1.1, 1.2, 1.36, 1.5, 2.0, 3.0, 5.0, 6.0]:
    out["kolmogorov_sf"].append({"x": x, "sf": float(st.kstwobign.sf(x))})


def kstwo_grid():
    """(n, d) pairs: each region of scipy's _kolmogn and both sides of its boundaries."""
    sizes = [1, 2, 3, 4, 5, 7, 10, 20, 50, 100, 139, 140, 141, 142, 200, 500, 1000, 1001, 5000, 20000, 99999,
             100000, 100001, 500000, 999999, 1000000, 1000001]
    sides = [1 - 1e-9, 1.0, 1 + 1e-9]
    pairs = []
    for n in sizes:
        ds = [0.0, 0.5 / n, 0.5 / n * (1 + 1e-9), 0.75 / n, 1.0 / n, 1.0 / n * (1 + 1e-9), 0.5 - 1e-9, 0.5, 0.75,
              1 - 1e-9, 1.0, 1.5]
        if n > 1:
            ds += [(n - 1) / n * f for f in (1 - 1e-9, 1.0)]
        for nxx in [0.754693, 4.0, 2.2, 18.0, 370.0]:
            ds += [math.sqrt(nxx * f / n) for f in sides]
        ds += [(1.4 / n) ** (2 / 3) * f for f in sides]  # n x^1.5 = 1.4
        ds += [math.sqrt(nxx / n) for nxx in np.geomspace(0.01, 500, 14)]
        pairs += [(n, d) for d in ds if d <= 1.5]
    return pairs


for n, d in kstwo_grid():
    out["kstwo_sf"].append({"n": n, "d": d, "sf": float(st.kstwo.sf(d, n))})


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


def ks_2samp_pvalues(d, m, n):
    """(p_asymp, p_exact) of ks_2samp from d, m, n: scipy 1.10's own steps (_stats_py.py),
    checked against ks_2samp itself on every sample pair below."""
    from scipy.stats._stats_py import _attempt_exact_2kssamp
    big, small = sorted([float(m), float(n)], reverse=True)
    with np.errstate(divide="ignore"):  # m = n = 1: kstwo's support at n = 0 divides by 0 (the answer is nan)
        p_asymp = float(np.clip(st.kstwo.sf(d, np.round(big * small / (big + small))), 0, 1))
    g = math.gcd(m, n)
    if m // g >= np.iinfo(np.int32).max / (n // g):
        return p_asymp, p_asymp, True
    ok, d_lattice, p = _attempt_exact_2kssamp(m, n, g, d, "two-sided")
    if not ok:
        return p_asymp, float(np.clip(st.kstwo.sf(d_lattice, np.round(big * small / (big + small))), 0, 1)), True
    return p_asymp, float(np.clip(p, 0, 1)), False


def nan_to_none(p):
    """JSON has no NaN: null stands for scipy's nan."""
    return None if np.isnan(p) else float(p)


def short(values):
    return [float("%.4g" % v) for v in values]


def ks_2samp_case(name, a, b, store_samples=True):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if store_samples:
        a, b = np.asarray(short(a)), np.asarray(short(b))
    with np.errstate(divide="ignore"):  # m = n = 1, as in ks_2samp_pvalues
        asymp = st.ks_2samp(a, b, method="asymp")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exact = st.ks_2samp(a, b, method="exact")
    m, n = len(a), len(b)
    d = float(asymp.statistic)
    mirrored = ks_2samp_pvalues(d, m, n)
    assert np.array_equal(mirrored[:2], (asymp.pvalue, exact.pvalue), equal_nan=True), name
    assert mirrored[2] == bool(caught), name
    case = {"name": name, "m": m, "n": n, "d": d, "p_asymp": nan_to_none(asymp.pvalue),
            "p_exact": float(exact.pvalue), "exact_fell_back": bool(caught)}
    if store_samples:
        case["a"], case["b"] = a.tolist(), b.tolist()
    out["ks_2samp"].append(case)


ks_2samp_case("normal vs shifted", ks_rng.normal(0, 1, 200), ks_rng.normal(0.3, 1, 150))
ks_2samp_case("tiny n=5", ks_rng.normal(0, 1, 5), ks_rng.normal(0.5, 1, 5))
ks_2samp_case("one value each (asymp: nan, effective size round(1/2) = 0)", [1.0], [2.0])
ks_2samp_case("one equal value each", [1.0], [1.0])
for m, n in [(1, 2), (2, 1), (2, 3), (3, 3), (4, 5), (5, 1), (1, 4)]:
    ks_2samp_case(f"tiny {m} vs {n}", ks_rng.normal(0, 1, m), ks_rng.normal(0.7, 1, n))
ks_2samp_case("ties", ks_rng.integers(0, 5, 60), ks_rng.integers(0, 6, 40))
ks_2samp_case("ties, equal sizes", ks_rng.integers(0, 3, 50), ks_rng.integers(0, 3, 50))
ks_2samp_case("heavy tails", ks_rng.standard_cauchy(300), ks_rng.standard_cauchy(250) * 2)
ks_2samp_case("disjoint supports (d = 1)", ks_rng.uniform(0, 1, 30), ks_rng.uniform(2, 3, 20))
same_ks = ks_rng.normal(0, 1, 50)
ks_2samp_case("identical samples (d = 0)", same_ks, same_ks)
ks_2samp_case("interleaved, m = n = 7: d = 1/7 (scipy's exact falls back)", np.arange(7) * 2.0,
              np.arange(7) * 2.0 + 1)
ks_2samp_case("interleaved, m = n = 13: d = 1/13", np.arange(13) * 2.0, np.arange(13) * 2.0 + 1)
ks_2samp_case("m = 997 vs n = 1009 (coprime)", ks_rng.normal(0, 1, 997), ks_rng.normal(0.1, 1, 1009))
ks_2samp_case("m = n = 10000", ks_rng.normal(0, 1, 10000), ks_rng.normal(0.03, 1, 10000),
              store_samples=False)
ks_2samp_case("m = 10000 vs n = 9999", ks_rng.normal(0, 1, 10000), ks_rng.normal(0.02, 1, 9999),
              store_samples=False)
ks_2samp_case("m = 7919 vs n = 10000, ties", ks_rng.integers(0, 40, 7919), ks_rng.integers(0, 41, 10000),
              store_samples=False)
ks_2samp_case("m = 10000 vs n = 3", ks_rng.normal(0, 1, 10000), ks_rng.normal(1, 1, 3), store_samples=False)
ks_2samp_case("m = 12000 vs n = 15000 (lcm 60000: exact stays cheap)", ks_rng.normal(0, 1, 12000),
              ks_rng.normal(0.02, 1, 15000), store_samples=False)
ks_2samp_case("m = 100000 vs n = 99999 (lcm past 2^31: exact falls back)", ks_rng.normal(0, 1, 100000),
              ks_rng.normal(0.01, 1, 99999), store_samples=False)

for m, n in [(1, 1), (1, 3), (2, 2), (3, 3), (3, 5), (4, 6), (5, 5), (7, 7), (6, 9), (10, 15), (13, 13), (12, 8),
             (20, 20), (40, 60), (41, 43), (141, 200)]:
    lattice = sorted({abs(i / m - j / n) for i in range(m + 1) for j in range(n + 1)})
    if len(lattice) > 40:
        lattice = [lattice[k] for k in np.unique(np.geomspace(1, len(lattice), 40).astype(int) - 1)]
    for d in lattice:
        p_asymp, p_exact, fell_back = ks_2samp_pvalues(d, m, n)
        out["ks_2samp_grid"].append({"m": m, "n": n, "d": d, "p_asymp": nan_to_none(p_asymp), "p_exact": p_exact,
                                     "exact_fell_back": fell_back})


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
