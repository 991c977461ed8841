"""The peer's model for bench/serve: safetensors from `dpeval export` loaded into the MLP or CNN of
../shared/peers/fmnist_ddp.py, as tests/run/torch_logits.py does it (no safetensors package: an
8-byte little-endian header length, a JSON header, raw float32 tensors; load_state_dict strict).
Used by flask_peer.py (the server) and check_agree.py (the oracle every server is checked against).
Import torch's thread settings before this module when they matter: it imports torch."""
import importlib.util
import json
import struct

import numpy as np
import torch


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    state = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {t['dtype']}, expected F32")
        a, b = t["data_offsets"]
        state[name] = torch.from_numpy(np.frombuffer(body[a:b], dtype="<f4").reshape(t["shape"]).copy())
    return state


def load_model(weights, kind, peer_path):
    """The peer's MLP (kind "mlp") or CNN ("cnn") holding WEIGHTS, in eval mode."""
    spec = importlib.util.spec_from_file_location("fmnist_ddp_peer", peer_path)
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    model = peer.MLP() if kind == "mlp" else peer.CNN()
    model.load_state_dict(read_safetensors(weights), strict=True)
    return model.eval()
