"""Shared by the gen_*.py golden generators: writes the safetensors container by hand (an 8-byte
little-endian header length, a JSON header with sorted keys padded to 8 bytes, then raw
little-endian tensor bytes), so no safetensors package is needed and output is byte-stable."""
import json
import struct

import torch

ST_DTYPE = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    arr = t.numpy()
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def write_safetensors(path, tensors, metadata):
    """Writes `tensors` (name -> torch tensor) and string `metadata`; returns the file size."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    js = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    js += b" " * ((8 - (len(js) + 8) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    return 8 + len(js) + offset


def write_case_fixture(out, cases, script, fmt, max_bytes):
    """Writes a fixture from (meta, tensors) cases with the torch version, generator and the cases'
    metadata in its header, prints a summary and fails when it is over the size budget."""
    import os
    import sys

    tensors, metas = {}, []
    for meta, ts in cases:
        metas.append(meta)
        tensors.update(ts)
    metadata = {
        "torch_version": torch.__version__,
        "generator": script,
        "format": fmt,
        "cases": json.dumps(metas, sort_keys=True, separators=(",", ":")),
    }
    size = write_safetensors(out, tensors, metadata)
    print(f"wrote {os.path.relpath(out)}: {len(metas)} cases, {len(tensors)} tensors, {size} bytes (torch {torch.__version__})")
    if size > max_bytes:
        sys.exit(f"golden file is {size} bytes, over the {max_bytes} byte budget: shrink the cases")
