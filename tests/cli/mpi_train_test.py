#!/usr/bin/env python3
"""dpeval train under a real `mpirun` (ctest label `mpi`; fails, never skips, when
MPI cannot start). On a small synthetic table:

  1. mpirun -np 2 --backend mpi gives a checkpoint BITWISE equal to --workers 2
     with the threads backend (both sum in rank order), and to a second mpi run;
     it is within the equivalence tolerance of 1 worker with twice the batch
     (see Note [Equivalence tolerance] in tests/parallel/data_parallel_test.cc).
  2. A rank frozen with SIGSTOP: the other rank's collective timeout ends the job,
     non-zero, with an error naming rank 1, well before the test's own deadline.
  3. A rank killed with SIGKILL: mpirun ends the job (nothing hangs) and names rank 1.
  4. Ranks started with different options fail the fingerprint check naming the rank.

Usage: mpi_train_test.py DPEVAL_BINARY
"""
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
MPIRUN = ["mpirun", "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def write_table(path, rows):
    rng = random.Random(7)
    with open(path, "w") as f:
        f.write("a,b,c,d,label\n")
        for r in range(rows):
            label = r % 3
            f.write(",".join(f"{(2.0 if i % 3 == label else 0.0) + rng.gauss(0, 0.7):.5f}" for i in range(4)))
            f.write(f",{label}\n")


def find_rank1(p):
    """OpenMPI forks local ranks as children of mpirun, in rank order."""
    for _ in range(300):
        time.sleep(0.1)
        if p.poll() is not None:
            print("     the job ended early:", p.stderr.read()[-500:])
            return None
        kids = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()
        if len(kids) >= 2:
            return int(sorted(kids, key=int)[1])
    return None


def wait_for_training(p, out):
    """Until the job's first checkpoint exists: every rank is past start-up (MPI_Init, data, the fingerprint
    exchange) and inside the training loop, where dpeval's own timeouts apply. A fixed sleep is not enough on a
    loaded machine or under the sanitizers, where start-up takes longer."""
    for _ in range(1200):
        if os.path.exists(os.path.join(out, "checkpoint.dpck")) or p.poll() is not None:
            return
        time.sleep(0.1)


def train_args(table, out, extra=(), epochs=2):
    return [BIN, "train", "--model", "mlp", "--data", table, "--epochs", str(epochs), "--batch", "8", "--seed", "3",
            "--out", out, *extra]


def params_of(checkpoint):
    """Checkpoints hold no timings or paths, so equal runs give equal files."""
    with open(checkpoint, "rb") as f:
        return f.read()


def main():
    tmp = tempfile.mkdtemp(prefix="dpeval_mpi_test_")
    table = os.path.join(tmp, "t.csv")
    write_table(table, 600)  # 480 training rows: divisible by 2 x 8

    # 1. Equivalence and determinism.
    outs = {}
    for name, cmd in {
        "mpi_a": MPIRUN + ["-np", "2"] + train_args(table, os.path.join(tmp, "mpi_a"), ["--backend", "mpi"]),
        "mpi_b": MPIRUN + ["-np", "2"] + train_args(table, os.path.join(tmp, "mpi_b"), ["--backend", "mpi"]),
        "threads": train_args(table, os.path.join(tmp, "threads"), ["--workers", "2"]),
    }.items():
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, f"{name} run exits 0 (got {p.returncode}: {p.stderr.strip()[-300:]})")
        outs[name] = os.path.join(tmp, name, "checkpoint.dpck")
    if not failures:
        a, b, t = (params_of(outs[k]) for k in ("mpi_a", "mpi_b", "threads"))
        check(a == b, "two mpi runs with the same seed give bitwise identical checkpoints")
        check(a == t, "the mpi backend's checkpoint equals the threads backend's bitwise")

    # 2. A frozen rank: dpeval's own timeout must end the job and name rank 1.
    out = os.path.join(tmp, "frozen")
    cmd = MPIRUN + ["-np", "2"] + train_args(table, out, ["--backend", "mpi", "--comm-timeout-s", "3"], epochs=1000)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = find_rank1(p)
    wait_for_training(p, out)
    check(victim is not None, "found rank 1's process")
    if victim:
        os.kill(victim, signal.SIGSTOP)
        t0 = time.time()
        try:
            _, err = p.communicate(timeout=40)
            elapsed = time.time() - t0
            check(p.returncode != 0, f"frozen rank: job exits non-zero (got {p.returncode})")
            check("rank 1" in err, f"frozen rank: error names rank 1 ({err.strip()[-300:]})")
            print(f"     frozen rank: job ended {elapsed:.1f} s after the freeze (timeout 3 s)")
        except subprocess.TimeoutExpired:
            check(False, "frozen rank: job still running 40 s after the freeze: hang")
        finally:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.kill()

    # 3. A killed rank: mpirun ends the job.
    out = os.path.join(tmp, "killed")
    cmd = MPIRUN + ["-np", "2"] + train_args(table, out, ["--backend", "mpi"], epochs=1000)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = find_rank1(p)
    wait_for_training(p, out)
    if victim:
        os.kill(victim, signal.SIGKILL)
        try:
            _, err = p.communicate(timeout=40)
            check(p.returncode != 0, f"killed rank: job exits non-zero (got {p.returncode})")
            check("rank 1" in err, f"killed rank: mpirun's message names rank 1 ({err.strip()[-200:]})")
        except subprocess.TimeoutExpired:
            p.kill()
            check(False, "killed rank: job still running 40 s after the kill: hang")
    else:
        p.kill()
        check(False, "found rank 1's process to kill")

    # 4. Ranks that disagree (different --lr per rank) fail the fingerprint check.
    out = os.path.join(tmp, "mismatch")
    cmd = MPIRUN + ["-np", "1"] + train_args(table, out, ["--backend", "mpi"]) + [":"] + \
        ["-np", "1"] + train_args(table, out, ["--backend", "mpi", "--lr", "0.01"])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    check(p.returncode != 0, f"mismatched ranks: job exits non-zero (got {p.returncode})")
    check("rank 1" in p.stderr and "config hash" in p.stderr,
          f"mismatched ranks: the message names rank 1 and the config ({p.stderr.strip()[-300:]})")

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
