#!/usr/bin/env python3
"""The pipeline of docs/MLOPS.md end to end on Fashion-MNIST, with a shifted
'production' stream: train -> audit -> eval -> profile -> serve -> monitor ->
retrain -> compare -> promote. Loopback only; every subprocess has a timeout
and every client a bounded number of requests. Standard library only.

  1. train the champion (mlp, 1 epoch); audit the data: a passing and a
     failing gate give exit 4 with the gates in the JSON; predict the test
     split and eval it (accuracy equals the CSV's argmax accuracy; a gate that
     holds exits 4).
  2. profile the training data with --checkpoint; serve it with --profile,
     --store and --window 500.
  3. A clean stream (test rows 0-1999, true labels as feedback): four
     labelled and four prediction windows, no alarm, no input drift;
     `dpeval monitor --fail-if "retrain_recommended == 1"` exits 0.
  4. A shifted stream (test rows 2000-3999 darkened x 0.3, true labels): the
     decay alarm in the first darkened window, input drift (both intensity
     columns) and prediction drift in every darkened window, estimated
     accuracy down, /metrics says retrain; `dpeval monitor` on the live store
     replays the same windows and its gate exits 4. SIGTERM exits 0.
  5. Retrain a challenger (3 epochs), predict the same test rows, `dpeval
     compare` promotes it (exit 0); the other way round keeps the champion
     (exit 4).
  6. The champion's store refuses the challenger (exit 3); the challenger
     with a new store answers as `dpeval predict` does, its reference
     accuracy its own.

Usage: pipeline_test.py DPEVAL_BINARY FASHION_MNIST_DIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN, FMNIST = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, DPEVAL_FMNIST_DIR=FMNIST)
WINDOW = 500
failures = []
live = []  # servers to stop if the test ends early


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def dpeval(*args, timeout=300):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=ENV)


def why(r):
    """A failed command's exit code and the end of its stderr; empty on success."""
    return "" if r.returncode == 0 else f" (exit {r.returncode}: {r.stderr.strip()[-200:]})"


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_process import ServeProcess, load_test_images  # noqa: E402


class Server(ServeProcess):
    """A `dpeval serve` with ARGS, stopped at the end if the test ends early."""

    def __init__(self, work, *args):
        super().__init__(BIN, work, list(args), env=ENV)
        live.append(self)

    def monitor(self):
        code, body = self.get("/v1/monitor")
        assert code == 200, (code, body[:300])
        return json.loads(body)

    def stop(self, sig=signal.SIGTERM):
        live.remove(self)
        return super().stop(sig)


def read_predictions(path):
    """A dpeval predict CSV: (labels, rows of probabilities)."""
    lines = open(path).read().splitlines()
    k = sum(1 for h in lines[0].split(",") if h.startswith("prob_"))
    cells = [line.split(",") for line in lines[1:]]
    return [int(c[0]) for c in cells], [[float(v) for v in c[1:1 + k]] for c in cells]


def argmax(p):
    return max(range(len(p)), key=p.__getitem__)


def stream(srv, rows, labels, first, count, transform, tag):
    """Predicts rows first..first+count in requests of 250 and sends their true labels as feedback."""
    for start in range(first, first + count, 250):
        chunk = range(start, start + 250)
        code, body = srv.post("/v1/predict", {"instances": [{"id": f"{tag}{i}", "features": transform(rows[i])}
                                                            for i in chunk]})
        assert code == 200, (code, body[:300])
        code, body = srv.post("/v1/feedback", {"feedback": [{"id": f"{tag}{i}", "label": labels[i]} for i in chunk]})
        assert code == 200 and json.loads(body) == {"accepted": 250}, (code, body[:300])


def pipeline(work):
    started = time.time()
    champion = os.path.join(work, "champion", "checkpoint.dpck")
    challenger = os.path.join(work, "challenger", "checkpoint.dpck")

    # 1. Train, audit, eval.
    r = dpeval("train", "--model", "mlp", "--data", "fashion-mnist", "--epochs", "1", "--audit", "off", "--out",
               os.path.dirname(champion))
    if not check(r.returncode == 0 and os.path.exists(champion), f"train the champion: exit 0{why(r)}"):
        return
    audit_json = os.path.join(work, "audit.json")
    r = dpeval("audit", "--train", "fashion-mnist", "--json-out", audit_json, "--fail-if", "leakage.exact.count > 0",
               "--fail-if", "leakage.near_duplicates.count > 0")
    gates = json.load(open(audit_json)).get("gates", []) if os.path.exists(audit_json) else []
    check(r.returncode == 4 and [g["passed"] for g in gates] == [True, False] and gates[1]["value"] > 0,
          f"audit: no exact train/test duplicate (gate passes), {gates[1]['value'] if len(gates) > 1 else '?'} "
          f"near-duplicate test images (gate fails): exit 4 ({r.returncode})")
    champion_csv = os.path.join(work, "champion.csv")
    r = dpeval("predict", "--checkpoint", champion, "--out", champion_csv)
    check(r.returncode == 0, f"predict the champion on the test split: exit 0{why(r)}")
    labels_csv, probs_champion = read_predictions(champion_csv)
    accuracy_csv = sum(argmax(p) == y for p, y in zip(probs_champion, labels_csv)) / len(labels_csv)
    eval_json = os.path.join(work, "eval.json")
    r = dpeval("eval", "--predictions", champion_csv, "--task", "multiclass", "--json-out", eval_json,
               "--fail-if", "accuracy < 0.75")
    accuracy_eval = json.load(open(eval_json))["metrics"]["accuracy"] if r.returncode == 0 else None
    check(r.returncode == 0 and len(labels_csv) == 10000 and accuracy_eval == accuracy_csv,
          f"eval: accuracy {accuracy_eval} = the CSV's argmax accuracy {accuracy_csv}; 'accuracy < 0.75' passes: "
          f"exit 0 ({r.returncode})")
    r = dpeval("eval", "--predictions", champion_csv, "--task", "multiclass", "--fail-if", "accuracy < 0.99")
    check(r.returncode == 4, f"eval: 'accuracy < 0.99' holds: exit 4 ({r.returncode})")

    # 2. Profile, serve.
    profile = os.path.join(work, "champion.profile.json")
    r = dpeval("profile", "--data", "fashion-mnist", "--checkpoint", champion, "--out", profile)
    doc = json.load(open(profile)) if r.returncode == 0 else {}
    names = [c["name"] for c in doc.get("columns", [])]
    check(r.returncode == 0 and "mean_intensity" in names and "prob_9" in names and
          0.5 < doc.get("model", {}).get("accuracy", 0) < 1,
          f"profile --checkpoint: intensity and prob_k columns, the model's accuracy "
          f"{doc.get('model', {}).get('accuracy')}{why(r)}")
    store = os.path.join(work, "serving", "champion")
    srv = Server(work, "--checkpoint", champion, "--profile", profile, "--store", store, "--window", str(WINDOW))
    rows, labels = load_test_images(FMNIST, 4000)

    # 3. The clean stream.
    stream(srv, rows, labels, 0, 2000, lambda r: r, "clean")
    mon = srv.monitor()
    lw, uw = mon["labelled"], mon["unlabelled"]
    check(len(lw) == 4 and len(uw) == 4 and mon["alarms"] == [] and mon["retrain_recommended"] is False,
          f"clean stream: 4 labelled and 4 prediction windows, no alarm (accuracy "
          f"{[w['accuracy'] for w in lw]}, reference {mon['reference']['accuracy']:.4f})")
    check(all(w["drift_share"] == 0 and w["prediction_drift_share"] < 0.5 for w in uw),
          f"clean stream: no input drift, prediction drift below half "
          f"{[(w['drift_share'], w['prediction_drift_share']) for w in uw]}")
    r = dpeval("monitor", "--store", store, "--fail-if", "retrain_recommended == 1", timeout=60)
    check(r.returncode == 0, f"dpeval monitor --fail-if 'retrain_recommended == 1' after the clean stream: exit 0 "
          f"({r.returncode})")

    # 4. The shifted stream: the same kind of rows, darkened.
    stream(srv, rows, labels, 2000, 2000, lambda r: [v * 0.3 for v in r], "dark")
    mon = srv.monitor()
    lw, uw = mon["labelled"], mon["unlabelled"]
    decay = [a["window"] for a in mon["alarms"] if a["kind"] == "decay"]
    drift = [a["window"] for a in mon["alarms"] if a["kind"] == "drift"]
    check(len(lw) == 8 and decay and decay[0] == 4 and all(w < 8 for w in decay) and
          lw[4]["decay_rows_needed"] is not None and lw[4]["decay_rows_needed"] <= WINDOW,
          f"darkened stream: the decay alarm in window 4, the first darkened one (accuracy {lw[4]['accuracy']}, "
          f"p {lw[4]['decay_p_value']:.2g}, significant after {lw[4]['decay_rows_needed']} rows); decay in {decay}")
    check(drift == [4, 5, 6, 7] and all(w["drift_share"] == 1 and w["prediction_drift_share"] >= 0.5 for w in uw[4:]),
          f"darkened stream: input drift (both intensity columns) and prediction drift in every darkened window "
          f"{[(w['drift_share'], w['prediction_drift_share']) for w in uw[4:]]}")
    check(max(w["estimated_accuracy"] for w in uw[4:]) < min(w["estimated_accuracy"] for w in uw[:4]) - 0.1,
          f"estimated accuracy (no labels) falls with the shift: {uw[3]['estimated_accuracy']:.3f} -> "
          f"{uw[4]['estimated_accuracy']:.3f}")
    check(mon["retrain_recommended"] is True and sorted(mon["retrain_reasons"]) == ["decay", "drift"],
          f"retrain recommended, for {mon['retrain_reasons']}")
    code, metrics = srv.get("/metrics")
    text = metrics.decode()
    check(code == 200 and "\ndpeval_retrain_recommended 1\n" in text and
          'dpeval_retrain_reason{reason="decay"} 1' in text and 'dpeval_retrain_reason{reason="drift"} 1' in text and
          'dpeval_window_feature_drift{column="mean_intensity"} 1' in text,
          "/metrics: dpeval_retrain_recommended 1, reasons decay and drift, mean_intensity drifted")
    monitor_json = os.path.join(work, "monitor.json")
    monitor_html = os.path.join(work, "monitor.html")
    r = dpeval("monitor", "--store", store, "--json-out", monitor_json, "--html", monitor_html, "--fail-if",
               "retrain_recommended == 1", timeout=60)
    offline = json.load(open(monitor_json)) if os.path.exists(monitor_json) else {}
    check(r.returncode == 4 and [g["passed"] for g in offline.get("gates", [])] == [False],
          f"dpeval monitor --fail-if 'retrain_recommended == 1' on the live store: exit 4 ({r.returncode})")
    check(offline.get("labelled") == lw and offline.get("alarms") == mon["alarms"] and os.path.exists(monitor_html),
          "dpeval monitor replays the store to the server's windows and alarms, and writes the HTML timeline")
    check(srv.stop() == 0, "SIGTERM: the champion's server drains and exits 0")

    # 5. Retrain, compare, promote.
    r = dpeval("train", "--model", "mlp", "--data", "fashion-mnist", "--epochs", "3", "--audit", "off", "--out",
               os.path.dirname(challenger))
    if not check(r.returncode == 0 and os.path.exists(challenger), f"train the challenger: exit 0{why(r)}"):
        return
    challenger_csv = os.path.join(work, "challenger.csv")
    r = dpeval("predict", "--checkpoint", challenger, "--out", challenger_csv)
    check(r.returncode == 0, f"predict the challenger on the same test rows: exit 0{why(r)}")
    labels_b, probs_challenger = read_predictions(challenger_csv)
    check(labels_b == labels_csv, "both prediction files hold the same rows")
    r = dpeval("compare", "--a", champion_csv, "--b", challenger_csv, "--json")
    cmp = json.loads(r.stdout) if r.stdout.strip() else {}
    check(r.returncode == 0 and cmp.get("promote") is True and cmp.get("lower_bound", -1) > 0,
          f"compare champion -> challenger: promote, exit 0 ({r.returncode}; accuracy {cmp.get('champion_value')} -> "
          f"{cmp.get('challenger_value')}, lower bound {cmp.get('lower_bound', float('nan')):+.4f})")
    r = dpeval("compare", "--a", challenger_csv, "--b", champion_csv, "--json")
    cmp = json.loads(r.stdout) if r.stdout.strip() else {}
    check(r.returncode == 4 and cmp.get("promote") is False,
          f"compare the other way round: keep the champion, exit 4 ({r.returncode})")

    # 6. Deploy the challenger: a store belongs to one model.
    r = dpeval("serve", "--checkpoint", challenger, "--store", store, "--port", "0", timeout=30)
    check(r.returncode == 3 and "another model" in r.stderr,
          f"the champion's store refuses the challenger: exit 3 ({r.returncode}: {r.stderr.strip()[-160:]})")
    summary = json.load(open(os.path.join(os.path.dirname(challenger), "summary.json")))
    srv = Server(work, "--checkpoint", challenger, "--store", os.path.join(work, "serving", "challenger"),
                 "--window", str(WINDOW))
    code, body = srv.post("/v1/predict", {"id": "first", "features": rows[0]})
    answer = json.loads(body)["predictions"][0] if code == 200 else {}
    worst = max((abs(a - b) for a, b in zip(answer.get("probabilities", []), probs_challenger[0])), default=1)
    check(code == 200 and answer["label"] == argmax(probs_challenger[0]) and worst < 1e-6,
          f"the challenger, with a new store, answers as dpeval predict does (max |dp| {worst:.1e})")
    mon = srv.monitor()
    reference = mon["reference"]["accuracy"]
    check(mon["predictions"] == 1 and abs(reference - summary["final_test_accuracy"]) < 1e-12,
          f"its store starts fresh (1 prediction), its reference accuracy its own test accuracy ({reference})")
    check(srv.stop() == 0, "SIGTERM: the challenger's server exits 0")
    print(f"pipeline ran in {time.time() - started:.1f} s", flush=True)


def main():
    work = tempfile.mkdtemp(prefix="dpeval_pipeline_test_")
    try:
        pipeline(work)
    except Exception as e:  # a broken step fails the test with its reason; the servers are stopped below
        check(False, f"the pipeline stopped: {type(e).__name__}: {e}")
    finally:
        for srv in list(live):
            srv.stop()
    if failures:
        print(f"{len(failures)} failed: " + "; ".join(failures) + f" (files in {work})")
        sys.exit(1)
    shutil.rmtree(work)
    print("all passed")


main()
