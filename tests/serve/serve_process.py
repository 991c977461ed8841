"""Helpers the serve tests share (tests/serve/serve_test.py, tests/serve/pipeline_test.py): a `dpeval serve`
process on a free loopback port, and Fashion-MNIST test rows as the float32 values dpeval feeds the model."""
import gzip
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ServeProcess:
    """`BINARY serve --port P ARGS...`, started and waited for (/healthz 200 within 30 s); stderr in WORK."""

    def __init__(self, binary, work, args, env=None):
        self.port = free_port()
        self.err = open(os.path.join(work, f"serve-{self.port}.err"), "w")
        self.proc = subprocess.Popen([binary, "serve", "--port", str(self.port), *args], stdout=subprocess.DEVNULL,
                                     stderr=self.err, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("serve exited at start: " + open(self.err.name).read()[-500:])
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError("serve did not answer /healthz within 30 s")

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
            h = {"Content-Type": "application/json"} if data is not None else {}
            h.update(headers or {})
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig`; returns the exit code, or None when it had to be killed after 30 s."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None


def load_test_images(fmnist_dir, n):
    """The first n Fashion-MNIST test images as dpeval feeds them (u8 * float32(1/255)), and their labels."""
    raw = gzip.open(os.path.join(fmnist_dir, "t10k-images-idx3-ubyte.gz")).read()[16:16 + n * 784]
    labels = list(gzip.open(os.path.join(fmnist_dir, "t10k-labels-idx1-ubyte.gz")).read()[8:8 + n])
    scale = struct.unpack("f", struct.pack("f", 1 / 255))[0]
    table = [struct.unpack("f", struct.pack("f", v * scale))[0] for v in range(256)]
    return [[table[b] for b in raw[i * 784:(i + 1) * 784]] for i in range(n)], labels
