"""Shared by the bench/ drivers: the OpenBLAS check, one-thread environments,
and running dpeval / the PyTorch peer and reading their JSON."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "..", "shared", "peers")
DEBIAN_PY = "/usr/bin/python3"


def fail(tool, msg):
    print(f"{tool}: {msg}", file=sys.stderr)
    sys.exit(1)


def require_openblas(tool):
    out = subprocess.run(["update-alternatives", "--display", "libblas.so.3-x86_64-linux-gnu"],
                         capture_output=True, text=True).stdout
    line = next((l for l in out.splitlines() if "currently points to" in l), "")
    if "openblas" not in line:
        fail(tool, "the system BLAS is not OpenBLAS (" + (line.strip() or "no alternative set") +
             "): install libopenblas0-pthread; refusing to compare against a reference-BLAS PyTorch")


def openblas_coretype():
    """The OpenBLAS kernels dpeval asks for on this CPU (Note [OpenBLAS core type] in
    src/dpeval/kernels/kernels.h), so that the peer gets the same ones: OpenBLAS 0.3.21
    falls back to slow SSE3 kernels on CPUs newer than itself, and PyTorch links it too."""
    try:
        flags = next(l for l in open("/proc/cpuinfo") if l.startswith("flags")).split()
    except (OSError, StopIteration):
        return None
    if all(f in flags for f in ("avx512f", "avx512bw", "avx512dq", "avx512vl")):
        return "SkylakeX"
    if "avx2" in flags and "fma" in flags:
        return "Haswell"
    return None


def one_thread_env():
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    core = openblas_coretype()
    if core and "OPENBLAS_CORETYPE" not in env:
        env["OPENBLAS_CORETYPE"] = core
    return env


def run_dpeval_train(tool, binary, args):
    """dpeval train with `args` (a list) into a temporary --out; returns the summary JSON."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [binary, "train", "--data", "fashion-mnist", "--seed", "0", "--out", out, "--json"] + args
        p = subprocess.run(cmd, capture_output=True, text=True, env=one_thread_env())
        if p.returncode != 0:
            fail(tool, f"dpeval failed ({p.returncode}): {' '.join(cmd)}: {p.stderr.strip().splitlines()[-1:]}")
        return json.loads(p.stdout)


def run_peer_ddp(tool, args, time_rss=False):
    """../shared/peers/fmnist_ddp.py with `args`; returns (its JSON line, peak RSS MiB or None)."""
    cmd = [DEBIAN_PY, os.path.join(PEERS, "fmnist_ddp.py")] + args
    if time_rss:
        cmd = ["/usr/bin/time", "-f", "MAXRSS %M"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, env=one_thread_env())
    if p.returncode != 0:
        fail(tool, f"peer failed ({p.returncode}): {p.stderr.strip().splitlines()[-3:]}")
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    rss = [l for l in p.stderr.splitlines() if l.startswith("MAXRSS")]
    return json.loads(line), (int(rss[-1].split()[1]) / 1024 if rss else None)
