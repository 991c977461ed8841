#!/usr/bin/python3
"""torch_logits.py WEIGHTS INPUTS OUT KIND PEER: loads WEIGHTS (safetensors, read without the safetensors
package: 8-byte header length, JSON header, raw tensors) into PEER's (../shared/peers/fmnist_ddp.py) MLP or CNN
with load_state_dict(strict=True), runs it in eval mode on INPUTS (raw float32, N x 1 x 28 x 28) and writes the
logits to OUT as raw float32. Exit 0 on success, 77 when the peer script is not there (the test skips)."""
import importlib.util
import json
import os
import struct
import sys

import numpy as np
import torch

weights, inputs, out, kind, peer_path = sys.argv[1:6]
if not os.path.exists(peer_path):
    sys.exit(77)
raw = open(weights, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
body = raw[8 + n:]
state = {}
for name, t in header.items():
    if name == "__metadata__":
        continue
    assert t["dtype"] == "F32", t
    a, b = t["data_offsets"]
    state[name] = torch.from_numpy(np.frombuffer(body[a:b], dtype="<f4").reshape(t["shape"]).copy())
spec = importlib.util.spec_from_file_location("peer", peer_path)
peer = importlib.util.module_from_spec(spec)
sys.argv = [sys.argv[0]]
spec.loader.exec_module(peer)
model = peer.MLP() if kind == "mlp" else peer.CNN()
model.load_state_dict(state, strict=True)
x = torch.from_numpy(np.fromfile(inputs, dtype="<f4").reshape(-1, 1, 28, 28))
with torch.no_grad():
    logits = model.eval()(x).numpy().astype("<f4")
logits.tofile(out)
