#!/usr/bin/env python3
"""Generates test/golden/losses.safetensors, the PyTorch goldens for src/losses.

Run with Debian's interpreter and python3-torch:

    /usr/bin/python3 test/golden/gen_losses.py

Every case evaluates a reference in float64 on small inputs and stores the loss and its gradient
with respect to the logits. The references are written independently of the TypeScript code:
  * cross-entropy is torch's F.cross_entropy itself (class weights, ignore_index, label
    smoothing, probability targets); with a voxel mask, or when every voxel is ignored (where torch
    returns NaN), it is the documented rule  sum(mask * loss_v) / sum(mask * weight[target_v])
    over non-ignored voxels, and 0 when nothing counts;
  * Dice is a per-sample, per-class loop over explicit one-hot channels implementing the
    documented definition: dice = (2 sum(w p t) + s_n) / max(sum(w p^k) + sum(w t^k) + s_d, 1e-8)
    (k = 2 "squared", 1 "linear"), samples without a counted voxel dropped from the mean, 0 when
    nothing counts.
src/losses/golden.test.ts runs every case through the TypeScript functions (in float64).

Layout: "<key>/logits", "<key>/target", optionally "<key>/mask", then "<key>/loss" and
"<key>/grad". __metadata__: torch_version, generator, format and "cases", a JSON list of
{key, fn, opts, target_kind, has_mask}; `opts` uses the TypeScript option names.
"""
import os

import torch
import torch.nn.functional as F

from golden_io import write_case_fixture

SCRIPT = "test/golden/gen_losses.py"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "losses.safetensors")
MAX_BYTES = 200_000

torch.set_num_threads(1)
D = torch.float64

# ------------------------------------------------------------------------------------------------
# References
# ------------------------------------------------------------------------------------------------


def one_hot_channels(labels, classes):
    """(N, C, ...) float64 channels, channel c = [label == c]."""
    return torch.stack([(labels == c).to(D) for c in range(classes)], dim=1)


def squeeze_labels(target, logits):
    return target.reshape(logits.shape[0], *logits.shape[2:])


def ref_dice(logits, target, mask=None, opts=None):
    o = opts or {}
    act = o.get("activation", "softmax")
    squared = o.get("denominator", "squared") == "squared"
    sn, sd = o.get("smoothNumerator", 1e-5), o.get("smoothDenominator", 1e-5)
    include_bg = o.get("includeBackground", True)
    ignore = o.get("ignoreIndex")
    n, c = logits.shape[:2]
    p = logits.softmax(1) if act == "softmax" else logits.sigmoid() if act == "sigmoid" else logits
    w = torch.ones((n, *logits.shape[2:]), dtype=D)
    if mask is not None:
        w = w * mask.reshape(w.shape).to(D)
    if target.dtype in (torch.int64, torch.int32, torch.uint8, torch.bool):
        labels = squeeze_labels(target, logits).to(torch.int64)
        if ignore is not None:
            w = w * (labels != ignore).to(D)
        t = one_hot_channels(labels, c)
    else:
        t = target.to(D)
    classes = range(c) if include_bg else range(1, c)

    def loss_of(pc, tc, wc):
        inter = (wc * pc * tc).sum()
        den = (wc * pc * pc).sum() + (wc * tc * tc).sum() if squared else (wc * pc).sum() + (wc * tc).sum()
        return 1 - (2 * inter + sn) / torch.clamp(den + sd, min=1e-8)

    if o.get("batchDice", False):
        losses = torch.stack([loss_of(p[:, k], t[:, k], w) for k in classes])
        counted = bool(w.sum() > 0)
        if o.get("reduction", "mean") == "none":
            return losses * (1.0 if counted else 0.0)
        return losses.mean() if counted else logits.sum() * 0
    rows, kept = [], []
    for i in range(n):
        counted = bool(w[i].sum() > 0)
        row = [loss_of(p[i, k], t[i, k], w[i]) for k in classes]
        rows.append(torch.stack(row) * (1.0 if counted else 0.0))
        if counted:
            kept.extend(row)
    if o.get("reduction", "mean") == "none":
        return torch.stack(rows)
    return torch.stack(kept).mean() if kept else logits.sum() * 0


def ref_ce(logits, target, mask=None, opts=None):
    o = opts or {}
    weight = torch.tensor(o["classWeights"], dtype=D) if o.get("classWeights") is not None else None
    ignore = o.get("ignoreIndex")
    smoothing = o.get("labelSmoothing", 0.0)
    reduction = o.get("reduction", "mean")
    labels = target.dtype == torch.int64
    t = squeeze_labels(target, logits) if labels else target
    kw = {"weight": weight, "label_smoothing": smoothing}
    if ignore is not None:
        kw["ignore_index"] = ignore
    if mask is None and reduction != "mean":
        return F.cross_entropy(logits, t, reduction=reduction, **kw)
    if mask is None and labels:
        valid = (t != ignore) if ignore is not None else torch.ones_like(t, dtype=torch.bool)
        if valid.any():
            return F.cross_entropy(logits, t, reduction="mean", **kw)
        return logits.sum() * 0
    if mask is None:
        return F.cross_entropy(logits, t, reduction="mean", **kw)
    m = mask.reshape((logits.shape[0], *logits.shape[2:])).to(D)
    per = F.cross_entropy(logits, t, reduction="none", **kw) * m
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    if labels:
        valid = (t != ignore) if ignore is not None else torch.ones_like(t, dtype=torch.bool)
        wt = weight[torch.where(valid, t, torch.zeros_like(t))] if weight is not None else torch.ones_like(m)
        den = (m * wt * valid.to(D)).sum()
    else:
        den = m.sum()
    return per.sum() / den if den > 0 else per.sum() * 0


def ref_dice_ce(logits, target, mask=None, opts=None):
    o = opts or {}
    shared = {k: o[k] for k in ("ignoreIndex",) if k in o}
    d = ref_dice(logits, target, mask, {**o.get("dice", {}), **shared, "activation": "softmax"})
    c = ref_ce(logits, target, mask, {**o.get("crossEntropy", {}), **shared})
    return o.get("diceWeight", 1.0) * d + o.get("ceWeight", 1.0) * c


REFS = {"diceLoss": ref_dice, "crossEntropyLoss": ref_ce, "diceCELoss": ref_dice_ce}

# ------------------------------------------------------------------------------------------------
# Cases
# ------------------------------------------------------------------------------------------------

G = torch.Generator()
CASES = []


def case(key, fn, shape=(2, 3, 3, 4, 2), target="labels", opts=None, mask=None, logits_scale=1.5, edit=None):
    """Registers a case. `target`: labels | labels-channel | onehot | probs; `mask`: None | 'binary' | 'soft' | 'zeros' | 'first-sample-zero'."""
    G.manual_seed(sum(map(ord, key)))
    n, c = shape[:2]
    spatial = shape[2:]
    logits = torch.randn(shape, generator=G, dtype=D) * logits_scale
    labels = torch.randint(0, c, (n, *spatial), generator=G)
    if target == "labels":
        tgt = labels
    elif target == "labels-channel":
        tgt = labels.unsqueeze(1)
    elif target == "onehot":
        tgt = one_hot_channels(labels, c)
    else:
        tgt = torch.softmax(torch.randn(shape, generator=G, dtype=D), 1)
    m = None
    if mask == "binary":
        m = (torch.rand((n, *spatial), generator=G) > 0.3).to(torch.uint8)
    elif mask == "soft":
        m = torch.rand((n, 1, *spatial), generator=G, dtype=D)
    elif mask == "zeros":
        m = torch.zeros((n, *spatial), dtype=torch.uint8)
    elif mask == "first-sample-zero":
        m = torch.ones((n, *spatial), dtype=torch.uint8)
        m[0] = 0
    if edit is not None:
        logits, tgt = edit(logits, tgt)
    x = logits.clone().requires_grad_(True)
    loss = REFS[fn](x, tgt, m, opts or {})
    (grad,) = torch.autograd.grad(loss.sum(), x, allow_unused=True)
    if grad is None:
        grad = torch.zeros_like(logits)
    assert torch.isfinite(loss).all() and torch.isfinite(grad).all(), key
    tensors = {f"{key}/logits": logits, f"{key}/target": tgt, f"{key}/loss": loss.detach(), f"{key}/grad": grad}
    if m is not None:
        tensors[f"{key}/mask"] = m
    CASES.append(({"key": key, "fn": fn, "opts": opts or {}, "target_kind": target, "has_mask": m is not None}, tensors))


def with_ignored(value, fraction=0.25):
    def edit(logits, tgt):
        t = tgt.clone()
        drop = torch.rand(t.shape, generator=G) < fraction
        t[drop] = value
        return logits, t
    return edit


def all_ignored(value):
    def edit(logits, tgt):
        return logits, torch.full_like(tgt, value)
    return edit


def absent_class(cls):
    """Removes class `cls` from the target and makes the prediction for it nearly zero."""
    def edit(logits, tgt):
        t = tgt.clone()
        t[t == cls] = 0
        lg = logits.clone()
        lg[:, cls] -= 12.0
        return lg, t
    return edit


def zero_probabilities(cls):
    """Exact probabilities (activation "none") with class `cls` absent from prediction and target."""
    def edit(logits, tgt):
        p = torch.softmax(logits, 1)
        p[:, cls] = 0
        p = p / p.sum(1, keepdim=True)
        t = tgt.clone()
        t[t == cls] = 0
        return p, t
    return edit


# Dice
case("dice squared softmax label map", "diceLoss")
case("dice linear without background", "diceLoss", opts={"denominator": "linear", "includeBackground": False})
case("dice batch Dice linear smooth 1", "diceLoss", opts={"denominator": "linear", "batchDice": True, "smoothNumerator": 1.0, "smoothDenominator": 1.0})
case("dice label map with a channel dim", "diceLoss", target="labels-channel", opts={"denominator": "linear"})
case("dice one-hot targets", "diceLoss", target="onehot")
case("dice soft targets with sigmoid", "diceLoss", target="probs", opts={"activation": "sigmoid"})
case("dice binary mask", "diceLoss", mask="binary", opts={"denominator": "linear"})
case("dice soft mask on one-hot targets", "diceLoss", target="onehot", mask="soft")
case("dice ignore index", "diceLoss", opts={"ignoreIndex": 255}, edit=with_ignored(255))
case("dice ignore index and mask, batch Dice", "diceLoss", mask="binary", opts={"ignoreIndex": 255, "batchDice": True}, edit=with_ignored(255))
case("dice reduction none", "diceLoss", opts={"reduction": "none", "includeBackground": False})
case("dice reduction none with a fully masked sample", "diceLoss", mask="first-sample-zero", opts={"reduction": "none"})
case("dice fully masked sample left out of the mean", "diceLoss", mask="first-sample-zero")
case("dice every voxel masked out", "diceLoss", mask="zeros")
case("dice every voxel ignored", "diceLoss", opts={"ignoreIndex": 255}, edit=all_ignored(255))
case("dice every voxel ignored, batch Dice", "diceLoss", opts={"ignoreIndex": 255, "batchDice": True}, edit=all_ignored(255))
case("dice empty class with near-empty prediction", "diceLoss", edit=absent_class(2))
case("dice empty class, no smoothing, exact zero prediction", "diceLoss", opts={"activation": "none", "smoothNumerator": 0, "smoothDenominator": 0, "denominator": "linear"}, edit=zero_probabilities(2))
case("dice 2-D spatial input", "diceLoss", shape=(2, 4, 5, 3), opts={"denominator": "linear"})
case("dice binary single channel sigmoid", "diceLoss", shape=(2, 1, 3, 3, 3), target="onehot", opts={"activation": "sigmoid"},
     edit=lambda lg, t: (lg, (torch.rand(t.shape, generator=G) > 0.5).to(D)))
# Cross-entropy
case("ce label map", "crossEntropyLoss")
case("ce class weights and ignore index", "crossEntropyLoss", opts={"classWeights": [0.2, 1.0, 3.0], "ignoreIndex": 255}, edit=with_ignored(255))
case("ce ignore index inside the class range", "crossEntropyLoss", opts={"ignoreIndex": 0})
case("ce label smoothing with class weights", "crossEntropyLoss", opts={"labelSmoothing": 0.1, "classWeights": [0.5, 1.0, 2.0]})
case("ce probability targets with class weights", "crossEntropyLoss", target="probs", opts={"classWeights": [0.5, 1.0, 2.0]})
case("ce label map with a channel dim", "crossEntropyLoss", target="labels-channel")
case("ce binary mask", "crossEntropyLoss", mask="binary")
case("ce soft mask, weights and ignore index", "crossEntropyLoss", mask="soft", opts={"classWeights": [0.2, 1.0, 3.0], "ignoreIndex": 255}, edit=with_ignored(255))
case("ce probability targets with a mask", "crossEntropyLoss", target="probs", mask="binary")
case("ce every voxel ignored", "crossEntropyLoss", opts={"ignoreIndex": 255}, edit=all_ignored(255))
case("ce every voxel masked out", "crossEntropyLoss", mask="zeros", opts={"classWeights": [0.2, 1.0, 3.0]})
case("ce reduction sum", "crossEntropyLoss", opts={"reduction": "sum", "ignoreIndex": 255}, edit=with_ignored(255))
case("ce reduction none with a mask", "crossEntropyLoss", mask="binary", opts={"reduction": "none"})
# Dice + CE
case("dice+ce defaults", "diceCELoss")
case("dice+ce nnU-Net style", "diceCELoss", opts={"dice": {"denominator": "linear", "batchDice": True, "includeBackground": False}})
case("dice+ce weights, ignore index and mask", "diceCELoss", mask="binary",
     opts={"ignoreIndex": 255, "diceWeight": 0.5, "ceWeight": 2.0, "crossEntropy": {"classWeights": [0.2, 1.0, 3.0]}}, edit=with_ignored(255))
case("dice+ce every voxel ignored", "diceCELoss", opts={"ignoreIndex": 255}, edit=all_ignored(255))

# ------------------------------------------------------------------------------------------------
# Fixture writing
# ------------------------------------------------------------------------------------------------


def main():
    write_case_fixture(OUT, CASES, SCRIPT, "labelwise-loss-goldens/1", MAX_BYTES)


if __name__ == "__main__":
    main()
