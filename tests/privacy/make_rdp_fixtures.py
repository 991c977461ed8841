#!/usr/bin/python3
"""Writes tests/privacy/fixtures/rdp_epsilon.json: (epsilon, best order) of DP-SGD's sampled Gaussian mechanism
over a grid of noise multipliers, sampling rates, steps and deltas, computed here in Python from the published
algorithm, independently of dpeval's C++:

- RDP of one step at order a (Mironov, Talwar and Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian
  Mechanism", section 3.3): log(A_a) / (a - 1), A_a the binomial sum for integer a and the two erfc-weighted series
  for fractional a (summed until both terms are below e^-30), as Opacus 1.4's accountant computes it
  (opacus/accountants/analysis/rdp.py, which follows TF Privacy's rdp_accountant.py);
- T steps: T times that; (epsilon, delta) by Balle et al. 2020, Theorem 21:
  eps(a) = rdp(a) - (log delta + log a) / (a - 1) + log((a - 1) / a), minimised over Opacus 1.4's default orders
  [1 + x / 10 for x in 1..99] + [12..63].

Everything in log space with Python floats; scipy.special for binom and log_ndtr (python3-scipy from Debian).
Usage: python3 tests/privacy/make_rdp_fixtures.py  (rewrites the fixture; run from the repository root).
"""
import json
import math
import os

from scipy import special

ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))


def log_plus(a, b):
    lo, hi = min(a, b), max(a, b)
    return hi if lo == -math.inf else hi + math.log1p(math.exp(lo - hi))


def log_minus(a, b):
    assert a >= b, (a, b)
    if b == -math.inf:
        return a
    if a == b:
        return -math.inf
    try:
        return b + math.log(math.expm1(a - b))
    except OverflowError:
        return a


def log_erfc(x):
    return math.log(2) + special.log_ndtr(-x * math.sqrt(2))


def log_a(q, sigma, a):
    if float(a).is_integer():
        n, total = int(a), -math.inf
        for i in range(n + 1):
            term = math.log(special.binom(n, i)) + i * math.log(q) + (n - i) * math.log(1 - q)
            total = log_plus(total, term + (i * i - i) / (2 * sigma ** 2))
        return total
    lower, upper, i = -math.inf, -math.inf, 0
    z0 = sigma ** 2 * math.log(1 / q - 1) + 0.5
    while True:
        c = special.binom(a, i)
        j = a - i
        base = math.log(abs(c))
        s0 = (base + i * math.log(q) + j * math.log(1 - q) + (i * i - i) / (2 * sigma ** 2)
              + math.log(0.5) + log_erfc((i - z0) / (math.sqrt(2) * sigma)))
        s1 = (base + j * math.log(q) + i * math.log(1 - q) + (j * j - j) / (2 * sigma ** 2)
              + math.log(0.5) + log_erfc((z0 - j) / (math.sqrt(2) * sigma)))
        if c > 0:
            lower, upper = log_plus(lower, s0), log_plus(upper, s1)
        else:
            lower, upper = log_minus(lower, s0), log_minus(upper, s1)
        i += 1
        if max(s0, s1) < -30:
            return log_plus(lower, upper)


def rdp_step(q, sigma, a):
    if q == 0:
        return 0.0
    if q == 1:
        return a / (2 * sigma ** 2)
    return log_a(q, sigma, a) / (a - 1)


def epsilon(q, sigma, steps, delta):
    best = (math.inf, None)
    for a in ORDERS:
        e = rdp_step(q, sigma, a) * steps - (math.log(delta) + math.log(a)) / (a - 1) + math.log((a - 1) / a)
        if not math.isnan(e) and e < best[0]:
            best = (e, a)
    return best


def main():
    cases = []
    for sigma in (0.5, 0.7, 1.0, 1.3, 2.0, 3.5, 5.0, 10.0):
        for q in (1e-4, 1e-3, 0.004, 0.01, 0.05, 0.1, 0.25, 0.5):
            for steps in (1, 100, 10_000, 1_000_000):
                for delta in (1e-5,) if steps != 10_000 else (1e-5, 1e-7):
                    e, a = epsilon(q, sigma, steps, delta)
                    cases.append({"sigma": sigma, "q": q, "steps": steps, "delta": delta, "epsilon": e,
                                  "best_order": a})
    steps_rdp = [{"q": q, "sigma": s, "order": a, "rdp": rdp_step(q, s, a)}
                 for q in (1e-4, 0.01, 0.5) for s in (0.5, 1.0, 4.0) for a in (1.1, 1.5, 2.0, 3.7, 10.9, 32.0, 63.0)]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "rdp_epsilon.json")
    doc = {"what": "epsilon of DP-SGD (sampled Gaussian mechanism, RDP accountant, Opacus 1.4 orders and conversion)",
           "made_by": "tests/privacy/make_rdp_fixtures.py", "cases": cases, "rdp_steps": steps_rdp}
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f, indent=0)
        f.write("\n")
    os.replace(out + ".tmp", out)
    print(f"{len(cases)} cases, {len(steps_rdp)} single-step values -> {out}")


main()
