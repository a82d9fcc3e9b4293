#!/usr/bin/env python3
"""Generates test/golden/nn.json, the PyTorch goldens for src/nn (layers, init, optimizers,
schedules, gradient clipping and a tiny end-to-end training run).

Run with Debian's interpreter and python3-torch (the same libtorch the addon links):

    /usr/bin/python3 test/golden/gen_nn.py

Layer and optimizer cases describe themselves with the TypeScript class name and option names
({"type": "Conv3d", "args": [...], "opts": {...}}); this script maps them to torch, and the TS
tests (src/nn/*.test.ts) build the same objects from the same descriptions. Inputs and initial
values are rounded to 3 decimals so that both sides start from identical float32 values; results
are stored as the shortest decimal that round-trips to the float32 value.

Layout: {"header": {magic, version, torch, generator}, "layers": {...}, "init": {...},
"optim": {...}, "clip": {...}, "schedules": {...}, "training": {...}}, tensors as
{"shape": [...], "dtype": "float32" | "int64", "data": [...]}.
The output is deterministic: same torch build, same bytes.
"""
import json
import math
import os
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn.json")
MAX_BYTES = 200_000

torch.set_num_threads(1)
# SequentialLR steps its children with an explicit epoch, which torch 1.13 flags as deprecated.
warnings.filterwarnings("ignore", message="The epoch parameter")
G = torch.Generator()


def seed(name):
    """Seeds G from a case name, so cases do not shift when others are added."""
    G.manual_seed(sum(ord(c) * (i + 1) for i, c in enumerate(name)) % (2**31))


def r3(t):
    return torch.round(t * 1000) / 1000


def randn(*shape, scale=1.0):
    return r3(torch.randn(*shape, generator=G) * scale)


def enc(t):
    t = t.detach()
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": [int(v) for v in t.reshape(-1).tolist()]}
    a = t.to(torch.float32).reshape(-1).numpy()
    return {"shape": list(t.shape), "dtype": "float32", "data": [float(str(np.float32(v))) for v in a]}


def enc_state(sd):
    return {k: enc(v) for k, v in sd.items()}


# ------------------------------------------------------------------------------------------------
# Layers
# ------------------------------------------------------------------------------------------------


def build(spec):
    """A torch module from a TS-style description."""
    kind, args, o = spec["type"], spec.get("args", []), spec.get("opts", {})
    if kind == "Conv3d":
        return nn.Conv3d(*args, stride=o.get("stride", 1), padding=o.get("padding", 0), dilation=o.get("dilation", 1),
                         groups=o.get("groups", 1), bias=o.get("bias", True))
    if kind == "ConvTranspose3d":
        return nn.ConvTranspose3d(*args, stride=o.get("stride", 1), padding=o.get("padding", 0),
                                  output_padding=o.get("outputPadding", 0), groups=o.get("groups", 1),
                                  bias=o.get("bias", True), dilation=o.get("dilation", 1))
    if kind == "Linear":
        return nn.Linear(*args, bias=o.get("bias", True))
    if kind == "BatchNorm3d":
        return nn.BatchNorm3d(*args, eps=o.get("eps", 1e-5), momentum=o.get("momentum", 0.1),
                              affine=o.get("affine", True), track_running_stats=o.get("trackRunningStats", True))
    if kind == "InstanceNorm3d":
        return nn.InstanceNorm3d(*args, eps=o.get("eps", 1e-5), momentum=o.get("momentum", 0.1),
                                 affine=o.get("affine", False), track_running_stats=o.get("trackRunningStats", False))
    if kind == "GroupNorm":
        return nn.GroupNorm(*args, eps=o.get("eps", 1e-5), affine=o.get("affine", True))
    if kind == "ReLU":
        return nn.ReLU()
    if kind == "LeakyReLU":
        return nn.LeakyReLU(*args)
    if kind == "GELU":
        return nn.GELU(*args)
    if kind == "Sequential":
        return nn.Sequential(*[build(s) for s in args])
    raise ValueError(kind)


def randomise(m):
    """Rounded random values in every float parameter and buffer (variances kept positive)."""
    with torch.no_grad():
        for name, t in m.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(r3(torch.rand(t.shape, generator=G) + 0.5))
            else:
                t.copy_(randn(*t.shape, scale=0.4))


LAYERS = [
    ("conv3d stride 2 padding 1", {"type": "Conv3d", "args": [3, 4, 3], "opts": {"stride": 2, "padding": 1}}, [(1, 3, 5, 5, 5)], True),
    ("conv3d groups dilation anisotropic no bias",
     {"type": "Conv3d", "args": [4, 6, [3, 1, 3]], "opts": {"padding": [2, 0, 1], "dilation": [2, 1, 1], "groups": 2, "bias": False}},
     [(1, 4, 5, 4, 5)], False),
    ("conv3d padding same", {"type": "Conv3d", "args": [2, 3, [3, 3, 1]], "opts": {"padding": "same", "dilation": 2}}, [(1, 2, 5, 5, 3)], False),
    ("convTranspose3d upsample 2", {"type": "ConvTranspose3d", "args": [4, 2, 2], "opts": {"stride": 2}}, [(1, 4, 3, 3, 3)], True),
    ("convTranspose3d groups dilation output padding",
     {"type": "ConvTranspose3d", "args": [4, 6, 2], "opts": {"stride": 2, "padding": 1, "outputPadding": 1, "groups": 2, "dilation": 2}},
     [(1, 4, 2, 2, 2)], False),
    ("linear", {"type": "Linear", "args": [5, 4]}, [(3, 5)], True),
    ("linear no bias batched", {"type": "Linear", "args": [5, 3], "opts": {"bias": False}}, [(2, 3, 5)], False),
    ("batchNorm3d train train eval", {"type": "BatchNorm3d", "args": [3]}, [(2, 3, 3, 3, 3), (2, 3, 3, 3, 3), ("eval", (2, 3, 3, 3, 3))], True),
    ("batchNorm3d cumulative average", {"type": "BatchNorm3d", "args": [3], "opts": {"momentum": None, "eps": 1e-3}},
     [(2, 3, 3, 3, 3), (2, 3, 3, 3, 3), ("eval", (2, 3, 3, 3, 3))], False),
    ("batchNorm3d without affine or running stats", {"type": "BatchNorm3d", "args": [3], "opts": {"affine": False, "trackRunningStats": False}},
     [(2, 3, 3, 3, 3), ("eval", (2, 3, 3, 3, 3))], False),
    ("instanceNorm3d affine", {"type": "InstanceNorm3d", "args": [3], "opts": {"affine": True}}, [(2, 3, 3, 4, 3), ("eval", (2, 3, 3, 4, 3))], True),
    ("instanceNorm3d running stats", {"type": "InstanceNorm3d", "args": [3], "opts": {"trackRunningStats": True, "momentum": 0.2}},
     [(2, 3, 3, 3, 3), ("eval", (2, 3, 3, 3, 3))], False),
    ("groupNorm", {"type": "GroupNorm", "args": [2, 4], "opts": {"eps": 1e-3}}, [(2, 4, 3, 3, 3)], True),
    ("relu", {"type": "ReLU"}, [(4, 6)], False),
    ("leakyRelu 0.2", {"type": "LeakyReLU", "args": [0.2]}, [(4, 6)], False),
    ("gelu", {"type": "GELU"}, [(4, 6)], False),
    ("gelu tanh", {"type": "GELU", "args": ["tanh"]}, [(4, 6)], False),
    ("sequential conv bn relu conv",
     {"type": "Sequential", "args": [{"type": "Conv3d", "args": [2, 3, 3], "opts": {"padding": 1}}, {"type": "BatchNorm3d", "args": [3]},
                                     {"type": "ReLU"}, {"type": "Conv3d", "args": [3, 1, 1]}]},
     [(2, 2, 3, 3, 3), ("eval", (1, 2, 3, 3, 3))], True),
]


def layer_case(name, spec, calls, backward):
    seed(name)
    m = build(spec)
    randomise(m)
    case = {"spec": spec, "state": enc_state(m.state_dict()), "calls": []}
    for i, c in enumerate(calls):
        mode, shape = c if isinstance(c[0], str) else ("train", c)
        m.train(mode == "train")
        x = randn(*shape, scale=1.5).requires_grad_(backward and i == 0)
        y = m(x)
        call = {"train": mode == "train", "input": enc(x), "output": enc(y)}
        if backward and i == 0:
            up = randn(*y.shape)
            (y * up).sum().backward()
            call["upstream"] = enc(up)
            call["grads"] = {"input": enc(x.grad), **{k: enc(p.grad) for k, p in m.named_parameters()}}
        case["calls"].append(call)
    case["finalState"] = enc_state(m.state_dict())
    return case


# ------------------------------------------------------------------------------------------------
# Initialisation: torch's own defaults after torch.manual_seed (the TS side calls manualSeed)
# ------------------------------------------------------------------------------------------------


def init_cases():
    out = {}
    for i, spec in enumerate([
        {"type": "Conv3d", "args": [2, 3, 3]},
        {"type": "Conv3d", "args": [4, 4, [1, 3, 3]], "opts": {"groups": 2}},
        {"type": "ConvTranspose3d", "args": [3, 2, 2]},
        {"type": "Linear", "args": [4, 3]},
    ]):
        torch.manual_seed(100 + i)
        m = build(spec)
        out[f"default {spec['type']} {i}"] = {"seed": 100 + i, "spec": spec, "state": enc_state(m.state_dict())}
    fns = [
        ("kaimingUniform", {"a": 0.2, "mode": "fan_out", "nonlinearity": "leaky_relu"}, (4, 2, 3, 3, 3),
         lambda t: nn.init.kaiming_uniform_(t, a=0.2, mode="fan_out", nonlinearity="leaky_relu")),
        ("kaimingNormal", {"nonlinearity": "relu"}, (4, 3, 2, 2, 2), lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu")),
        ("kaimingNormal", {"mode": "fan_out", "a": 0.01}, (3, 5), lambda t: nn.init.kaiming_normal_(t, a=0.01, mode="fan_out")),
        ("xavierUniform", {"gain": 2.0}, (3, 5), lambda t: nn.init.xavier_uniform_(t, gain=2.0)),
        ("xavierNormal", {}, (6, 4, 1, 1, 2), lambda t: nn.init.xavier_normal_(t)),
    ]
    for i, (fn, opts, shape, f) in enumerate(fns):
        torch.manual_seed(200 + i)
        t = torch.empty(shape)
        f(t)
        out[f"{fn} {i}"] = {"seed": 200 + i, "fn": fn, "opts": opts, "shape": list(shape), "value": enc(t)}
    return out


# ------------------------------------------------------------------------------------------------
# Optimizers: two parameters, five steps of given gradients (p1 has none at step 2)
# ------------------------------------------------------------------------------------------------

OPTIMS = [
    ("sgd plain", {"type": "SGD", "opts": {"lr": 0.1}}),
    ("sgd momentum dampening weight decay", {"type": "SGD", "opts": {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.01}}),
    ("sgd nesterov", {"type": "SGD", "opts": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weightDecay": 0.001}}),
    ("sgd maximize", {"type": "SGD", "opts": {"lr": 0.1, "momentum": 0.5, "maximize": True}}),
    ("adam default", {"type": "Adam", "opts": {"lr": 0.01}}),
    ("adam betas eps weight decay amsgrad", {"type": "Adam", "opts": {"lr": 0.01, "betas": [0.8, 0.95], "eps": 1e-6, "weightDecay": 0.1, "amsgrad": True}}),
    ("adam maximize weight decay", {"type": "Adam", "opts": {"lr": 0.01, "maximize": True, "weightDecay": 0.01}}),
    ("adamw default", {"type": "AdamW", "opts": {"lr": 0.01}}),
    ("adamw amsgrad", {"type": "AdamW", "opts": {"lr": 0.02, "weightDecay": 0.1, "amsgrad": True}}),
    ("adam param groups", {"type": "Adam", "opts": {"lr": 0.01}, "groups": [{}, {"lrScale": 0.1, "weightDecay": 0.05}]}),
    ("adamw changing lr", {"type": "AdamW", "opts": {"lr": 0.01}, "lrs": [0.01, 0.008, 0.006, 0.004, 0.002]}),
]

TORCH_NAMES = {"weightDecay": "weight_decay", "lr": "lr", "momentum": "momentum", "dampening": "dampening", "nesterov": "nesterov",
               "maximize": "maximize", "betas": "betas", "eps": "eps", "amsgrad": "amsgrad"}


def optim_cases():
    seed("optim")
    p0, p1 = randn(3, 4), randn(4)
    steps = 5
    grads = [[randn(3, 4), None if s == 2 else randn(4, scale=0.5)] for s in range(steps)]
    out = {"params": [enc(p0), enc(p1)], "grads": [[enc(g) if g is not None else None for g in gs] for gs in grads], "cases": {}}
    for name, spec in OPTIMS:
        ps = [p0.clone().requires_grad_(), p1.clone().requires_grad_()]
        kw = {TORCH_NAMES[k]: (tuple(v) if k == "betas" else v) for k, v in spec["opts"].items()}
        base_lr = kw["lr"]
        if "groups" in spec:
            groups = []
            for p, g in zip(ps, spec["groups"]):
                d = {"params": [p]}
                for k, v in g.items():
                    if k == "lrScale":
                        d["lr"] = base_lr * v
                    else:
                        d[TORCH_NAMES[k]] = v
                groups.append(d)
        else:
            groups = ps
        opt = getattr(torch.optim, spec["type"])(groups, **kw)
        traj = []
        for s in range(steps):
            if "lrs" in spec:
                for g in opt.param_groups:
                    g["lr"] = spec["lrs"][s]
            for p, g in zip(ps, grads[s]):
                p.grad = None if g is None else g.clone()
            opt.step()
            traj.append([enc(p) for p in ps])
        out["cases"][name] = {**spec, "trajectory": traj}
    return out


# ------------------------------------------------------------------------------------------------
# Gradient clipping
# ------------------------------------------------------------------------------------------------


def clip_cases():
    seed("clip")
    shapes = [(2, 3), (4,), (2, 2, 2)]
    grads = [randn(*s, scale=2.0) for s in shapes]
    out = {"grads": [enc(g) for g in grads], "cases": []}
    for max_norm, norm_type in [(1.0, 2.0), (0.5, 1.0), (0.3, math.inf), (2.0, 3.0), (100.0, 2.0)]:
        ps = [torch.zeros(s, requires_grad=True) for s in shapes] + [torch.zeros(3, requires_grad=True)]  # the last has no grad
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
        out["cases"].append({"maxNorm": max_norm, "normType": "inf" if norm_type == math.inf else norm_type,
                             "total": float(total), "clipped": [enc(p.grad) for p in ps[:3]]})
    return out


# ------------------------------------------------------------------------------------------------
# Schedules: the lr each step uses, driving torch's schedulers the usual way
# ------------------------------------------------------------------------------------------------


def lrs_of(make, n, lr0):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def schedule_cases():
    S = torch.optim.lr_scheduler
    return {
        "step": {"lr": 0.1, "stepSize": 3, "gamma": 0.5, "lrs": lrs_of(lambda o: S.StepLR(o, 3, 0.5), 12, 0.1)},
        "multiStep": {"lr": 0.1, "milestones": [2, 5, 9], "gamma": 0.3, "lrs": lrs_of(lambda o: S.MultiStepLR(o, [2, 5, 9], 0.3), 12, 0.1)},
        "cosine": {"lr": 0.1, "maxSteps": 10, "minLr": 0.001, "lrs": lrs_of(lambda o: S.CosineAnnealingLR(o, 10, 0.001), 11, 0.1)},
        "poly": {"lr": 0.01, "maxSteps": 10, "exponent": 0.9, "lrs": lrs_of(lambda o: S.PolynomialLR(o, 10, 0.9), 13, 0.01)},
        "warmupCosine": {
            "lr": 0.1, "warmup": 3, "startFactor": 0.1, "maxSteps": 8,
            "lrs": lrs_of(lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, 1.0, 3), S.CosineAnnealingLR(o, 8)], [3]), 12, 0.1),
        },
    }


# ------------------------------------------------------------------------------------------------
# End to end: a tiny model trained for three Adam steps on MSE
# ------------------------------------------------------------------------------------------------


def training_case():
    seed("training")
    # No bias before batch norm: its gradient is pure rounding noise, which Adam would amplify to
    # lr-sized steps of either sign.
    spec = {"type": "Sequential", "args": [{"type": "Conv3d", "args": [2, 3, 3], "opts": {"padding": 1, "bias": False}}, {"type": "BatchNorm3d", "args": [3]},
                                           {"type": "ReLU"}, {"type": "Conv3d", "args": [3, 1, 1]}]}
    m = build(spec)
    randomise(m)
    state = enc_state(m.state_dict())
    x, target = randn(2, 2, 4, 4, 4), randn(2, 1, 4, 4, 4)
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    losses = []
    for _ in range(3):
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(m(x), target)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return {"spec": spec, "state": state, "input": enc(x), "target": enc(target), "lr": 0.01, "losses": losses,
            "finalState": enc_state(m.state_dict())}


def main():
    doc = {
        "header": {"magic": "labelwise-golden-nn", "version": 1, "torch": torch.__version__, "generator": "test/golden/gen_nn.py"},
        "layers": {name: layer_case(name, spec, calls, bw) for name, spec, calls, bw in LAYERS},
        "init": init_cases(),
        "optim": optim_cases(),
        "clip": clip_cases(),
        "schedules": schedule_cases(),
        "training": training_case(),
    }
    text = json.dumps(doc, separators=(",", ":"))
    if len(text) > MAX_BYTES:
        raise SystemExit(f"nn.json would be {len(text)} bytes (limit {MAX_BYTES}); shrink the cases")
    with open(OUT, "w") as f:
        f.write(text + "\n")
    print(f"wrote {OUT} ({len(text)} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
