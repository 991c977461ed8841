#!/usr/bin/python3
"""metrics_scrape.py DPEVAL CHECKPOINT [--predictions N] [--scrapes S]: the cost of /metrics on a server
whose store holds N predictions (issue 18: "/metrics scrape <= 1 ms at 1M stored predictions"), and of the
restart that rebuilds the monitors from that store.

Makes the store the way the server would (starts `dpeval serve` once on an empty store so it writes its
schema and meta, stops it), adds N predictions and N/2 labels with sqlite3 in one transaction (random
10-class probabilities, ids p0..pN-1), then starts the server on it (timing the start until /healthz
answers) and times S scrapes of /metrics over one keep-alive connection: prints min/median/p99 in ms and
the bytes of one scrape. Loopback only, bounded by S. Exit 0 when measured."""
import http.client
import os
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

binary, ckpt = sys.argv[1], sys.argv[2]
n = int(sys.argv[sys.argv.index("--predictions") + 1]) if "--predictions" in sys.argv else 1_000_000
scrapes = int(sys.argv[sys.argv.index("--scrapes") + 1]) if "--scrapes" in sys.argv else 2000
work = tempfile.mkdtemp(prefix="dpeval_scrape_")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "serve"))
from serve_process import free_port  # noqa: E402  (one helper for the serve tests and this bench)
store = os.path.join(work, "store")


def start():
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "serve", "--checkpoint", ckpt, "--port", str(port), "--store", store,
                             "--window", "1000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc, port, time.perf_counter() - t0
        except OSError:
            time.sleep(0.02)
    proc.kill()
    sys.exit("serve did not start")


proc, port, _ = start()
proc.terminate()
proc.wait(30)
db = sqlite3.connect(os.path.join(store, "serve.db"))
model = db.execute("SELECT value FROM meta WHERE key = 'model_sha256'").fetchone()[0]
rng = random.Random(1)
t0 = time.perf_counter()
with db:
    rows = []
    for i in range(n):
        p = [rng.random() for _ in range(10)]
        s = sum(p)
        p = [v / s for v in p]
        blob = struct.pack("<10f", *p)
        rows.append((i + 1, f"p{i}", 1.7e9, "0", max(range(10), key=p.__getitem__), blob, blob, 1.0, model))
        if len(rows) == 100_000:
            db.executemany("INSERT INTO predictions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            rows = []
    if rows:
        db.executemany("INSERT INTO predictions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?, ?)",
                   ((j + 1, f"p{2 * j}", 2 * j + 1, rng.randrange(10), 1.7e9) for j in range(n // 2)))
db.close()
made = time.perf_counter() - t0
proc, port, restart = start()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
times = []
size = 0
for _ in range(scrapes):
    t = time.perf_counter()
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read()
    times.append((time.perf_counter() - t) * 1000)
    size = len(body)
    assert r.status == 200
times.sort()
proc.terminate()
proc.wait(60)
subprocess.run(["rm", "-rf", work])
print(f"store of {n} predictions and {n // 2} labels made in {made:.1f} s; restart (monitors rebuilt) "
      f"{restart:.2f} s; /metrics over {scrapes} scrapes: min {times[0]:.3f} ms, median "
      f"{times[len(times) // 2]:.3f} ms, p99 {times[int(len(times) * 0.99)]:.3f} ms ({size} bytes, client included)")
