#!/usr/bin/python3
"""dpeval robust end to end: robust_test.py DPEVAL FMNIST_DIR.

One MLP trained for an epoch on Fashion-MNIST, then:
- FGSM at three budgets equals PyTorch's FGSM on the same weights (exported as safetensors, loaded into the same
  architecture written here) within 0.2 pp, and robust accuracy falls as eps grows;
- PGD is at least as strong as FGSM at every eps, more restarts never raise it, and the same seed gives the same
  numbers with one thread or two;
- every reported move is within its eps; per-class rows add up;
- bad options and data outside [0, 1] are refused with exit 2 / 3.
"""
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError:
    print("skipped: /usr/bin/python3 has no numpy or torch (python3-torch)")
    sys.exit(77)

BIN, FMNIST = sys.argv[1], sys.argv[2]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def dpeval(*args, ok=True):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600)
    if ok and r.returncode != 0:
        print(r.stderr)
        raise SystemExit(f"dpeval {' '.join(args)} exited {r.returncode}")
    return r


class MLP(torch.nn.Module):  # dpeval's "mlp" preset, named as `dpeval export` names it
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = torch.nn.Linear(784, 512), torch.nn.Linear(512, 256), torch.nn.Linear(256, 10)

    def forward(self, x):
        x = x.flatten(1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def torch_fgsm(weights, eps_list):
    raw = open(weights, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header, body = json.loads(raw[8:8 + n]), raw[8 + n:]
    state = {k: torch.from_numpy(np.frombuffer(body[t["data_offsets"][0]:t["data_offsets"][1]], dtype="<f4")
                                 .reshape(t["shape"]).copy()) for k, t in header.items() if k != "__metadata__"}
    m = MLP().eval()
    m.load_state_dict(state, strict=True)
    images = np.frombuffer(gzip.open(os.path.join(FMNIST, "t10k-images-idx3-ubyte.gz")).read()[16:], np.uint8)
    x_all = torch.from_numpy(images.reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255.0))
    y_all = torch.from_numpy(np.frombuffer(gzip.open(os.path.join(FMNIST, "t10k-labels-idx1-ubyte.gz")).read()[8:],
                                           np.uint8).astype(np.int64))
    out = {}
    for eps in eps_list:
        right = 0
        for i in range(0, len(x_all), 500):
            x = x_all[i:i + 500].clone().requires_grad_(True)
            y = y_all[i:i + 500]
            torch.nn.functional.cross_entropy(m(x), y).backward()
            adv = (x + eps * x.grad.sign()).clamp(0, 1).detach()
            with torch.no_grad():
                right += (m(adv).argmax(1) == y).sum().item()
        out[eps] = right / len(x_all)
    return out


def main():
    work = tempfile.mkdtemp(prefix="dpeval_robust_")
    dpeval("train", "--model", "mlp", "--data", "fashion-mnist", "--epochs", "1", "--seed", "3", "--audit", "off",
           "--out", os.path.join(work, "run"))
    ckpt = os.path.join(work, "run", "checkpoint.dpck")
    dpeval("export", "--checkpoint", ckpt, "--format", "safetensors", "--out", os.path.join(work, "m.safetensors"))

    eps = [0.02, 0.05, 0.1]
    fgsm_json = os.path.join(work, "fgsm.json")
    html = os.path.join(work, "robust.html")
    dpeval("robust", "--checkpoint", ckpt, "--attack", "fgsm", "--eps", ",".join(map(str, eps)), "--json-out",
           fgsm_json, "--html", html)
    fgsm = json.load(open(fgsm_json))
    page = open(html).read()
    check(page.startswith("<!DOCTYPE html>") and "<svg" in page and page.count("<tr>") == 12 and "Ankle boot" in page
          and "<script" not in page and "http" not in page.split("</style>")[0],
          "the HTML report: a self-contained page with the curve and a row per class")
    ours = {r["eps"]: r["robust_accuracy"] for r in fgsm["results"]}
    peer = torch_fgsm(os.path.join(work, "m.safetensors"), eps)
    for e in eps:
        check(abs(ours[e] - peer[e]) <= 0.002, f"FGSM eps {e}: dpeval {ours[e]:.4f} vs PyTorch {peer[e]:.4f}")
    acc = [ours[e] for e in eps]
    check(fgsm["clean_accuracy"] > 0.75 and acc[0] < fgsm["clean_accuracy"] and acc[0] > acc[1] > acc[2],
          f"robust accuracy falls with eps: clean {fgsm['clean_accuracy']:.4f}, {acc}")
    for r in fgsm["results"]:
        check(r["max_perturbation"] <= r["eps"] * (1 + 1e-6) + 1e-7 and r["max_perturbation"] > 0.9 * r["eps"],
              f"eps {r['eps']}: largest move {r['max_perturbation']}")
        rows = sum(c["rows"] for c in r["per_class"])
        right = sum(round(c["robust_accuracy"] * c["rows"]) for c in r["per_class"])
        check(rows == 10000 and right == r["robust_correct"], f"eps {r['eps']}: per-class rows add up")

    def pgd(*extra):
        out = os.path.join(work, "pgd.json")
        dpeval("robust", "--checkpoint", ckpt, "--attack", "pgd", "--eps", "0.02,0.05", "--steps", "5",
               "--seed", "9", "--json-out", out, *extra)
        return json.load(open(out))

    one, two = pgd("--threads", "1"), pgd("--threads", "2")
    check(one["results"] == two["results"], "PGD: the same numbers with one thread or two")
    p = {r["eps"]: r["robust_accuracy"] for r in one["results"]}
    check(p[0.02] <= ours[0.02] and p[0.05] <= ours[0.05], f"PGD at least as strong as FGSM: {p} vs {ours}")
    more = {r["eps"]: r["robust_accuracy"] for r in pgd("--restarts", "3")["results"]}
    check(more[0.02] <= p[0.02] and more[0.05] <= p[0.05], f"more restarts never raise it: {more} vs {p}")

    # Adversarial training (PGD, two workers): far more robust to PGD than the plain model, the same bits
    # when run again, and its settings held on resume.
    def adv_train(out, *extra):
        return dpeval("train", "--model", "mlp", "--data", "fashion-mnist", "--epochs", "1", "--seed", "3",
                      "--audit", "off", "--workers", "2", "--adv-train", "pgd", "--adv-eps", "0.1", "--adv-steps",
                      "3", "--out", os.path.join(work, out), *extra)
    adv_train("adv")
    adv_train("adv2")
    s1 = json.load(open(os.path.join(work, "adv", "summary.json")))
    s2 = json.load(open(os.path.join(work, "adv2", "summary.json")))
    check(s1.get("final_test_accuracy") == s2.get("final_test_accuracy") and s1.get("final_test_accuracy"),
          f"adversarial training repeats bit for bit: {s1.get('final_test_accuracy')} and {s2.get('final_test_accuracy')}")
    def pgd_at(ckpt_path):
        out = os.path.join(work, "pgd_adv.json")
        dpeval("robust", "--checkpoint", ckpt_path, "--attack", "pgd", "--eps", "0.1", "--steps", "7", "--json-out", out)
        return json.load(open(out))["results"][0]["robust_accuracy"]
    robust_adv, robust_plain = pgd_at(os.path.join(work, "adv", "checkpoint.dpck")), pgd_at(ckpt)
    check(robust_adv > robust_plain + 0.15,
          f"PGD-trained model under PGD-7 at eps 0.1: {robust_adv:.4f} vs {robust_plain:.4f} trained plainly")
    r = dpeval("train", "--resume", os.path.join(work, "adv", "checkpoint.dpck"), "--epochs", "2", "--adv-eps", "0.2",
               "--out", os.path.join(work, "adv"), ok=False)
    check(r.returncode == 3 and "adversarial" in r.stderr, f"resume with another --adv-eps: exit 3 ({r.returncode})")
    r = dpeval("train", "--model", "mlp", "--epochs", "1", "--adv-eps", "0.2", "--out", os.path.join(work, "x"),
               ok=False)
    check(r.returncode == 2, f"--adv-eps without --adv-train: exit 2 ({r.returncode})")

    for args in (["--eps", "0"], ["--eps", "1.5"], ["--eps", "0.1,-1"], ["--steps", "0"], ["--restarts", "0"],
                 ["--batch", "0"], ["--attack", "cw"], ["--threads", "-1"]):
        r = dpeval("robust", "--checkpoint", ckpt, *args, ok=False)
        check(r.returncode == 2, f"robust {' '.join(args)}: exit 2 ({r.returncode})")
    table = os.path.join(work, "wide.csv")
    with open(table, "w") as f:
        f.write("a,b,y\n0.5,2.0,0\n0.1,0.2,1\n0.3,0.3,0\n0.9,0.1,1\n")
    dpeval("train", "--model", "mlp", "--data", table, "--label-col", "y", "--epochs", "1", "--audit", "off",
           "--out", os.path.join(work, "wide"), ok=False)
    wide = os.path.join(work, "wide", "checkpoint.dpck")
    check(os.path.exists(wide), "a model of a small table trains")
    if os.path.exists(wide):
        other = os.path.join(work, "wide_new.csv")  # another file: all its rows, not the run's test split
        with open(other, "w") as f:
            f.write("a,b,y\n0.5,0.5,0\n0.2,3.5,1\n")
        r = dpeval("robust", "--checkpoint", wide, "--data", other, "--label-col", "y", ok=False)
        check(r.returncode == 3 and "[0, 1]" in r.stderr, f"a feature outside [0, 1]: exit 3 ({r.returncode})")
    if failures:
        print(f"{len(failures)} failed: " + "; ".join(failures))
        sys.exit(1)
    subprocess.run(["rm", "-rf", work])
    print("all passed")


main()
