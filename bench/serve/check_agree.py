#!/usr/bin/python3
"""check_agree.py: does the server on 127.0.0.1:PORT answer what PyTorch computes for the same weights?

Sends the first --count bodies of --bodies one request each, then all of them in one request
({"instances": [...]}), each under an id of its own (the id marker of make_bodies.py replaced by
"single" or "batch": the server stores a prediction once an id), and compares every prediction
with softmax(z / T), z = model(x) of the peer's model holding --weights (peer_model.py), computed
here in-process:
  - the id comes back, 10 probabilities, summing to 1 within --tol;
  - every probability within --tol (absolute) of PyTorch's;
  - the label is PyTorch's argmax, unless PyTorch's two best are within --tol (a tie in float32).
T is the temperature the server applies: read off its first answer (the log-ratio of its most and
least probable classes against z's), 1 when within 1e-5 of it, and then held to for every answer.
`dpeval serve` may serve recalibrated probabilities (softmax(z / T), src/dpeval/serve/batcher.h);
the peer serves softmax(z). Same model either way, and the cost is the same.
Prints one JSON line (what was checked, T, the largest difference) and exits 0, or names the first
disagreement and exits 1. bench/serve/run.sh runs it on every server before timing it, so that the
bench never times a server that computes something else. Exit 77 when the peer script is missing.

Usage: check_agree.py --port P --bodies FILE --weights F.safetensors --kind mlp|cnn [--count 64] [--tol 1e-5]
"""
import argparse
import http.client
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from benchlib import PEERS  # noqa: E402

ID_MARKER = "@" * 24  # make_bodies.py, load_client.cc kIdMarker


def post(conn, body):
    conn.request("POST", "/v1/predict", body=body, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError(f"status {r.status}: {data[:300]!r}")
    return json.loads(data)["predictions"]


def served_temperature(probs, z):
    """The T with probs = softmax(z / T), from the most and the least probable class; 1.0 when that
    cannot be told (a zero or tied probability) or T is within 1e-5 of 1."""
    hi = max(range(len(probs)), key=lambda k: probs[k])
    lo = min(range(len(probs)), key=lambda k: probs[k])
    if not probs[lo] > 0 or probs[hi] == probs[lo] or z[hi] == z[lo]:
        return 1.0
    t = (z[hi] - z[lo]) / (math.log(probs[hi]) - math.log(probs[lo]))
    return 1.0 if abs(t - 1.0) <= 1e-5 else t


def softmax(z, t):
    m = max(z)
    e = [math.exp((v - m) / t) for v in z]
    return [v / sum(e) for v in e]


def compare(what, got, inst, want, tol):
    """Returns the largest absolute probability difference; raises on a disagreement."""
    if got.get("id") != inst["id"]:
        raise RuntimeError(f"{what}: id {got.get('id')!r}, sent {inst['id']!r}")
    probs = got.get("probabilities")
    if not isinstance(probs, list) or len(probs) != 10:
        raise RuntimeError(f"{what}: expected 10 probabilities, got {probs!r}")
    if abs(sum(probs) - 1.0) > tol:
        raise RuntimeError(f"{what}: probabilities sum to {sum(probs)!r}")
    diff = max(abs(a - b) for a, b in zip(probs, want))
    if diff > tol:
        raise RuntimeError(f"{what}: probabilities differ from PyTorch's by {diff:.3g} (> {tol:g}): "
                           f"{probs} vs {want}")
    best = sorted(range(10), key=lambda k: -want[k])
    if got.get("label") != best[0] and not (got.get("label") == best[1] and want[best[0]] - want[best[1]] <= tol):
        raise RuntimeError(f"{what}: label {got.get('label')!r}, PyTorch's argmax {best[0]}")
    return diff


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bodies", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--kind", required=True, choices=["mlp", "cnn"])
    ap.add_argument("--count", type=int, default=64)
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--peer", default=os.path.join(PEERS, "fmnist_ddp.py"))
    a = ap.parse_args()
    if not os.path.exists(a.peer):
        print(f"check_agree: {a.peer} not found", file=sys.stderr)
        sys.exit(77)
    import torch
    from peer_model import load_model

    instances = []
    with open(a.bodies) as f:
        for line in f:
            if line.strip():
                instances.append(json.loads(line))
            if len(instances) == a.count:
                break
    model = load_model(a.weights, a.kind, a.peer)
    with torch.no_grad():
        x = torch.tensor([inst["features"] for inst in instances], dtype=torch.float32).view(-1, 1, 28, 28)
        logits = model(x).double().tolist()

    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
    worst = 0.0
    t = None
    try:
        for i, inst in enumerate(instances):
            inst = dict(inst, id=inst["id"].replace(ID_MARKER, "single"))
            got = post(conn, json.dumps(inst, separators=(",", ":")))
            if len(got) != 1:
                raise RuntimeError(f"request {i}: {len(got)} predictions for one instance")
            if t is None:
                t = served_temperature(got[0].get("probabilities") or [1.0], logits[0])
                want = [softmax(z, t) for z in logits]
            worst = max(worst, compare(f"request {i} ({inst['id']})", got[0], inst, want[i], a.tol))
        batch = [dict(inst, id=inst["id"].replace(ID_MARKER, "batch")) for inst in instances]
        got = post(conn, json.dumps({"instances": batch}, separators=(",", ":")))
        if len(got) != len(batch):
            raise RuntimeError(f"batch of {len(batch)}: {len(got)} predictions")
        for i, inst in enumerate(batch):
            worst = max(worst, compare(f"batch item {i} ({inst['id']})", got[i], inst, want[i], a.tol))
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        print(f"check_agree: 127.0.0.1:{a.port} ({a.kind}): {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"port": a.port, "kind": a.kind, "instances": len(instances), "tol": a.tol,
                      "served_temperature": t, "max_abs_diff_vs_torch": worst}))


if __name__ == "__main__":
    main()
