#!/usr/bin/python3
"""The peer of `dpeval drift`: what a user scripts with pandas, numpy 1.24 and scipy 1.10
to get the same figures (bench/drift/run times it against dpeval in the same run).

  /usr/bin/python3 peer.py stats REF.f64 CUR.f64 [--repeats R]
      scipy.stats.ks_2samp(r, c, method='asymp') and scipy.stats.wasserstein_distance(r, c)
      on two float64 arrays already in memory (raw little-endian, ndarray.tofile), each
      timed alone inside Python, R times; prints one JSON line: the median seconds and the
      figures. Interpreter start and reading the arrays are not timed.

  /usr/bin/python3 peer.py report REF.csv CUR.csv OUT.json
      pd.read_csv of both files, then for every column the figures `dpeval drift` writes
      (docs/DRIFT.md, src/dpeval/stats/binned.h):
        numeric (a number dtype): ks_2samp asymp statistic and p-value, wasserstein_distance
          and wasserstein / max(population std of ref, 0.001), and over the reference's
          decile bins (np.quantile edges, searchsorted, bincount, shares floored at 1e-4)
          psi, the Jensen-Shannon distance (base 2) and the KL divergence;
        categorical (object dtype): value_counts of both over the union of their values,
          chi2_contingency([ref, cur], correction=False) statistic and p-value,
          jensenshannon of the counts (base 2) and psi of the floored shares.
      Writes OUT.json ({"columns": {name: {figure: value}}}) and prints one JSON line with
      the seconds of each phase. bench/drift/run times the whole process.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

FLOOR = 1e-4
MIN_NORM_STD = 0.001


def floored(counts):
    return np.maximum(counts / counts.sum(), FLOOR)


def numeric_figures(r, c):
    ks = stats.ks_2samp(r, c, method="asymp")
    w = stats.wasserstein_distance(r, c)
    e = np.quantile(r, np.arange(1, 10) / 10)  # i / 10 exactly (see README: not linspace)
    pr = floored(np.bincount(np.searchsorted(e, r), minlength=10).astype(float))
    pc = floored(np.bincount(np.searchsorted(e, c), minlength=10).astype(float))
    return {
        "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
        "wasserstein": float(w), "wasserstein_normed": float(w / max(np.std(r), MIN_NORM_STD)),
        "psi": float(np.sum((pc - pr) * np.log(pc / pr))),
        "js_distance": float(jensenshannon(pr, pc, base=2)),
        "kl_divergence": float(np.sum(pc * np.log(pc / pr))),
    }


def categorical_figures(r, c):
    vr, vc = r.value_counts(), c.value_counts()
    union = vr.index.union(vc.index)
    a = vr.reindex(union, fill_value=0).to_numpy(dtype=float)
    b = vc.reindex(union, fill_value=0).to_numpy(dtype=float)
    chi2, p, _, _ = stats.chi2_contingency(np.vstack([a, b]), correction=False)
    pa, pb = floored(a), floored(b)
    return {
        "chi2_statistic": float(chi2), "chi2_pvalue": float(p),
        "js_distance": float(jensenshannon(a, b, base=2)),
        "psi": float(np.sum((pb - pa) * np.log(pb / pa))),
    }


def report(ref_path, cur_path, out_path):
    t0 = time.perf_counter()
    ref, cur = pd.read_csv(ref_path), pd.read_csv(cur_path)
    t1 = time.perf_counter()
    columns, numeric_s, categorical_s = {}, 0.0, 0.0
    for name in ref.columns:
        t = time.perf_counter()
        if pd.api.types.is_numeric_dtype(ref[name]):
            r, c = ref[name].dropna().to_numpy(dtype=float), cur[name].dropna().to_numpy(dtype=float)
            columns[name] = numeric_figures(r, c)
            numeric_s += time.perf_counter() - t
        else:
            columns[name] = categorical_figures(ref[name].dropna(), cur[name].dropna())
            categorical_s += time.perf_counter() - t
    with open(out_path, "w") as f:
        json.dump({"columns": columns}, f)
    t2 = time.perf_counter()
    print(json.dumps({"read_csv_s": round(t1 - t0, 4), "numeric_s": round(numeric_s, 4),
                      "categorical_s": round(categorical_s, 4), "total_s": round(t2 - t0, 4)}))


def timed_stats(ref_path, cur_path, repeats):
    r, c = np.fromfile(ref_path, dtype="<f8"), np.fromfile(cur_path, dtype="<f8")
    ks_times, w_times = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        ks = stats.ks_2samp(r, c, method="asymp")
        ks_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        w = stats.wasserstein_distance(r, c)
        w_times.append(time.perf_counter() - t)
    print(json.dumps({"reference": len(r), "current": len(c), "repeats": repeats,
                      "ks_s": float(np.median(ks_times)), "wasserstein_s": float(np.median(w_times)),
                      "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue), "wasserstein": float(w)}))


def main(argv):
    if len(argv) >= 3 and argv[0] == "stats":
        repeats = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 3
        timed_stats(argv[1], argv[2], repeats)
    elif len(argv) == 4 and argv[0] == "report":
        report(argv[1], argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
