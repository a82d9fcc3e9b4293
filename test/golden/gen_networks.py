#!/usr/bin/env python3
"""Generates test/golden/networks.safetensors, the PyTorch goldens for src/nn/networks.

Run with Debian's interpreter and python3-torch (the same libtorch the addon links):

    /usr/bin/python3 test/golden/gen_networks.py

Two independent PyTorch definitions live here, both written from the architecture descriptions
(no code copied from SSL4MIS, MONAI or nnU-Net):
  * `LiteralVNet`: the V-Net of the semi-supervised literature exactly as the UA-MT/SSL4MIS papers
    describe it (16 base filters, conv stages of 1, 2, 3, 3, 3 conv-BN-ReLU layers, 2x2x2 strided
    conv down and transposed conv up, each with BN-ReLU, additive skips, channel dropout 0.5 after
    the bottleneck and the last decoder stage, a 1x1x1 output conv). Its parameter count is the
    reference for `vnetConfig()`.
  * `Twin`: a general encoder-decoder built from a *resolved* labelwise NetworkConfig, with the same
    parameter names as the TypeScript SegmentationNetwork, so state dicts load across.
The script first checks that Twin(vnet config) equals LiteralVNet (parameter count at 16 filters,
and outputs in train mode with dropout and in eval mode for copied weights), then writes cases
for the TypeScript test (src/nn/networks/golden.test.ts).

Weights are quantised to int8 with a power-of-two scale per tensor (so the float32 values are
exact on both sides and the fixture stays small). Dropout masks come from a seeded generator with
the same ATen call as the TypeScript Dropout layers (bernoulli.p on ones), so train-mode outputs
with dropout compare exactly. Upstream gradients are deterministic patterns (sin of the element
index, computed in float64 and cast), so they need no storage; large parameter gradients are
stored as two projections on such patterns plus their norm.

Layout per case (the JSON case entry in __metadata__.cases says how to read each blob):
  "<case>/x"            int8 input, times 2^-xExponent
  "<case>/state"        int8 float state, concatenated in state-dict order (rows of `state`:
                        [key, shape, exponent], or [key, [], null, value] for int64 counters)
  "<case>/train/<out>"  outputs of a train-mode forward (dropout seeded with dropoutSeed); only
                        the first `samples` samples are stored
  "<case>/eval/<out>"   outputs in eval mode (first `samples` samples)
  "<case>/grad/x"       gradient of the input (first `samples` samples)
  "<case>/grad/params"  gradients of the parameters in `fullGrads`, concatenated; the others are
                        in `projections` as [<g, sin pattern 0.37/0.1>, <g, pattern 0.53/1.3>, |g|]
  "<case>/after"        running statistics after the train step (keys in `running`)
__metadata__ also holds torch_version, generator, format and vnet_default_params (the parameter
count of LiteralVNet with 16 filters, 1 input channel and 2 classes).
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_io import write_safetensors

SCRIPT = "test/golden/gen_networks.py"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "networks.safetensors")
MAX_BYTES = 500_000
FULL_GRAD_MAX = 256  # parameters with more elements get projections instead of a stored gradient

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)


# ------------------------------------------------------------------------------------------------
# Deterministic patterns and seeded dropout (mirrored in the TypeScript test)
# ------------------------------------------------------------------------------------------------

def pattern(n, freq, phase):
    """sin(i*freq + phase) for i < n, computed in float64 and cast to float32."""
    return torch.sin(torch.arange(n, dtype=torch.float64) * freq + phase).to(torch.float32)


def pattern_like(t, k):
    return pattern(t.numel(), 0.7 + 0.11 * k, 0.3 * k).reshape(t.shape)


class SeededDropout(nn.Module):
    """Dropout drawing its keep mask with bernoulli.p on ones from a shared generator, as the TS layers do."""

    def __init__(self, p, channelwise, gen):
        super().__init__()
        self.p, self.channelwise, self.gen = p, channelwise, gen

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        shape = (x.shape[0], x.shape[1], 1, 1, 1) if self.channelwise else x.shape
        keep = torch.bernoulli(x.new_ones(shape), 1 - self.p, generator=self.gen)
        return x * (keep / (1 - self.p))


# ------------------------------------------------------------------------------------------------
# The V-Net as the literature describes it
# ------------------------------------------------------------------------------------------------

class LiteralVNet(nn.Module):
    def __init__(self, f=16, cin=1, ncls=2, p=0.5, gen=None):
        super().__init__()

        def stage(n, a, b):
            layers = []
            for i in range(n):
                layers += [nn.Conv3d(a if i == 0 else b, b, 3, padding=1), nn.BatchNorm3d(b), nn.ReLU()]
            return nn.Sequential(*layers)

        def down(a, b):
            return nn.Sequential(nn.Conv3d(a, b, 2, stride=2), nn.BatchNorm3d(b), nn.ReLU())

        def up(a, b):
            return nn.Sequential(nn.ConvTranspose3d(a, b, 2, stride=2), nn.BatchNorm3d(b), nn.ReLU())

        w = [f, 2 * f, 4 * f, 8 * f, 16 * f]
        n_enc = [1, 2, 3, 3, 3]
        self.enc = nn.ModuleList([stage(1, cin, f)])
        for i in range(1, 5):
            self.enc.append(down(w[i - 1], w[i]))
            self.enc.append(stage(n_enc[i], w[i], w[i]))
        self.dec = nn.ModuleList()
        for lvl in (3, 2, 1, 0):
            self.dec.append(up(w[lvl + 1], w[lvl]))
            self.dec.append(stage(n_enc[lvl], w[lvl], w[lvl]))
        self.out = nn.Conv3d(f, ncls, 1)
        self.drop = SeededDropout(p, True, gen)

    def forward(self, x):
        skips = [self.enc[0](x)]
        for i in range(1, 5):
            skips.append(self.enc[2 * i](self.enc[2 * i - 1](skips[-1])))
        h = self.drop(skips[4])
        for j, lvl in enumerate((3, 2, 1, 0)):
            h = self.dec[2 * j + 1](self.dec[2 * j](h) + skips[lvl])
        return self.out(self.drop(h))

    def twin_key(self, key):
        """The Twin (and TypeScript) name of one of this model's state entries."""
        parts = key.split(".")
        if parts[0] == "out":
            return "heads.0.mask.conv." + parts[1]
        idx, sub, rest = int(parts[1]), int(parts[2]), parts[3]
        kind = "conv" if sub % 3 == 0 else "norm"
        if parts[0] == "enc":
            level = (idx + 1) // 2
            if idx > 0 and idx % 2 == 1:
                return f"encoder.levels.{level}.down.{kind}.{rest}"
            return f"encoder.levels.{level}.blocks.{sub // 3}.{kind}.{rest}"
        lvl = 3 - idx // 2
        if idx % 2 == 0:
            return f"decoders.0.levels.{lvl}.up.{kind}.{rest}"
        return f"decoders.0.levels.{lvl}.blocks.{sub // 3}.{kind}.{rest}"


# ------------------------------------------------------------------------------------------------
# The general encoder-decoder, from a resolved labelwise NetworkConfig
# ------------------------------------------------------------------------------------------------

class Settings:
    def __init__(self, cfg, gen):
        self.cfg, self.gen = cfg, gen

    def norm(self, c):
        n = self.cfg["norm"]
        if n["kind"] == "batch":
            return nn.BatchNorm3d(c, eps=n["eps"], momentum=n["momentum"], affine=n["affine"])
        if n["kind"] == "instance":
            return nn.InstanceNorm3d(c, eps=n["eps"], affine=n["affine"])
        if n["kind"] == "group":
            return nn.GroupNorm(n["groups"], c, eps=n["eps"], affine=n["affine"])
        return None

    def act(self, x):
        a = self.cfg["activation"]
        if a["kind"] == "relu":
            return F.relu(x)
        if a["kind"] == "leaky-relu":
            return F.leaky_relu(x, a["negativeSlope"])
        return F.gelu(x)

    def dropout(self):
        d = self.cfg["dropout"]
        return SeededDropout(d["p"], d["channelwise"], self.gen)


def same_pad(k):
    return tuple((v - 1) // 2 for v in k)


class ConvNormAct(nn.Module):
    def __init__(self, s, a, b, k, stride=(1, 1, 1), padding=None, transposed=False, norm=True, act=True, dropout=False):
        super().__init__()
        self.s, self.use_act = s, act
        bias = s.cfg["convBias"]
        if transposed:
            self.conv = nn.ConvTranspose3d(a, b, k, stride=stride, padding=padding or 0, bias=bias)
        else:
            self.conv = nn.Conv3d(a, b, k, stride=stride, padding=same_pad(k) if padding is None else padding, bias=bias)
        d = s.cfg["dropout"]
        self.drop = s.dropout() if dropout and d["blocks"] and d["p"] > 0 else None
        self.norm = s.norm(b) if norm else None

    def forward(self, x):
        h = self.conv(x)
        if self.drop is not None:
            h = self.drop(h)
        if self.norm is not None:
            h = self.norm(h)
        return self.s.act(h) if self.use_act else h


class ResidualBlock(nn.Module):
    def __init__(self, s, a, b, k, stride):
        super().__init__()
        self.s = s
        self.a = ConvNormAct(s, a, b, k, stride=stride, dropout=True)
        self.b = ConvNormAct(s, b, b, k, act=False, dropout=True)
        project = a != b or any(v != 1 for v in stride)
        self.shortcut = ConvNormAct(s, a, b, (1, 1, 1), stride=stride, padding=(0, 0, 0), act=False) if project else None

    def forward(self, x):
        sc = self.shortcut(x) if self.shortcut is not None else x
        return self.s.act(self.b(self.a(x)) + sc)


def stage(s, block, a, b, depth, k, stride=(1, 1, 1)):
    layers = []
    for i in range(depth):
        cin, st = (a, stride) if i == 0 else (b, (1, 1, 1))
        layers.append(ResidualBlock(s, cin, b, k, st) if block == "residual" else ConvNormAct(s, cin, b, k, stride=st, dropout=True))
    return nn.Sequential(*layers)


class EncoderLevel(nn.Module):
    def __init__(self, pool, down, blocks):
        super().__init__()
        self.pool = pool
        self.down = down
        self.blocks = blocks

    def forward(self, x):
        if self.pool is not None:
            x = F.max_pool3d(x, self.pool, self.pool)
        if self.down is not None:
            x = self.down(x)
        return self.blocks(x)


class Encoder(nn.Module):
    def __init__(self, s):
        super().__init__()
        cfg = s.cfg
        ch, enc = cfg["channels"], cfg["encoder"]
        levels = []
        for i, c in enumerate(ch):
            k, depth = tuple(cfg["kernelSizes"][i]), enc["depths"][i]
            if i == 0:
                levels.append(EncoderLevel(None, None, stage(s, enc["block"], cfg["inChannels"], c, depth, k)))
                continue
            st = tuple(cfg["strides"][i])
            if enc["downsample"] == "max-pool":
                levels.append(EncoderLevel(st, None, stage(s, enc["block"], ch[i - 1], c, depth, k)))
            elif enc["downsample"] == "strided-conv":
                down = ConvNormAct(s, ch[i - 1], c, st, stride=st, padding=(0, 0, 0))
                levels.append(EncoderLevel(None, down, stage(s, enc["block"], c, c, depth, k)))
            else:
                levels.append(EncoderLevel(None, None, stage(s, enc["block"], ch[i - 1], c, depth, k, st)))
        self.levels = nn.ModuleList(levels)
        d = cfg["dropout"]
        self.bottleneckDropout = s.dropout() if d["p"] > 0 and d["bottleneck"] else None

    def forward(self, x):
        outs = []
        for level in self.levels:
            x = level(x)
            outs.append(x)
        if self.bottleneckDropout is not None:
            outs[-1] = self.bottleneckDropout(outs[-1])
        return outs


class Upsample(nn.Module):
    def __init__(self, s, kind, a, b, stride, k, norm_act):
        super().__init__()
        self.s, self.kind, self.stride, self.norm_act = s, kind, stride, norm_act
        bias = s.cfg["convBias"]
        if kind == "transposed":
            self.conv = nn.ConvTranspose3d(a, b, stride, stride=stride, bias=bias)
        else:
            self.conv = nn.Conv3d(a, b, k, padding=same_pad(k), bias=bias)
        self.norm = s.norm(b) if norm_act else None

    def forward(self, x):
        if self.kind != "transposed" and any(v != 1 for v in self.stride):
            kw = {"align_corners": False} if self.kind == "trilinear" else {}
            x = F.interpolate(x, scale_factor=self.stride, mode=self.kind, **kw)
        h = self.conv(x)
        if self.norm is not None:
            h = self.norm(h)
        return self.s.act(h) if self.norm_act else h


class DecoderLevel(nn.Module):
    def __init__(self, fusion, up, blocks):
        super().__init__()
        self.fusion = fusion
        self.up = up
        self.blocks = blocks

    def forward(self, below, skip):
        u = self.up(below)
        return self.blocks(u + skip if self.fusion == "add" else torch.cat([u, skip], 1))


class Decoder(nn.Module):
    def __init__(self, s, spec):
        super().__init__()
        cfg = s.cfg
        ch = cfg["channels"]
        levels = []
        for j, c in enumerate(ch[:-1]):
            k = tuple(cfg["kernelSizes"][j])
            up = Upsample(s, spec["upsample"], ch[j + 1], c, tuple(cfg["strides"][j + 1]), k, spec["upsampleNormAct"])
            cin = 2 * c if spec["fusion"] == "concat" else c
            levels.append(DecoderLevel(spec["fusion"], up, stage(s, spec["block"], cin, c, spec["depths"][j], k)))
        self.levels = nn.ModuleList(levels)
        d = cfg["dropout"]
        self.outputDropout = s.dropout() if d["p"] > 0 and d["decoderOutput"] else None

    def forward(self, skips):
        n = len(self.levels)
        h, kept = skips[n], []
        for j in range(n - 1, -1, -1):
            h = self.levels[j](h, skips[j])
            if j > 0:
                kept.insert(0, h)
        if self.outputDropout is not None:
            h = self.outputDropout(h)
        return h, kept


class MaskHead(nn.Module):
    def __init__(self, a, n):
        super().__init__()
        self.conv = nn.Conv3d(a, n, 1)

    def forward(self, x):
        return self.conv(x)


class ContrastiveHead(nn.Module):
    def __init__(self, s, a, hidden, dim, k):
        super().__init__()
        self.hidden = ConvNormAct(s, a, hidden, k)
        self.out = nn.Conv3d(hidden, dim, 1)

    def forward(self, x):
        return F.normalize(self.out(self.hidden(x)), p=2, dim=1)


class Heads(nn.Module):
    def __init__(self, s):
        super().__init__()
        cfg = s.cfg
        top, ch = cfg["channels"][0], cfg["contrastiveHead"]
        self.mask = MaskHead(top, cfg["numClasses"])
        self.contrastive = ContrastiveHead(s, top, ch["hiddenChannels"], ch["dim"], tuple(ch["kernelSize"])) if ch else None
        if cfg["deepSupervision"]:
            self.deepSupervision = nn.ModuleList([MaskHead(c, cfg["numClasses"]) for c in cfg["channels"][1:-1]])
        else:
            self.deepSupervision = None


class Twin(nn.Module):
    def __init__(self, cfg, gen=None):
        super().__init__()
        s = Settings(cfg, gen)
        self.encoder = Encoder(s)
        self.decoders = nn.ModuleList([Decoder(s, d) for d in cfg["decoders"]])
        self.heads = nn.ModuleList([Heads(s) for _ in cfg["decoders"]])

    def forward(self, x):
        """{name: tensor} with the TypeScript output names: d<k>/logits, d<k>/features, d<k>/embedding, d<k>/ds<i>."""
        skips = self.encoder(x)
        out = {}
        for k, (dec, heads) in enumerate(zip(self.decoders, self.heads)):
            feats, levels = dec(skips)
            out[f"d{k}/logits"] = heads.mask(feats)
            out[f"d{k}/features"] = feats
            if heads.contrastive is not None:
                out[f"d{k}/embedding"] = heads.contrastive(feats)
            if heads.deepSupervision is not None and self.training:
                for i, f in enumerate(levels):
                    out[f"d{k}/ds{i}"] = heads.deepSupervision[i](f)
        return out


# ------------------------------------------------------------------------------------------------
# Resolved configurations (what resolveNetworkConfig returns for the TS expressions in the test)
# ------------------------------------------------------------------------------------------------

def resolved(levels, channels, kernels, strides, norm, act, bias, dropout, encoder, decoders, ds, contrastive, init, cin=1, ncls=2):
    return {
        "inChannels": cin, "numClasses": ncls, "channels": channels,
        "kernelSizes": [list(k) for k in kernels], "strides": [list(s) for s in strides],
        "norm": norm, "activation": act, "convBias": bias, "dropout": dropout, "encoder": encoder,
        "decoders": decoders, "deepSupervision": ds, "contrastiveHead": contrastive, "init": init,
    }


BN = {"kind": "batch", "groups": 8, "affine": True, "eps": 1e-5, "momentum": 0.1}
RELU = {"kind": "relu", "negativeSlope": 0.01}
LRELU = {"kind": "leaky-relu", "negativeSlope": 0.01}
VNET_DROPOUT = {"p": 0.5, "channelwise": True, "bottleneck": True, "decoderOutput": True, "blocks": False}
NO_DROPOUT = {"p": 0, "channelwise": True, "bottleneck": True, "decoderOutput": True, "blocks": False}


def vnet_resolved(f):
    return resolved(
        5, [f, 2 * f, 4 * f, 8 * f, 16 * f], [[3, 3, 3]] * 5, [[1, 1, 1]] + [[2, 2, 2]] * 4, BN, RELU, True, VNET_DROPOUT,
        {"block": "plain", "depths": [1, 2, 3, 3, 3], "downsample": "strided-conv"},
        [{"upsample": "transposed", "depths": [1, 2, 3, 3], "fusion": "add", "upsampleNormAct": True, "block": "plain"}],
        False, None, "torch-default",
    )


CASES = [
    # TS: vnetConfig({ baseFilters: 2 })
    {"name": "vnet", "config": vnet_resolved(2), "x": (2, 1, 16, 16, 16), "samples": 1, "eval": True, "extra": []},
    # TS: unetConfig({ levels: 3, baseFilters: 4, kernelSizes: [[1, 3, 3], 3, 3], strides: [1, [1, 2, 2], 2],
    #                  deepSupervision: true, contrastiveHead: { dim: 3 } })
    {
        "name": "unet-anisotropic",
        "config": resolved(
            3, [4, 8, 16], [[1, 3, 3], [3, 3, 3], [3, 3, 3]], [[1, 1, 1], [1, 2, 2], [2, 2, 2]],
            {"kind": "instance", "groups": 8, "affine": True, "eps": 1e-5, "momentum": 0.1}, LRELU, True, NO_DROPOUT,
            {"block": "plain", "depths": [2, 2, 2], "downsample": "strided-first-conv"},
            [{"upsample": "transposed", "depths": [2, 2], "fusion": "concat", "upsampleNormAct": False, "block": "plain"}],
            True, {"dim": 3, "hiddenChannels": 4, "kernelSize": [1, 1, 1]}, "he",
        ),
        "x": (2, 1, 4, 8, 8), "eval": False, "extra": ["d0/features", "d0/embedding"],
    },
    # TS: vnetConfig({ levels: 3, baseFilters: 4, inChannels: 2, numClasses: 3, norm: { kind: "group", groups: 2 },
    #                  activation: "gelu", dropout: 0, contrastiveHead: { dim: 4, hiddenChannels: 6, kernelSize: 3 },
    #                  encoder: { block: "residual", depths: [1, 2, 1], downsample: "strided-first-conv" },
    #                  decoders: [{ upsample: "transposed" }, { upsample: "trilinear" }, { upsample: "nearest" }] })
    {
        "name": "resnet-encoder-three-decoders",
        "config": resolved(
            3, [4, 8, 16], [[3, 3, 3]] * 3, [[1, 1, 1], [2, 2, 2], [2, 2, 2]],
            {"kind": "group", "groups": 2, "affine": True, "eps": 1e-5, "momentum": 0.1}, {"kind": "gelu", "negativeSlope": 0.01},
            True, NO_DROPOUT,
            {"block": "residual", "depths": [1, 2, 1], "downsample": "strided-first-conv"},
            [
                {"upsample": u, "depths": [1, 2], "fusion": "add", "upsampleNormAct": True, "block": "plain"}
                for u in ("transposed", "trilinear", "nearest")
            ],
            False, {"dim": 4, "hiddenChannels": 6, "kernelSize": [3, 3, 3]}, "torch-default", cin=2, ncls=3,
        ),
        "x": (1, 2, 8, 8, 8), "eval": False, "extra": ["d0/features", "d0/embedding", "d2/embedding"],
    },
    # TS: unetConfig({ levels: 3, baseFilters: 2, norm: "batch", convBias: false,
    #                  dropout: { p: 0.25, channelwise: false, blocks: true, bottleneck: false, decoderOutput: false },
    #                  encoder: { downsample: "max-pool" }, decoder: { block: "residual", depths: 1 } })
    {
        "name": "unet-maxpool-residual-decoder-dropout",
        "config": resolved(
            3, [2, 4, 8], [[3, 3, 3]] * 3, [[1, 1, 1], [2, 2, 2], [2, 2, 2]], BN, LRELU, False,
            {"p": 0.25, "channelwise": False, "bottleneck": False, "decoderOutput": False, "blocks": True},
            {"block": "plain", "depths": [2, 2, 2], "downsample": "max-pool"},
            [{"upsample": "transposed", "depths": [1, 1], "fusion": "concat", "upsampleNormAct": False, "block": "residual"}],
            False, None, "he",
        ),
        "x": (2, 1, 8, 8, 8), "eval": True, "extra": ["d0/features"],
    },
]


# ------------------------------------------------------------------------------------------------
# Fixture writing
# ------------------------------------------------------------------------------------------------

def quantise(t):
    """(int8 values, exponent e) with t ~= q * 2^-e exactly representable in float32."""
    m = t.abs().max().item()
    e = 0 if m == 0 else int(math.floor(math.log2(127 / m)))
    q = torch.clamp(torch.round(t.double() * 2.0 ** e), -127, 127).to(torch.int8)
    return q, e


def dequantise(q, e):
    return q.to(torch.float32) * (2.0 ** -e)


def randomise_state(model, g):
    """Non-trivial weights, affine norm parameters and running statistics, quantised."""
    state = {}
    for k, v in model.state_dict().items():
        if v.dtype == torch.int64:
            state[k] = v.clone()
            continue
        if k.endswith("running_var"):
            v = torch.rand(v.shape, generator=g) * 1.5 + 0.5
        elif k.endswith("running_mean"):
            v = torch.randn(v.shape, generator=g) * 0.3
        elif k.endswith("norm.weight"):
            v = torch.rand(v.shape, generator=g) * 1.0 + 0.5
        else:
            v = v + 0.05 * torch.randn(v.shape, generator=g) * (v.abs().max() + 1e-3)
        state[k] = v
    return state


def stable_loss(outputs):
    """sum_k sum(out_k * pattern_k) over the outputs in name order (the TS test does the same)."""
    total = 0
    for i, name in enumerate(sorted(outputs)):
        total = total + (outputs[name] * pattern_like(outputs[name], i)).sum()
    return total


def check_literal_vnet():
    """LiteralVNet == Twin(vnet config): parameter count at 16 filters, outputs with copied weights."""
    literal16 = LiteralVNet(16)
    twin16 = Twin(vnet_resolved(16))
    n_lit = sum(p.numel() for p in literal16.parameters())
    n_twin = sum(p.numel() for p in twin16.parameters())
    assert n_lit == n_twin, (n_lit, n_twin)

    torch.manual_seed(7)
    g_lit, g_twin = torch.Generator(), torch.Generator()
    lit, twin = LiteralVNet(4, gen=g_lit), Twin(vnet_resolved(4), gen=g_twin)
    mapped = {lit.twin_key(k): v for k, v in lit.state_dict().items()}
    assert sorted(mapped) == sorted(twin.state_dict()), "LiteralVNet and Twin name different tensors"
    twin.load_state_dict(mapped)
    x = torch.randn(2, 1, 16, 16, 16)
    for train in (True, False):
        lit.train(train)
        twin.train(train)
        g_lit.manual_seed(11)
        g_twin.manual_seed(11)
        a, b = lit(x), twin(x)["d0/logits"]
        err = (a - b).abs().max().item()
        assert err < 1e-5, f"LiteralVNet and Twin differ by {err} (train={train})"
    return n_lit


def build_case(case, tensors):
    name, cfg = case["name"], case["config"]
    keep = case.get("samples", case["x"][0])
    g = torch.Generator().manual_seed(sum(map(ord, name)))
    dropout_gen = torch.Generator()
    model = Twin(cfg, gen=dropout_gen)
    state = randomise_state(model, g)
    # Float state is one int8 blob in state-dict order; spec rows are [key, shape, exponent]
    # (integer counters: [key, [], null, value]).
    spec, blob = [], []
    for k, v in state.items():
        if v.dtype == torch.int64:
            spec.append([k, [], None, int(v.item())])
            continue
        q, e = quantise(v)
        spec.append([k, list(v.shape), e])
        blob.append(q.flatten())
        state[k] = dequantise(q, e)
    tensors[f"{name}/state"] = torch.cat(blob)
    model.load_state_dict(state)
    xq, xe = quantise(torch.randn(case["x"], generator=g))
    x = dequantise(xq, xe)
    tensors[f"{name}/x"] = xq

    dropout_seed = 1234
    model.train()
    dropout_gen.manual_seed(dropout_seed)
    xg = x.clone().requires_grad_(True)
    outs = model(xg)
    loss = stable_loss(outs)
    loss.backward()
    # Every decoder's logits are stored; features and embeddings only where the case lists them
    # (size budget). The loss covers every output, so every parameter has a gradient.
    stored = [k for k in sorted(outs) if not k.endswith(("/features", "/embedding")) or k in case["extra"]]
    for k in stored:
        tensors[f"{name}/train/{k}"] = outs[k].detach()[:keep]
    tensors[f"{name}/grad/x"] = xg.grad[:keep]
    full, projections = [], {}
    for k, p in model.named_parameters():
        if p.numel() <= FULL_GRAD_MAX:
            full.append(k)
        else:
            gr = p.grad.double().flatten()
            projections[k] = [
                (gr * pattern(gr.numel(), 0.37, 0.1).double()).sum().item(),
                (gr * pattern(gr.numel(), 0.53, 1.3).double()).sum().item(),
                gr.norm().item(),
            ]
    params = dict(model.named_parameters())
    tensors[f"{name}/grad/params"] = torch.cat([params[k].grad.flatten() for k in full])
    running = [k for k, v in model.state_dict().items() if "running" in k]
    counters = {k: int(v.item()) for k, v in model.state_dict().items() if k.endswith("num_batches_tracked")}
    if running:
        tensors[f"{name}/after"] = torch.cat([model.state_dict()[k].flatten() for k in running])

    eval_outputs = []
    if case["eval"]:
        model.eval()
        with torch.no_grad():
            ev = model(x)
        for k, v in ev.items():
            if k.endswith("/logits") or k.endswith("/embedding"):
                tensors[f"{name}/eval/{k}"] = v[:keep]
                eval_outputs.append(k)
    return {
        "name": name,
        "config": cfg,
        "state": spec,
        "xExponent": xe,
        "samples": keep,
        "lossOutputs": sorted(outs),
        "trainOutputs": stored,
        "evalOutputs": sorted(eval_outputs),
        "fullGrads": full,
        "projections": projections,
        "running": running,
        "countersAfter": counters,
        "dropoutSeed": dropout_seed,
    }


def main():
    vnet_params = check_literal_vnet()
    tensors, metas = {}, []
    for case in CASES:
        metas.append(build_case(case, tensors))
    metadata = {
        "torch_version": torch.__version__,
        "generator": SCRIPT,
        "format": "labelwise-network-goldens/1",
        "vnet_default_params": str(vnet_params),
        "cases": json.dumps(metas, sort_keys=True, separators=(",", ":")),
    }
    size = write_safetensors(OUT, tensors, metadata)
    print(f"wrote {os.path.relpath(OUT)}: {len(metas)} cases, {len(tensors)} tensors, {size} bytes "
          f"(torch {torch.__version__}); literal V-Net: {vnet_params} parameters")
    if size > MAX_BYTES:
        sys.exit(f"golden file is {size} bytes, over the {MAX_BYTES} byte budget: shrink the cases")


if __name__ == "__main__":
    main()
