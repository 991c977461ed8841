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
"""
import json
import os

import numpy as np
import scipy
import scipy.stats as st

assert scipy.__version__.startswith("1.10"), scipy.__version__
rng = np.random.default_rng(17)

out = {"scipy": scipy.__version__, "chi2_sf": [], "normal_sf": [], "kolmogorov_sf": [], "ks_statistic": [],
       "chi2_homogeneity": []}

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
    out["ks_statistic"].append({"name": name, "a": a, "b": b, "statistic": float(st.ks_2samp(a, b).statistic)})


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

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "scipy_stats.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(path)
