#!/usr/bin/env python3
"""Writes tests/report/sample_eval.json, the full eval result document
(docs/EVAL.md) the report tests render: a synthetic, deliberately overconfident
binary classifier on 10,000 rows with columns region, device, browser and sex.

Everything is computed from the synthetic labels and scores as dpeval defines
it (threshold 0.5; top-label calibration in 15 equal-width bins; ROC and PR
curves with thresholds decreasing, thinned to 100 points; slices per column and
region x device; fairness by sex; gates that fail when their expression holds,
as in docs/EVAL.md's example). Two stand-ins, because the renderer only draws
them: intervals are normal-approximation (Wald; Hanley-McNeil for ROC AUC)
rather than the bootstrap the "bootstrap" block names, and "significantly
worse" is a two-proportion z-test of a slice against the rest.

One browser value is hostile on purpose: an HTML <script> element, which the
report must show as text.

Standard library only; deterministic. Usage:
  python3 tests/report/make_sample_eval.py > tests/report/sample_eval.json
"""
import json
import math
import random

N = 10_000
BINS = 15
CURVE_POINTS = 100
MIN_SLICE = 30
HOSTILE = '<script>document.title="pwned"</script>'


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def pick(rng, table):
    r, acc = rng.random(), 0.0
    for value, weight in table:
        acc += weight
        if r < acc:
            return value
    return table[-1][0]


def make_rows(rng):
    rows = []
    shift = {"north": 0.3, "south": 0.0, "east": -0.2, "west": 0.1}
    for _ in range(N):
        row = {"region": pick(rng, [("north", .3), ("south", .3), ("east", .25), ("west", .15)]),
               "device": pick(rng, [("mobile", .5), ("desktop", .4), ("tablet", .1)]),
               "browser": pick(rng, [("chrome", .6), ("firefox", .24), ("safari", .154),
                                     (HOSTILE, .004), ("lynx", .002)]),
               "sex": pick(rng, [("f", .5), ("m", .5)])}
        x = rng.gauss(0, 1)
        true_logit = 3.2 * x - 0.9 + shift[row["region"]] + (0.25 if row["sex"] == "m" else 0.0)
        row["label"] = 1 if rng.random() < sigmoid(true_logit) else 0
        noise = 3.0 if (row["region"] == "east" and row["device"] == "tablet") else 0.6
        model_logit = 1.4 * (3.2 * x - 0.9) + rng.gauss(0, noise)
        row["score"] = min(max(sigmoid(model_logit), 1e-6), 1 - 1e-6)
        rows.append(row)
    return rows


def r6(v):
    return None if v is None else round(v, 6)


def div(a, b):
    return a / b if b else None


def counts(rows):
    tp = sum(1 for r in rows if r["label"] == 1 and r["score"] >= 0.5)
    fp = sum(1 for r in rows if r["label"] == 0 and r["score"] >= 0.5)
    fn = sum(1 for r in rows if r["label"] == 1 and r["score"] < 0.5)
    tn = len(rows) - tp - fp - fn
    return tn, fp, fn, tp


def roc_auc(rows):
    pos = sum(r["label"] for r in rows)
    neg = len(rows) - pos
    if pos == 0 or neg == 0:
        return None
    ranked = sorted(rows, key=lambda r: r["score"])
    rank_sum, i = 0.0, 0
    while i < len(ranked):  # average ranks over ties
        j = i
        while j < len(ranked) and ranked[j]["score"] == ranked[i]["score"]:
            j += 1
        rank_sum += sum(r["label"] for r in ranked[i:j]) * (i + j + 1) / 2.0
        i = j
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg)


def curve_walk(rows):
    """(threshold, tp, fp) per distinct score, thresholds decreasing."""
    ranked = sorted(rows, key=lambda r: -r["score"])
    out, tp, fp, i = [], 0, 0, 0
    while i < len(ranked):
        s = ranked[i]["score"]
        while i < len(ranked) and ranked[i]["score"] == s:
            tp += ranked[i]["label"]
            fp += 1 - ranked[i]["label"]
            i += 1
        out.append((s, tp, fp))
    return out


def thin(points):
    if len(points) <= CURVE_POINTS:
        return points
    step = (len(points) - 1) / (CURVE_POINTS - 1)
    return [points[round(k * step)] for k in range(CURVE_POINTS)]


def curves_and_ap(rows):
    walk = curve_walk(rows)
    pos = sum(r["label"] for r in rows)
    neg = len(rows) - pos
    top = max(r["score"] for r in rows) + 1
    roc = [{"fpr": 0.0, "tpr": 0.0, "threshold": top}]
    pr = [{"recall": 0.0, "precision": 1.0, "threshold": top}]
    ap, last_recall = 0.0, 0.0
    for s, tp, fp in walk:
        roc.append({"fpr": r6(fp / neg), "tpr": r6(tp / pos), "threshold": r6(s)})
        recall, precision = tp / pos, tp / (tp + fp)
        ap += (recall - last_recall) * precision
        last_recall = recall
        pr.append({"recall": r6(recall), "precision": r6(precision), "threshold": r6(s)})
    return {"roc": thin(roc), "pr": thin(pr)}, ap


def basic_metrics(rows):
    tn, fp, fn, tp = counts(rows)
    n = len(rows)
    precision, recall = div(tp, tp + fp), div(tp, tp + fn)
    f1 = div(2 * tp, 2 * tp + fp + fn)
    return {"accuracy": div(tp + tn, n), "precision": precision if precision is not None else 0.0,
            "recall": recall if recall is not None else 0.0, "f1": f1 if f1 is not None else 0.0,
            "roc_auc": roc_auc(rows)}


def full_metrics(rows, ap):
    tn, fp, fn, tp = counts(rows)
    n = len(rows)
    m = basic_metrics(rows)
    tnr = tn / (tn + fp)
    m["balanced_accuracy"] = (m["recall"] + tnr) / 2
    mcc_den = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    m["mcc"] = (tp * tn - fp * fn) / mcc_den
    p_o = (tp + tn) / n
    p_e = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n)
    m["cohen_kappa"] = (p_o - p_e) / (1 - p_e)
    m["average_precision"] = ap
    eps = 2.220446049250313e-16
    m["log_loss"] = -sum(math.log(min(max(r["score"] if r["label"] else 1 - r["score"], eps), 1 - eps))
                         for r in rows) / n
    m["brier"] = sum((r["label"] - r["score"]) ** 2 for r in rows) / n
    return {k: r6(v) for k, v in m.items()}


def wald(p, n, z=1.959964):
    if p is None or n == 0:
        return None
    half = z * math.sqrt(p * (1 - p) / n)
    return {"lo": r6(max(0.0, p - half)), "hi": r6(min(1.0, p + half))}


def intervals(rows, m):
    tn, fp, fn, tp = counts(rows)
    out = {"accuracy": wald(m["accuracy"], len(rows)), "precision": wald(m["precision"], tp + fp),
           "recall": wald(m["recall"], tp + fn)}
    auc, pos, neg = m.get("roc_auc"), tp + fn, tn + fp
    if auc is not None and pos and neg:  # Hanley and McNeil (1982)
        q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
        var = (auc * (1 - auc) + (pos - 1) * (q1 - auc ** 2) + (neg - 1) * (q2 - auc ** 2)) / (pos * neg)
        half = 1.959964 * math.sqrt(var)
        out["roc_auc"] = {"lo": r6(auc - half), "hi": r6(min(1.0, auc + half))}
    return {k: v for k, v in out.items() if v is not None}


def reliability(rows, score_of):
    edges = [b * (1.0 / BINS) for b in range(BINS + 1)]
    bins = [[0, 0.0, 0.0] for _ in range(BINS)]
    for r in rows:
        s = score_of(r)
        conf = max(s, 1 - s)
        correct = 1 if (s >= 0.5) == (r["label"] == 1) else 0
        b = 0
        while b < BINS - 1 and conf > edges[b + 1]:
            b += 1
        bins[b][0] += 1
        bins[b][1] += correct
        bins[b][2] += conf
    out, ece, mce = [], 0.0, 0.0
    for b, (count, correct, conf) in enumerate(bins):
        acc = correct / count if count else None
        mean_conf = conf / count if count else None
        if count:
            gap = abs(acc - mean_conf)
            ece += count / len(rows) * gap
            mce = max(mce, gap)
        out.append({"lower": r6(edges[b]), "upper": r6(edges[b + 1]), "count": count,
                    "accuracy": r6(acc), "confidence": r6(mean_conf)})
    return {"bins": BINS, "ece": r6(ece), "mce": r6(mce), "reliability": out}


def brier_decomposition(rows):
    n = len(rows)
    base = sum(r["label"] for r in rows) / n
    groups = {}
    for r in rows:
        b = min(int(r["score"] * BINS), BINS - 1)
        g = groups.setdefault(b, [0, 0.0, 0])
        g[0] += 1
        g[1] += r["score"]
        g[2] += r["label"]
    rel = sum(c / n * (s / c - y / c) ** 2 for c, s, y in groups.values())
    res = sum(c / n * (y / c - base) ** 2 for c, s, y in groups.values())
    return {"reliability": r6(rel), "resolution": r6(res), "uncertainty": r6(base * (1 - base))}


def temperature(rows):
    """The T minimising log loss of sigmoid(logit(score) / T) (golden-section search)."""
    logits = [(math.log(r["score"] / (1 - r["score"])), r["label"]) for r in rows]

    def loss(t):
        return -sum(math.log(max(sigmoid(z / t) if y else 1 - sigmoid(z / t), 1e-15)) for z, y in logits)

    lo, hi = 0.5, 5.0
    g = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if loss(a) < loss(b):
            hi = b
        else:
            lo = a
    return (lo + hi) / 2


def two_proportion_p(k1, n1, k2, n2):
    p = (k1 + k2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def slice_entry(value, part, rest):
    n = len(part)
    entry = {"value": value, "n": n, "too_small": n < MIN_SLICE}
    m = basic_metrics(part)
    entry["metrics"] = {k: r6(v) for k, v in m.items()}
    entry["intervals"] = {k: v for k, v in (("accuracy", wald(m["accuracy"], n)),) if v}
    if n < MIN_SLICE:
        return entry
    p_values, worse = {}, []
    tn, fp, fn, tp = counts(part)
    rtn, rfp, rfn, rtp = counts(rest)
    tests = {"accuracy": (tp + tn, n, rtp + rtn, len(rest)), "recall": (tp, tp + fn, rtp, rtp + rfn)}
    for metric, (k1, n1, k2, n2) in tests.items():
        if n1 == 0 or n2 == 0:
            continue
        p = two_proportion_p(k1, n1, k2, n2)
        p_values[metric] = float(f"{p:.3g}")
        if p < 0.05 and k1 / n1 < k2 / n2:
            worse.append(metric)
    entry["significantly_worse"] = worse
    entry["p_values"] = p_values
    return entry


def slices(rows):
    columns = {}
    keys = {"region": lambda r: r["region"], "device": lambda r: r["device"],
            "browser": lambda r: r["browser"], "region×device": lambda r: r["region"] + "×" + r["device"]}
    for column, key in keys.items():
        groups = {}
        for r in rows:
            groups.setdefault(key(r), []).append(r)
        ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        columns[column] = [slice_entry(v, part, [r for r in rows if key(r) != v]) for v, part in ordered]
    return {"min_slice_size": MIN_SLICE, "columns": columns}


def fairness(rows):
    groups = []
    for value in ("f", "m"):
        part = [r for r in rows if r["sex"] == value]
        tn, fp, fn, tp = counts(part)
        groups.append({"value": value, "n": len(part), "selection_rate": r6((tp + fp) / len(part)),
                       "tpr": r6(tp / (tp + fn)), "fpr": r6(fp / (fp + tn)), "fnr": r6(fn / (tp + fn))})
    sel = [g["selection_rate"] for g in groups]
    tpr = [g["tpr"] for g in groups]
    fpr = [g["fpr"] for g in groups]
    return {"sensitive": "sex", "groups": groups,
            "demographic_parity_difference": r6(max(sel) - min(sel)),
            "demographic_parity_ratio": r6(min(sel) / max(sel)),
            "equal_opportunity_difference": r6(max(tpr) - min(tpr)),
            "equalized_odds_difference": r6(max(max(tpr) - min(tpr), max(fpr) - min(fpr)))}


def per_class(rows):
    tn, fp, fn, tp = counts(rows)
    out = []
    for cls, (t, f_p, f_n) in ((0, (tn, fn, fp)), (1, (tp, fp, fn))):
        p, r = div(t, t + f_p), div(t, t + f_n)
        out.append({"class": cls, "precision": r6(p), "recall": r6(r),
                    "f1": r6(div(2 * t, 2 * t + f_p + f_n)), "support": t + f_n})
    return out


def gate(expression, value, fails):
    return {"expression": expression, "value": value, "passed": not fails}


def main():
    rng = random.Random(20261129)
    rows = make_rows(rng)
    curves, ap = curves_and_ap(rows)
    metrics = full_metrics(rows, ap)
    tn, fp, fn, tp = counts(rows)
    calibration = reliability(rows, lambda r: r["score"])
    calibration["brier_decomposition"] = brier_decomposition(rows)
    t = temperature(rows)
    after = reliability(rows, lambda r: sigmoid(math.log(r["score"] / (1 - r["score"])) / t))
    after["method"] = "temperature"
    calibration["after_recalibration"] = after
    fair = fairness(rows)
    sl = slices(rows)
    small = [f"{c}={e['value']}" for c, es in sl["columns"].items() for e in es if e["too_small"]]
    empty_bins = sum(1 for b in calibration["reliability"] if b["count"] == 0)
    doc = {
        "task": "binary", "source": "preds_val.csv", "n": N, "num_classes": 2,
        "metrics": metrics, "intervals": intervals(rows, metrics),
        "bootstrap": {"resamples": 1000, "seed": 0, "level": 0.95, "method": "poisson"},
        "confusion_matrix": [[tn, fp], [fn, tp]], "per_class": per_class(rows),
        "calibration": calibration, "curves": curves, "slices": sl, "fairness": fair,
        "gates": [gate("accuracy < 0.85", metrics["accuracy"], metrics["accuracy"] < 0.85),
                  gate("ece > 0.05", calibration["ece"], calibration["ece"] > 0.05),
                  gate("equalized_odds_difference > 0.1", fair["equalized_odds_difference"],
                       fair["equalized_odds_difference"] > 0.1)],
        "warnings": [f"slices with fewer than {MIN_SLICE} rows are shown but not tested: {', '.join(small)}",
                     f"calibration: {empty_bins} of {BINS} bins are empty"],
    }
    print(json.dumps(doc, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
