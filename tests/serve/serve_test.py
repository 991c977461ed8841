#!/usr/bin/env python3
"""`dpeval serve` and `dpeval monitor` end to end, over loopback only, every
client bounded in requests and time. On a 1-epoch MLP of Fashion-MNIST:

  1. /v1/predict equals `dpeval predict` (to its CSV's 7 digits), and a row's
     answer is the same bits alone, in a batch and under concurrent load
     (micro-batching); reused ids are allowed, feedback labels the latest.
  2. Bad requests (malformed JSON, wrong feature count, NaN, strings, 10 MB
     body, 10,000 instances, CSV errors, unknown id, duplicate feedback,
     unknown endpoint) get a 4xx JSON error naming the field; a flood of
     10,000 malformed requests leaves the server answering correctly.
  3. /metrics passes `promtool check metrics` (Debian's prometheus).
  4. The clean test stream raises no alarm in 20 windows; the same rows
     darkened raise the decay alarm in the first darkened window (with the rows
     it needed), POSTed to an --on-alarm listener; labels that copy the
     predictions raise the feedback-loop alarm; `dpeval monitor` replays the
     store to the same windows and its --fail-if gate exits 4.
  5. kill -9 after acknowledged feedback: the restart loses none of it.
  6. --token-file: 401 without or with a wrong token, /healthz open;
     --max-connections: one connection too many gets 429; SIGTERM drains and
     exits 0; POST /v1/recalibrate swaps a temperature in.

Usage: serve_test.py DPEVAL_BINARY FASHION_MNIST_DIR
"""
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN, FMNIST = sys.argv[1], sys.argv[2]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_process import ServeProcess, load_test_images  # noqa: E402


class Server(ServeProcess):
    """A `dpeval serve` of CKPT with STORE on a free loopback port."""

    def __init__(self, work, ckpt, store, *extra):
        super().__init__(BIN, work, ["--checkpoint", ckpt, "--store", store, *extra])


def predict(srv, rows, ids):
    code, body = srv.post("/v1/predict", {"instances": [{"id": i, "features": r} for i, r in zip(ids, rows)]})
    assert code == 200, (code, body[:300])
    return json.loads(body)["predictions"]


def main():
    work = tempfile.mkdtemp(prefix="dpeval_serve_test_")
    run = os.path.join(work, "run")
    t = subprocess.run([BIN, "train", "--model", "mlp", "--data", "fashion-mnist", "--epochs", "1", "--out", run],
                       capture_output=True, text=True, timeout=600)
    check(t.returncode == 0, f"train exits 0 ({t.stderr[-200:]})")
    ckpt = os.path.join(run, "checkpoint.dpck")
    preds_csv = os.path.join(work, "preds.csv")
    p = subprocess.run([BIN, "predict", "--checkpoint", ckpt, "--out", preds_csv], capture_output=True, text=True)
    check(p.returncode == 0, "predict exits 0")
    expected = [list(map(float, line.split(",")[1:11])) for line in open(preds_csv).read().splitlines()[1:]]
    rows, labels = load_test_images(FMNIST, 10000)

    # 1. Answers.
    store = os.path.join(work, "store")
    srv = Server(work, ckpt, store, "--window", "500")
    got = predict(srv, rows[:100], [f"a{i}" for i in range(100)])
    worst = max(abs(a - b) for g, e in zip(got, expected) for a, b in zip(g["probabilities"], e))
    check(worst < 1e-6, f"/v1/predict equals dpeval predict's CSV to its 7 digits (max |dp| {worst:.1e})")
    alone = [json.loads(srv.post("/v1/predict", {"id": f"b{i}", "features": rows[i]})[1])["predictions"][0]
             for i in range(8)]
    check(all(alone[i]["probabilities"] == got[i]["probabilities"] for i in range(8)),
          "a row alone and in a batch of 100: the same bits")
    concurrent = [None] * 64

    def one(i):
        concurrent[i] = json.loads(srv.post("/v1/predict", {"id": f"c{i}", "features": rows[i]})[1])["predictions"][0]
    threads = [threading.Thread(target=one, args=(i,)) for i in range(64)]
    [th.start() for th in threads]
    [th.join() for th in threads]
    check(all(concurrent[i]["probabilities"] == got[i]["probabilities"] for i in range(64)),
          "64 concurrent clients (micro-batched): the same bits as one batch")
    csv_body = ("id," + ",".join(f"p{j}" for j in range(784)) + "\n" +
                "\n".join(f"csv{i}," + ",".join(repr(v) for v in rows[i]) for i in range(3))).encode()
    code, body = srv.post("/v1/predict", csv_body, headers={"Content-Type": "text/csv"})
    check(code == 200 and [p["probabilities"] for p in json.loads(body)["predictions"]] ==
          [g["probabilities"] for g in got[:3]], f"a CSV body gives the same answers ({code})")
    code, body = srv.post("/v1/predict", {"id": "a0", "features": rows[5]})
    check(code == 200, "a reused id is served (it now names the latest prediction)")
    code, _ = srv.post("/v1/feedback", {"id": "a0", "label": labels[5]})
    check(code == 200, "feedback for a reused id is accepted")

    # 2. Bad requests: a 4xx JSON error naming the field, and the server stays up.
    bad = [
        ("malformed JSON", b"{nope", "body", 400),
        ("wrong feature count", {"features": [0.5] * 783}, "features", 400),
        ("NaN", b'{"features": [NaN]}', "body", 400),
        ("strings", {"features": ["a"] * 784}, "features[0]", 400),
        ("null cell", {"instances": [{"features": rows[0]}, {"features": [None] * 784}]}, "instances[1].features[0]",
         400),
        ("huge number", {"features": [1e300] + rows[0][1:]}, "features[0]", 400),
        ("10 MB body", b'{"features": [' + b"0," * 5_000_000 + b"0]}", "body", 413),
        ("10,000 instances", {"instances": [{"features": [0]}] * 10000}, "instances", 413),
        ("empty body", b"", "body", 400),
        ("bad id", {"id": 7, "features": rows[0]}, "id", 400),
        ("csv ragged", (b"a,b\n1,2\n", "text/csv"), "line 1", 400),
    ]
    for name, body, field, status in bad:
        headers = None
        if isinstance(body, tuple):
            body, ctype = body
            headers = {"Content-Type": ctype}
        code, reply = srv.post("/v1/predict", body, headers=headers)
        try:
            doc = json.loads(reply)
        except ValueError:
            doc = {}
        check(code == status and doc.get("field") == field and doc.get("error"),
              f"{name}: {code} {doc.get('field')!r} ({doc.get('error', reply[:80])!s:.90})")
    fb_bad = [("unknown id", {"id": "nobody", "label": 1}, "id", 404),
              ("duplicate feedback", {"id": "a0", "label": 1}, "id", 409),
              ("label out of range", {"id": "a1", "label": 10}, "label", 400),
              ("label not a class", {"id": "a1", "label": "Sock"}, "label", 400)]
    for name, body, field, status in fb_bad:
        code, reply = srv.post("/v1/feedback", body)
        doc = json.loads(reply) if reply else {}
        check(code == status and doc.get("field") == field, f"feedback {name}: {code} {doc.get('field')!r}")
    code, reply = srv.get("/v2/nothing")
    check(code == 404 and json.loads(reply).get("error"), f"an unknown endpoint: 404 JSON ({code})")
    code, reply = srv.get("/v1/predict")
    check(code == 405 and json.loads(reply).get("field") == "method", f"GET /v1/predict: 405 JSON ({code})")
    # Not HTTP at all: a 400 JSON error naming the request, then the connection closes.
    raw = socket.create_connection(("127.0.0.1", srv.port))
    raw.settimeout(10)
    raw.sendall(b"HELLO THERE\r\n\r\n")
    answer = b""
    while True:
        chunk = raw.recv(4096)
        if not chunk:
            break
        answer += chunk
    raw.close()
    check(answer.startswith(b"HTTP/1.1 400") and b'"field":"request"' in answer,
          f"a request the parser cannot read: 400 and closed ({answer[:40]!r})")
    # curl sends Expect: 100-continue before a body over 1 KiB and holds the body back until it hears 100.
    body = json.dumps({"features": rows[0]}).encode()
    raw = socket.create_connection(("127.0.0.1", srv.port))
    raw.settimeout(10)
    raw.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    interim = raw.recv(4096)
    raw.sendall(body)
    answer = b""
    while b'"predictions"' not in answer:
        chunk = raw.recv(65536)
        if not chunk:
            break
        answer += chunk
    raw.close()
    check(interim.startswith(b"HTTP/1.1 100") and answer.startswith(b"HTTP/1.1 200"),
          f"Expect: 100-continue is answered before the body ({interim[:25]!r}, then {answer[:15]!r})")

    # The flood: 10,000 malformed requests from 8 bounded keep-alive clients.
    flood_codes = {}
    lock = threading.Lock()

    def flood(n):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        seen = {}
        for i in range(n):
            try:
                c.request("POST", "/v1/predict", body=b'{"features": [1, 2' if i % 2 else b"[]",
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                seen[r.status] = seen.get(r.status, 0) + 1
            except (OSError, http.client.HTTPException):
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
                seen["error"] = seen.get("error", 0) + 1
        c.close()
        with lock:
            for k, v in seen.items():
                flood_codes[k] = flood_codes.get(k, 0) + v
    started = time.time()
    threads = [threading.Thread(target=flood, args=(1250,)) for _ in range(8)]
    [th.start() for th in threads]
    [th.join() for th in threads]
    check(flood_codes == {400: 10000}, f"10,000 malformed requests in {time.time() - started:.1f} s: {flood_codes}")
    after = predict(srv, rows[:4], [f"after{i}" for i in range(4)])
    check([a["probabilities"] for a in after] == [g["probabilities"] for g in got[:4]],
          "after the flood: the same correct answers")

    # 3. /metrics passes promtool.
    code, metrics = srv.get("/metrics")
    pc = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True)
    check(code == 200 and pc.returncode == 0, f"/metrics passes promtool check metrics ({(pc.stdout + pc.stderr)[-200:]})")
    text = metrics.decode()
    for name in ["dpeval_http_requests_total", "dpeval_http_request_duration_seconds_bucket", "dpeval_batch_size_bucket",
                 "dpeval_http_in_flight_requests", "dpeval_predictions_total", "dpeval_feedback_total",
                 "dpeval_feedback_join_rate", "dpeval_window_accuracy", "dpeval_window_ece",
                 "dpeval_window_estimated_accuracy", "dpeval_window_drift_share", "dpeval_retrain_recommended"]:
        check(name in text, f"/metrics has {name}")
    check('dpeval_http_requests_total{endpoint="/v1/predict",code="400"}' in text,
          "/metrics counts requests by endpoint and status")
    check(srv.stop() == 0, "SIGTERM: drains and exits 0")

    # 4. Decay, alarms, the feedback loop, dpeval monitor.
    alarms = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            alarms.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass
    listener = http.server.HTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    store2 = os.path.join(work, "store2")
    srv = Server(work, ckpt, store2, "--window", "500", "--on-alarm",
                 f"http://127.0.0.1:{listener.server_address[1]}/alarm")

    def stream(first, count, transform, tag, label_of=None):
        for start in range(first, first + count, 250):
            chunk = list(range(start, start + 250))
            served = predict(srv, [transform(rows[i]) for i in chunk], [f"{tag}{i}" for i in chunk])
            fb = [{"id": f"{tag}{i}", "label": label_of(i, s) if label_of else labels[i]} for i, s in zip(chunk, served)]
            code, reply = srv.post("/v1/feedback", {"feedback": fb})
            assert code == 200, reply
    stream(0, 10000, lambda r: r, "clean")
    mon = json.loads(srv.get("/v1/monitor")[1])
    check(len(mon["labelled"]) == 20 and not mon["alarms"] and not mon["retrain_recommended"],
          f"the clean stream: 20 labelled windows, no alarm ({[a['kind'] for a in mon['alarms']]}, accuracy "
          f"{min(w['accuracy'] for w in mon['labelled']):.3f}..{max(w['accuracy'] for w in mon['labelled']):.3f}, "
          f"reference {mon['reference']['accuracy']})")
    stream(0, 1000, lambda r: [v * 0.3 for v in r], "dark")
    mon = json.loads(srv.get("/v1/monitor")[1])
    decay = [a for a in mon["alarms"] if a["kind"] == "decay"]
    w20 = mon["labelled"][20] if len(mon["labelled"]) > 20 else {}
    check(decay and decay[0]["window"] == 20 and w20.get("decay_rows_needed") and w20["decay_rows_needed"] < 500,
          f"darkened rows: the decay alarm in window 20, the first darkened one (accuracy {w20.get('accuracy')}, "
          f"significant after {w20.get('decay_rows_needed')} rows)")
    check(mon["retrain_recommended"] and "decay" in mon["retrain_reasons"], "retrain recommended, for decay")
    check(mon["unlabelled"][-1]["estimated_accuracy"] != mon["unlabelled"][0]["estimated_accuracy"],
          "estimated accuracy moves with the darkened rows")
    deadline = time.time() + 10
    while time.time() < deadline and not any(a.get("kind") == "decay" for a in alarms):
        time.sleep(0.05)
    check(any(a.get("kind") == "decay" and a.get("window") == 20 for a in alarms),
          f"--on-alarm: the loopback listener got the decay alarm ({[a.get('kind') for a in alarms]})")
    # Labels of two classes swapped (T-shirt/top 0 and Shirt 6): the same images, the truth moved.
    swap = {0: 6, 6: 0}
    stream(2500, 1000, lambda r: r, "flip", label_of=lambda i, s: swap.get(labels[i], labels[i]))
    mon = json.loads(srv.get("/v1/monitor")[1])
    flipped = [w for w in mon["labelled"][22:24]]
    check(len(flipped) == 2 and all(w["decay"] for w in flipped),
          f"labels of two classes swapped: the decay alarm in windows 22 and 23, the first swapped ones "
          f"(accuracy {[round(w['accuracy'], 3) for w in flipped]})")
    stream(1000, 500, lambda r: r, "copy", label_of=lambda i, s: s["label"])
    mon = json.loads(srv.get("/v1/monitor")[1])
    loops = [a for a in mon["alarms"] if a["kind"] == "feedback_loop"]
    check(len(loops) == 1 and loops[0]["window"] == 24,
          f"labels copied from the predictions: the feedback-loop alarm in window 24 ({[a['window'] for a in loops]})")
    code, reply = srv.post("/v1/recalibrate", b"{}")
    check(code == 409 and json.loads(reply)["field"] == "window",
          f"POST /v1/recalibrate on model-generated labels: 409 ({reply[:120]})")
    stream(1500, 500, lambda r: r, "late")
    code, reply = srv.post("/v1/recalibrate", b"{}")
    doc = json.loads(reply)
    check(code == 200 and 0.2 < doc.get("temperature", 1) < 5 and doc["temperature"] != 1,
          f"POST /v1/recalibrate on honest labels: a temperature ({doc})")
    after = predict(srv, rows[:1], ["recal0"])[0]["probabilities"]
    check(after != got[0]["probabilities"] and abs(sum(after) - 1) < 1e-5,
          "after recalibration the served probabilities change, and still sum to 1")
    stream(2000, 500, lambda r: r, "post")
    mon = json.loads(srv.get("/v1/monitor")[1])
    w = mon["labelled"][-1]
    check(w["temperature"] == doc["temperature"] and w["ece"] is not None and w["ece_raw"] is not None,
          f"the next window reports ECE after ({w['ece']:.4f}) and before ({w['ece_raw']:.4f}) recalibration")
    live = json.loads(srv.get("/v1/monitor")[1])
    check(srv.stop() == 0, "SIGTERM after the streams: exits 0")
    m = subprocess.run([BIN, "monitor", "--store", store2, "--json", "--html", os.path.join(work, "monitor.html"),
                        "--fail-if", "retrain_recommended == 1", "--fail-if", "alarms > 0"], capture_output=True,
                       text=True)
    offline = json.loads(m.stdout) if m.stdout else {}
    gates = [g["passed"] for g in offline.get("gates", [])]
    check(m.returncode == 4 and gates == [True, False],
          f"dpeval monitor --fail-if: the last window is clean (passes), alarms were raised (fails): exit 4 "
          f"({m.returncode}, {gates})")
    check(offline.get("labelled") == live["labelled"] and offline.get("alarms") == live["alarms"],
          "dpeval monitor replays the store to the live windows and alarms")
    html = open(os.path.join(work, "monitor.html")).read() if os.path.exists(os.path.join(work, "monitor.html")) else ""
    check("Labelled windows" in html and 'class="alarm"' in html, "dpeval monitor --html: the timeline with alarms")

    # Drift per window against a profile made with the checkpoint: input and prediction drift.
    profile = os.path.join(work, "ref.profile.json")
    r = subprocess.run([BIN, "profile", "--data", "fashion-mnist", "--checkpoint", ckpt, "--out", profile],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"profile --checkpoint exits 0 ({r.stderr[-200:]})")
    srv = Server(work, ckpt, os.path.join(work, "store_drift"), "--window", "500", "--profile", profile)
    for start in range(0, 1000, 250):
        predict(srv, rows[start:start + 250], [f"pc{i}" for i in range(start, start + 250)])
    for start in range(1000, 2000, 250):
        predict(srv, [[v * 0.3 for v in rows[i]] for i in range(start, start + 250)],
                [f"pd{i}" for i in range(start, start + 250)])
    mon = json.loads(srv.get("/v1/monitor")[1])
    shares = [(w["drift_share"], w["prediction_drift_share"]) for w in mon["unlabelled"]]
    check(len(shares) == 4 and shares[0][0] == 0 and shares[1][0] == 0 and shares[2][0] == 1 and shares[3][0] == 1 and
          shares[2][1] > 0.5, f"drift per window: none in the clean windows, input and prediction drift in the "
          f"darkened ones {shares}")
    check([a["window"] for a in mon["alarms"] if a["kind"] == "drift"] == [2, 3] and
          "drift" in mon["retrain_reasons"], "the drift alarm in the darkened windows; retrain recommended for drift")
    check(abs(mon["reference"]["accuracy"] - json.load(open(profile))["model"]["accuracy"]) < 1e-12,
          "the reference accuracy comes from the profile")
    code, metrics = srv.get("/metrics")
    pc = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True)
    check(pc.returncode == 0 and b'dpeval_window_feature_drift{column="mean_intensity"} 1' in metrics,
          "per-column drift in /metrics, passing promtool")
    srv.stop()

    # 5. kill -9 loses no acknowledged feedback.
    store3 = os.path.join(work, "store3")
    srv = Server(work, ckpt, store3, "--window", "100")
    predict(srv, rows[:300], [f"k{i}" for i in range(300)])
    acked = 0
    for i in range(300):
        code, _ = srv.post("/v1/feedback", {"id": f"k{i}", "label": labels[i]})
        acked += code == 200
    srv.proc.kill()
    srv.proc.wait()
    srv = Server(work, ckpt, store3, "--window", "100")
    mon = json.loads(srv.get("/v1/monitor")[1])
    check(acked == 300 and mon["feedback"] == 300 and len(mon["labelled"]) == 3,
          f"kill -9 then restart: {mon['feedback']} of {acked} acknowledged labels, {len(mon['labelled'])} windows")
    code, _ = srv.post("/v1/feedback", {"id": "k0", "label": 1})
    check(code == 409, f"after the restart a label already given is still a duplicate ({code})")
    srv.stop()

    # SIGTERM under load: every prediction answered 200 is in the store after the drain.
    store_drain = os.path.join(work, "store_drain")
    srv = Server(work, ckpt, store_drain, "--window", "100")
    answered = []
    alock = threading.Lock()

    def drain_client(t):
        for i in range(200):
            try:
                code, _ = srv.post("/v1/predict", {"id": f"d{t}_{i}", "features": rows[i]}, timeout=10)
            except (OSError, http.client.HTTPException):
                return
            if code == 200:
                with alock:
                    answered.append(f"d{t}_{i}")
    threads = [threading.Thread(target=drain_client, args=(t,)) for t in range(8)]
    [th.start() for th in threads]
    time.sleep(0.3)
    rc = srv.stop()
    [th.join() for th in threads]
    srv = Server(work, ckpt, store_drain, "--window", "100")
    mon = json.loads(srv.get("/v1/monitor")[1])
    check(rc == 0 and len(answered) > 0 and mon["predictions"] == len(answered),
          f"SIGTERM under load: exit {rc}; {len(answered)} predictions answered 200, {mon['predictions']} in the store")
    srv.stop()

    # 6. Token, connection limit.
    token_file = os.path.join(work, "token")
    open(token_file, "w").write("s3cret-token\n")
    srv = Server(work, ckpt, os.path.join(work, "store4"), "--token-file", token_file, "--threads", "2",
                 "--max-connections", "2")
    def settled(fn):
        """fn() until it is not the 429 of --max-connections 2 (the last request's connection may still be held)."""
        deadline = time.time() + 5
        while True:
            code, reply = fn()
            if code != 429 or time.time() > deadline:
                return code, reply
            time.sleep(0.05)
    code, reply = settled(lambda: srv.post("/v1/predict", {"features": rows[0]}))
    check(code == 401 and json.loads(reply)["field"] == "Authorization", f"no token: 401 ({code})")
    code, _ = settled(lambda: srv.post("/v1/predict", {"features": rows[0]}, headers={"Authorization": "Bearer wrong"}))
    check(code == 401, f"a wrong token: 401 ({code})")
    code, _ = settled(lambda: srv.post("/v1/predict", {"features": rows[0]},
                                       headers={"Authorization": "Bearer s3cret-token"}))
    check(code == 200, f"the token: 200 ({code})")
    check(settled(lambda: srv.get("/healthz"))[0] == 200, "/healthz needs no token")
    time.sleep(0.2)
    held = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(2)]
    for s in held:  # a request line and no more: each holds a connection, reading, for the 5 s read timeout
        s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")
    deadline = time.time() + 3  # until the server has accepted both
    while True:
        time.sleep(0.1)
        code, reply = srv.get("/readyz", headers={"Authorization": "Bearer s3cret-token"}, timeout=5)
        if code == 429 or time.time() > deadline:
            break
    check(code == 429 and json.loads(reply)["field"] == "connection",
          f"a third connection with two held (--max-connections 2): 429 ({code})")
    # The rejected connection is closed after its 429 (http_server.h).
    extra = socket.create_connection(("127.0.0.1", srv.port))
    extra.settimeout(5)
    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    first = extra.recv(4096)
    tail = b""
    try:
        while True:  # the rest of the answer, then the end of the connection
            chunk = extra.recv(4096)
            if not chunk:
                break
            tail += chunk
    except OSError:
        pass
    extra.close()
    check(first.startswith(b"HTTP/1.1 429") and b"HTTP/1.1" not in tail,
          f"the rejected connection is closed after its 429 ({first[:30]!r})")
    for s in held:
        s.close()
    time.sleep(0.2)
    code, _ = settled(lambda: srv.get("/readyz", headers={"Authorization": "Bearer s3cret-token"}))
    check(code == 200, f"once they close, served again ({code})")
    srv.stop()

    # Options out of bounds and hostile paths are usage errors.
    for args in (["--port", "70000"], ["--max-batch", "0"], ["--window", "-1"], ["--threads", "5000"],
                 ["--max-delay-ms", "99999"], ["--alpha", "0"], ["--on-alarm", "ftp://x"]):
        r = subprocess.run([BIN, "serve", "--checkpoint", ckpt, "--store", os.path.join(work, "s5"), *args],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 2, f"serve {' '.join(args)}: exit 2 ({r.returncode})")
    r = subprocess.run([BIN, "serve", "--checkpoint", os.path.join(work, "preds.csv"), "--store",
                        os.path.join(work, "s6")], capture_output=True, text=True, timeout=30)
    check(r.returncode == 3, f"a checkpoint that is not one: exit 3 ({r.returncode})")
    r = subprocess.run([BIN, "monitor", "--store", os.path.join(work, "nothing-here")], capture_output=True, text=True)
    check(r.returncode == 3, f"dpeval monitor on a directory with no store: exit 3 ({r.returncode})")

    if failures:
        print(f"{len(failures)} failed: " + "; ".join(failures))
        sys.exit(1)
    subprocess.run(["rm", "-rf", work])
    print("all passed")


main()
