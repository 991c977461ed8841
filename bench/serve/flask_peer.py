#!/usr/bin/python3
"""The peer of `dpeval serve` (bench/serve/run.sh): the same weights in PyTorch behind Flask.

Loads WEIGHTS (safetensors written by `dpeval export`) into the MLP or CNN of
../shared/peers/fmnist_ddp.py (peer_model.py), in eval mode, and serves on
127.0.0.1:PORT with Werkzeug's threaded server (what `flask run` uses: one thread per
connection, HTTP/1.1 keep-alive). Debian has no production WSGI server installed here
(python3-waitress and python3-gunicorn are not), so this is the server a Flask user has.

  GET  /healthz      200 "ok"
  POST /v1/predict   {"instances": [{"id": "r1", "features": [784 floats in [0, 1]]}, ...]}
                     or one instance {"id": "r1", "features": [...]}
                     -> 200 {"predictions": [{"id": "r1", "label": 3, "probabilities": [10 floats]}]}
                     400 {"error": "..."} on a body that is not that.

Each request runs the model on its own instances under torch.no_grad() (no batching across
requests, as a plain Flask app does). torch.set_num_threads(--threads) and OMP / OpenBLAS /
MKL threads likewise, set before torch loads (default 1); the access log is off, as it
would be in production (Werkzeug logs every request to stderr otherwise).

Exit 77 when the peer script is missing (the bench says so and skips), 2 on bad arguments.

Usage: flask_peer.py --weights F.safetensors --kind mlp|cnn --port P [--threads 1] [--peer fmnist_ddp.py]
"""
import argparse
import logging
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from benchlib import PEERS, openblas_coretype  # noqa: E402

FEATURES = 784


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help="safetensors written by dpeval export")
    ap.add_argument("--kind", required=True, choices=["mlp", "cnn"])
    ap.add_argument("--port", required=True, type=int)
    ap.add_argument("--threads", type=int, default=1, help="torch, OpenMP and OpenBLAS threads (default 1)")
    ap.add_argument("--peer", default=os.path.join(PEERS, "fmnist_ddp.py"), help="the script defining MLP and CNN")
    return ap.parse_args()


ARGS = parse_args()
if not os.path.exists(ARGS.peer):
    print(f"flask_peer: {ARGS.peer} not found: the peer models live in ../shared/peers/fmnist_ddp.py",
          file=sys.stderr)
    sys.exit(77)
# Before torch loads: Debian's OpenBLAS (pthread build) ignores torch.set_num_threads.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
if openblas_coretype() and "OPENBLAS_CORETYPE" not in os.environ:
    os.environ["OPENBLAS_CORETYPE"] = openblas_coretype()

import flask  # noqa: E402
import torch  # noqa: E402
import werkzeug  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from peer_model import load_model  # noqa: E402


def bad_request(msg):
    return flask.jsonify(error=msg), 400


def make_app(model):
    app = flask.Flask("flask_peer")

    @app.get("/healthz")
    def healthz():
        return "ok\n"

    @app.post("/v1/predict")
    def predict():
        doc = flask.request.get_json(force=True, silent=True)
        if not isinstance(doc, dict):
            return bad_request("expected a JSON object")
        instances = doc["instances"] if "instances" in doc else [doc]
        if not isinstance(instances, list) or not instances:
            return bad_request("instances: expected a non-empty list")
        rows = []
        for k, inst in enumerate(instances):
            features = inst.get("features") if isinstance(inst, dict) else None
            if not isinstance(features, list) or len(features) != FEATURES:
                return bad_request(f"instance {k}: features: expected {FEATURES} numbers")
            rows.append(features)
        try:
            x = torch.tensor(rows, dtype=torch.float32).view(-1, 1, 28, 28)
        except (TypeError, ValueError) as e:
            return bad_request(f"features: {e}")
        with torch.no_grad():
            p = torch.softmax(model(x), dim=1)
        labels = p.argmax(dim=1).tolist()
        return flask.jsonify(predictions=[
            {"id": inst.get("id"), "label": label, "probabilities": probs}
            for inst, label, probs in zip(instances, labels, p.tolist())])

    return app


def main():
    torch.set_num_threads(ARGS.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    model = load_model(ARGS.weights, ARGS.kind, ARGS.peer)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log
    server = make_server("127.0.0.1", ARGS.port, make_app(model), threaded=True)
    print(f"flask_peer: {ARGS.kind} on http://127.0.0.1:{ARGS.port} (Flask {flask.__version__}, Werkzeug "
          f"{werkzeug.__version__} threaded server, torch {torch.__version__}, {torch.get_num_threads()} thread(s))",
          file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
