#!/usr/bin/python3
"""Writes optim_golden.json: torch.optim.SGD / AdamW trajectories for tests/optim.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tests/golden/make_optim_golden.py
Every number is float32 and printed with 9 significant digits, which reads back
as the same float32. Hyperparameters are rounded to float32 too, so the C++
config (float fields) holds exactly the values torch computed with.
Each case: params0 [n], lrs [steps], grads [steps][n], params [steps][n] (after
each step) and the final state in dpeval's layout (SGD: momentum buffer [n];
AdamW: exp_avg [n] then exp_avg_sq [n]).
"""
import json
import os

import numpy as np
import torch

N = 24
STEPS = 5
SEED = 20240611


def f32(x):
    return float(np.float32(x))


def fmt_list(values):
    return [float(f"{float(v):.9g}") for v in values]


CASES = [
    # name, dpeval optimizer config (weight_decay None: the optimizer's default)
    ("sgd_plain", {"name": "sgd", "momentum": 0.0, "nesterov": False, "weight_decay": 0.0}),
    ("sgd_momentum_wd", {"name": "sgd", "momentum": 0.9, "nesterov": False, "weight_decay": 0.05}),
    ("sgd_nesterov_wd", {"name": "sgd", "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    ("adamw_default", {"name": "adamw", "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": None}),
    ("adamw_custom", {"name": "adamw", "beta1": 0.8, "beta2": 0.95, "eps": 1e-6, "weight_decay": 0.1}),
]


def make_torch_optimizer(cfg, param, lr):
    if cfg["name"] == "sgd":
        return torch.optim.SGD([param], lr=lr, momentum=f32(cfg["momentum"]), dampening=0,
                               weight_decay=f32(cfg["weight_decay"]), nesterov=cfg["nesterov"])
    kwargs = {}
    if cfg["weight_decay"] is not None:
        kwargs["weight_decay"] = f32(cfg["weight_decay"])
    return torch.optim.AdamW([param], lr=lr, betas=(f32(cfg["beta1"]), f32(cfg["beta2"])),
                             eps=f32(cfg["eps"]), amsgrad=False, **kwargs)


def final_state(opt, param):
    state = opt.state[param]
    if state.get("momentum_buffer") is not None:
        return state["momentum_buffer"].tolist()
    if "exp_avg" in state:
        return state["exp_avg"].tolist() + state["exp_avg_sq"].tolist()
    return []


def run_case(name, cfg, gen):
    params0 = (torch.randn(N, generator=gen, dtype=torch.float32) * 0.5)
    grads = [torch.randn(N, generator=gen, dtype=torch.float32) for _ in range(STEPS)]
    base = 0.1 if cfg["name"] == "sgd" else 0.01
    lrs = [f32(base * s) for s in (1.0, 0.9, 0.75, 0.5, 0.3)]  # a decaying schedule
    param = torch.nn.Parameter(params0.clone())
    opt = make_torch_optimizer(cfg, param, lrs[0])
    after = []
    for step in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = lrs[step]
        param.grad = grads[step].clone()
        opt.step()
        after.append(fmt_list(param.detach().tolist()))
    config = {k: (fmt_list([f32(v)])[0] if isinstance(v, float) else v) for k, v in cfg.items()}
    return {
        "name": name,
        "optimizer": config,
        "params0": fmt_list(params0.tolist()),
        "lrs": fmt_list(lrs),
        "grads": [fmt_list(g.tolist()) for g in grads],
        "params": after,
        "state": fmt_list(final_state(opt, param)),
    }


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(SEED)
    golden = {
        "generator": "tests/golden/make_optim_golden.py",
        "torch_version": torch.__version__,
        "cases": [run_case(name, cfg, gen) for name, cfg in CASES],
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim_golden.json")
    with open(out, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
