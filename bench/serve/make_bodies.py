#!/usr/bin/python3
"""make_bodies.py N OUT: the request bodies of bench/serve/run.sh, one JSON body a line.

Body i is one instance, {"id": "t10k-0000i-" + 24 "@", "features": [784 floats]}: Fashion-MNIST test image
i (/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz, Debian dataset-fashion-mnist)
scaled by 1/255, written as Python writes a float (shortest round trip, "0.0" for a blank
pixel), as a Python client with json.dumps would send it. The 24 "@" are where serve_load_client
writes a request's own id (Note [Unique ids] in load_client.cc). The file is written atomically.
"""
import gzip
import json
import os
import sys

import numpy as np

ID_MARKER = "@" * 24  # load_client.cc kIdMarker
IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def read_images(path):
    buf = gzip.open(path, "rb").read()
    if buf[:4] != b"\x00\x00\x08\x03":
        raise ValueError(f"{path}: not an unsigned-byte 3-D IDX file")
    n, h, w = (int.from_bytes(buf[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    return np.frombuffer(buf, dtype=np.uint8, offset=16).reshape(n, h * w)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n, out = int(sys.argv[1]), sys.argv[2]
    images = read_images(IMAGES)
    if not 1 <= n <= len(images):
        sys.exit(f"make_bodies: N must be in 1..{len(images)}")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        for i in range(n):
            features = (images[i].astype(np.float64) / 255.0).tolist()
            body = {"id": f"t10k-{i:05d}-{ID_MARKER}", "features": features}
            f.write(json.dumps(body, separators=(",", ":")) + "\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
