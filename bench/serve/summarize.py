#!/usr/bin/python3
"""summarize.py RUN_DIR JSON_OUT: bench/serve/run.sh's summary of one run.

Reads RUN_DIR/run.json (the run's settings, written by run.sh), RUN_DIR/servers.jsonl (one line a
server started: model, server, command, its agreement with PyTorch) and RUN_DIR/points.jsonl (one
line a measured point: model, server, concurrency, and serve_load_client's JSON). Writes the
summary to JSON_OUT (atomically) and prints it as markdown on stdout: a table a model of req/s,
p50/p95/p99 and the load client's own CPU (in cores) per server and concurrency, then the goals of
issue 18 ("Speed"), each a ratio taken from this run alone:
  - at the highest concurrency (64): dpeval's req/s >= 10x the peer's, with a lower p99;
  - at concurrency 1, the MLP: dpeval's p50 <= 0.2 ms.
Each dpeval configuration (micro-batching on and off) is judged on its own; a point with errors
does not meet a goal. With several rounds (run.sh --rounds), a point is the median of its rounds
(req/s and each latency percentile taken separately; errors summed), the ratio is that of the
medians, and the per-round ratios (dpeval's round r against the peer's round r) are listed.
"""
import statistics
import json
import os
import sys

THROUGHPUT_RATIO_GOAL = 10.0
MLP_P50_C1_GOAL_MS = 0.2
DPEVAL_SERVERS = ("dpeval_batch", "dpeval_nobatch")
VERDICTS = {"met_throughput_and_p99": "req/s and p99", "met_p50_c1": "p50 at c=1"}
SERVER_TITLES = {
    "dpeval_batch": "dpeval serve, micro-batching (--max-batch 64 --max-delay-ms 2)",
    "dpeval_nobatch": "dpeval serve, no micro-batching (--max-batch 1)",
    "flask_peer": "peer: PyTorch + Flask (Werkzeug threaded server)",
}


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def fmt(v, digits=3):
    return "n/a" if v is None else f"{v:.{digits}f}"


def median_point(loads):
    """One point from its rounds: medians of req/s and of each latency percentile, errors summed."""
    if len(loads) == 1:
        return dict(loads[0], rounds=1)
    out = dict(loads[0])
    out["throughput_rps"] = statistics.median(l["throughput_rps"] for l in loads)
    out["latency_ms"] = {k: statistics.median(l["latency_ms"][k] for l in loads) for k in loads[0]["latency_ms"]}
    out["errors"] = sum(l["errors"] for l in loads)
    out["client_cpu_share"] = statistics.median(l.get("client_cpu_share") or 0 for l in loads)
    out["rounds"] = len(loads)
    out["throughput_rps_rounds"] = [l["throughput_rps"] for l in loads]
    return out


def goals_for(model, points, concurrency):
    """The goal figures of `model` for each dpeval configuration measured beside the peer."""
    peer = points.get("flask_peer", {})
    c_high, c_low = max(concurrency), min(concurrency)
    out = {}
    for server in DPEVAL_SERVERS:
        ours = points.get(server)
        if ours is None:
            continue
        g = {"concurrency_high": c_high}
        hi, peer_hi = ours.get(c_high), peer.get(c_high)
        if hi and peer_hi and peer_hi["throughput_rps"] > 0:
            g["throughput_ratio_vs_peer"] = round(hi["throughput_rps"] / peer_hi["throughput_rps"], 2)
            g["p99_ms"] = hi["latency_ms"]["p99"]
            g["peer_p99_ms"] = peer_hi["latency_ms"]["p99"]
            g["p99_lower_than_peer"] = g["p99_ms"] < g["peer_p99_ms"]
            g["met_throughput_and_p99"] = (g["throughput_ratio_vs_peer"] >= THROUGHPUT_RATIO_GOAL and
                                           g["p99_lower_than_peer"] and hi["errors"] == 0)
            ours_r, peer_r = hi.get("throughput_rps_rounds"), peer_hi.get("throughput_rps_rounds")
            if ours_r and peer_r and len(ours_r) == len(peer_r):
                g["throughput_ratio_per_round"] = [round(o / p, 2) for o, p in zip(ours_r, peer_r)]
        lo = ours.get(c_low)
        if model == "mlp" and c_low == 1 and lo:
            g["p50_c1_ms"] = lo["latency_ms"]["p50"]
            g["met_p50_c1"] = g["p50_c1_ms"] <= MLP_P50_C1_GOAL_MS and lo["errors"] == 0
        out[server] = g
    return out


def markdown(summary):
    lines = []
    run = summary["run"]
    rounds = run.get("rounds", 1)
    lines.append(f"bench/serve: {run['duration_s']:g} s a point after {run['warmup_s']:g} s of warm-up"
                 f"{f', medians of {rounds} rounds (servers taking turns)' if rounds > 1 else ''}, "
                 f"{run['cores']} cores shared by client and server, one instance (784 features) a request; "
                 f"load average {' '.join(run['loadavg_start'])} at the start, {' '.join(run['loadavg_end'])} "
                 "at the end")
    for model, m in summary["models"].items():
        lines += ["", f"### {model}", "",
                  "| server | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | client CPU |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for server, by_c in m["points"].items():
            for c in sorted(by_c):
                p = by_c[c]
                lat = p["latency_ms"]
                lines.append(f"| {SERVER_TITLES.get(server, server)} | {c} | {p['throughput_rps']:.0f} | "
                             f"{fmt(lat['p50'])} | {fmt(lat['p95'])} | {fmt(lat['p99'])} | {p['errors']} | "
                             f"{fmt(p.get('client_cpu_share'), 2)} |")
    c_max = max(run["concurrency"])
    lines += ["", "### Goals (issue 18, Speed), ratios from this run", "",
              f"| model | dpeval | req/s at c={c_max} ÷ peer's (goal ≥ {THROUGHPUT_RATIO_GOAL:g}×) | "
              f"p99 at c={c_max}, dpeval / peer ms (goal: lower) | p50 at c=1 ms (MLP goal ≤ {MLP_P50_C1_GOAL_MS}) "
              "| met |",
              "|---|---|---:|---:|---:|---|"]
    if not any(m["goals"] for m in summary["models"].values()):
        lines.append("| (no dpeval server measured) | | | | | |")
    for model, m in summary["models"].items():
        for server, g in m["goals"].items():
            ratio = g.get("throughput_ratio_vs_peer")
            p99 = (f"{fmt(g['p99_ms'])} / {fmt(g['peer_p99_ms'])}" if "p99_ms" in g else "n/a")
            p50 = fmt(g.get("p50_c1_ms")) if model == "mlp" else "—"
            verdict = "; ".join(f"{label}: {'yes' if g[k] else 'NO'}" for k, label in VERDICTS.items() if k in g)
            rounds = g.get("throughput_ratio_per_round")
            if ratio is not None and rounds:
                ratio_text = f"{ratio:.1f}× (rounds: {', '.join(f'{r:.1f}' for r in rounds)})"
            else:
                ratio_text = f"{ratio:.1f}×" if ratio is not None else "n/a"
            lines.append(f"| {model} | {server} | {ratio_text} | "
                         f"{p99} | {p50} | {verdict or 'n/a (no peer point)'} |")
    if summary["errors"]:
        lines += ["", "**Points with errors** (not counted in req/s or latencies): " +
                  ", ".join(f"{e['model']} {e['server']} c={e['concurrency']}: {e['errors']}" for e in summary["errors"])]
    return "\n".join(lines)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    run_dir, json_out = sys.argv[1:3]
    with open(os.path.join(run_dir, "run.json")) as f:
        run = json.load(f)
    run["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    servers = read_jsonl(os.path.join(run_dir, "servers.jsonl"))
    points = read_jsonl(os.path.join(run_dir, "points.jsonl"))
    concurrency = run["concurrency"]
    models = {}
    for s in servers:
        m = models.setdefault(s["model"], {"servers": {}, "points": {}})
        m["servers"][s["server"]] = {k: v for k, v in s.items() if k not in ("model", "server")}
    errors = []
    for p in points:
        m = models.setdefault(p["model"], {"servers": {}, "points": {}})
        m["points"].setdefault(p["server"], {}).setdefault(p["concurrency"], []).append(p["load"])
        if p["load"]["errors"]:
            errors.append({"model": p["model"], "server": p["server"], "concurrency": p["concurrency"],
                           "errors": p["load"]["errors"]})
    for model, m in models.items():
        m["points"] = {server: {c: median_point(loads) for c, loads in by_c.items()}
                       for server, by_c in m["points"].items()}
        m["goals"] = goals_for(model, m["points"], concurrency)
    summary = {"bench": "serve", "run": run, "models": models, "errors": errors,
               "goals": {"throughput_ratio_at_c_max": THROUGHPUT_RATIO_GOAL, "mlp_p50_c1_ms": MLP_P50_C1_GOAL_MS}}
    tmp = json_out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    os.replace(tmp, json_out)
    print(markdown(summary))


if __name__ == "__main__":
    main()
