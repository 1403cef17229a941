"""Prints the root attributes of a training store as h5py gives them:
JSON {name: [python type name, value]}. Usage: python h5py-attrs.py FILE.h5"""
import json
import sys

import h5py

with h5py.File(sys.argv[1], "r") as f:
    out = {}
    for k, v in f.attrs.items():
        kind = type(v).__name__
        if getattr(v, "shape", None) == ():
            v = v.item()
        elif not isinstance(v, (str, bytes)):
            v = [x.decode() if isinstance(x, bytes) else str(x) for x in v]
        out[k] = [kind, v.decode() if isinstance(v, bytes) else v]
print(json.dumps(out))
