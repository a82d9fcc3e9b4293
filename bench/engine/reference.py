#!/usr/bin/python3
"""PyTorch-Python side of the engine benchmark (run by Debian's /usr/bin/python3, same libtorch).

One process = one measurement: build the U-Net, run `--warmup` untimed steps, then `--steps` timed
ones, and print one JSON line with the step times and this process's peak RSS. The architecture
mirrors bench/engine/unet.ts (the labelwise side): same shapes and the same ops, not the same init.
"""
import argparse
import json
import math
import os
import re
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin: int, cout: int) -> nn.Sequential:
    # Two conv-norm-ReLU; no conv bias in front of a batch norm (it would cancel out).
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(),
        nn.Conv3d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(),
    )


class UNet3d(nn.Module):
    """4 levels (16-32-64-128), max-pool down, transposed-conv up, concatenated skips, 1x1x1 head."""

    def __init__(self, in_channels: int = 1, classes: int = 2, channels=(16, 32, 64, 128)):
        super().__init__()
        enc, cin = [], in_channels
        for c in channels:
            enc.append(block(cin, c))
            cin = c
        self.enc = nn.ModuleList(enc)
        rev = list(reversed(channels))
        self.up = nn.ModuleList(nn.ConvTranspose3d(rev[i], rev[i + 1], 2, stride=2) for i in range(len(rev) - 1))
        self.dec = nn.ModuleList(block(2 * rev[i + 1], rev[i + 1]) for i in range(len(rev) - 1))
        self.head = nn.Conv3d(channels[0], classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        last = len(self.enc) - 1
        for i, enc in enumerate(self.enc):
            x = enc(x)
            if i < last:
                skips.append(x)
                x = F.max_pool3d(x, 2)
        for up, dec in zip(self.up, self.dec):
            x = up(x)
            x = torch.cat([x, skips.pop()], 1)
            x = dec(x)
        return self.head(x)


def loaded_blas() -> list:
    """Real paths of the BLAS/LAPACK libraries mapped into this process (which BLAS torch really uses)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                at = line.find("/")
                if at >= 0:
                    file = line[at:].strip()
                    if re.search(r"blas|lapack|mkl", file.rsplit("/", 1)[-1], re.I):
                        libs.add(file)
    except OSError:
        pass
    return sorted(libs)


def cpu_ticks():
    """Cumulative (busy, total) CPU ticks of the whole machine, or None without /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except OSError:
        return None
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def own_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def background_share(before, after, own_seconds: float) -> float:
    """Share of the machine's CPUs that other processes used between two cpu_ticks() (NaN if unknown)."""
    if before is None or after is None or after[1] <= before[1]:
        return float("nan")
    busy = (after[0] - before[0]) / 100.0  # USER_HZ
    total = (after[1] - before[1]) / 100.0
    return max(0.0, busy - own_seconds) / total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["train", "infer"], required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = UNet3d()
    shape = (a.batch, 1, a.size, a.size, a.size)
    x = torch.randn(shape)
    y = torch.randint(0, 2, (a.batch, a.size, a.size, a.size))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    if a.mode == "train":
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step() -> float:
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            del logits
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss.item()

    else:
        model.eval()

        def step() -> float:
            with torch.no_grad():
                logits = model(x)
                return float(logits[0, 0, 0, 0, 0])

    values, times, background = [], [], []
    for i in range(a.warmup + a.steps):
        cpu0, ticks0 = own_cpu(), cpu_ticks()
        t0 = time.perf_counter()
        v = step()
        dt = time.perf_counter() - t0
        other = background_share(ticks0, cpu_ticks(), own_cpu() - cpu0)
        values.append(v)
        if i >= a.warmup:
            times.append(dt)
            background.append(other)

    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {
        "side": "pytorch",
        "mode": a.mode,
        "shape": list(shape),
        "threads": torch.get_num_threads(),
        "times": times,
        "background": [None if math.isnan(b) else b for b in background],
        "values": values,
        "maxRssKiB": usage.ru_maxrss,
        "nice": os.nice(0),
        "cpuSeconds": usage.ru_utime + usage.ru_stime,
        "setupRssKiB": rss_before,
        "torchVersion": torch.__version__,
        "blas": loaded_blas(),
    }
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
