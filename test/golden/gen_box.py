#!/usr/bin/env python3
"""Generates test/golden/box.safetensors, the PyTorch goldens for src/losses/box.

Run with Debian's interpreter and python3-torch:

    /usr/bin/python3 test/golden/gen_box.py

Every case evaluates a float64 reference written from the recipe in
../shared/design/methods.md section A (not from the TypeScript code, and not from any published
implementation) and stores the value and its gradients:
  * projection: per (sample, organ) a loop over the three axes, max-projections with torch.amax
    (1-D profiles or 2-D planes), Dice 1 - (2 sum(xt) + s_n) / (sum(x^2) + sum(t^2) + s_d), or the
    mean squared projection for an annotated organ without a box ("penalise"); weighted mean over
    the entries that count;
  * pairwise: over the whole volume (no cropping), one explicit slice pair per neighbour offset,
    P(same) = p_i p_j + (1 - p_i)(1 - p_j) through logaddexp of log p and log1p(-p), weights
    1[S >= tau] inside the (max-pool dilated) box, S the dot product of unit embeddings or
    exp(-scale ||I_i - I_j||); "global" or per-"box" normalisation by max(sum w, 1);
  * supervised InfoNCE: a loop over anchors, each with an explicit logsumexp over all other samples;
  * Chamfer: the full squared distance matrix, min over each side, means summed;
  * box area: max(0, theta - mean_box p) per box, weighted mean.
src/losses/box/golden.test.ts runs every case through the TypeScript functions (in float64).

Layout: "<key>/<input>" inputs (logits, mask, weights, embedding, image, features, labels, x, y),
"<key>/loss" and "<key>/grad_<input>" for each differentiated input. __metadata__: torch_version,
generator, format and "cases", a JSON list of {key, fn, opts, inputs, grads}; `opts` uses the
TypeScript option names.
"""
import os

import torch
import torch.nn.functional as F

from golden_io import write_case_fixture

SCRIPT = "test/golden/gen_box.py"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "box.safetensors")
MAX_BYTES = 300_000

torch.set_num_threads(1)
D = torch.float64
GEN = torch.Generator().manual_seed(20260301)


def randn(*shape):
    return torch.randn(*shape, generator=GEN, dtype=D)


def rand(*shape):
    return torch.rand(*shape, generator=GEN, dtype=D)


# ------------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------------


def box_mask(shape, boxes_per_sample, channels):
    """(N, K, D, H, W) uint8 mask; boxes_per_sample[n] = [(channel, (z0, y0, x0), (z1, y1, x1)), ...]."""
    m = torch.zeros((len(boxes_per_sample), channels, *shape), dtype=torch.uint8)
    for n, boxes in enumerate(boxes_per_sample):
        for k, lo, hi in boxes:
            m[n, k, lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = 1
    return m


def probabilities(logits, activation):
    if activation == "softmax":
        return logits.softmax(1)[:, 1:]
    if activation == "sigmoid":
        return logits.sigmoid()
    return logits


def entry_weight(weights, n, k):
    if weights is None:
        return 1.0
    return float(weights[n]) if weights.dim() == 1 else float(weights[n, k])


# ------------------------------------------------------------------------------------------------
# References
# ------------------------------------------------------------------------------------------------


def ref_projection(logits, mask, opts, weights=None):
    act = opts.get("activation", "softmax")
    planes = opts.get("projection", "profile") == "plane"
    sn, sd = opts.get("smoothNumerator", 0.0), opts.get("smoothDenominator", 1e-5)
    penalise = opts.get("absent", "ignore") == "penalise"
    p = probabilities(logits, act)
    n_, k_ = mask.shape[:2]
    num, den = torch.zeros((), dtype=D), 0.0
    for n in range(n_):
        for k in range(k_):
            b = (mask[n, k] > 0).to(D)
            present = bool(b.sum() > 0)
            w = entry_weight(weights, n, k)
            if w == 0 or (not present and not penalise):
                continue
            total = torch.zeros((), dtype=D)
            for axis in range(3):
                dims = (axis,) if planes else tuple(d for d in range(3) if d != axis)
                x = torch.amax(p[n, k], dim=dims)
                t = torch.amax(b, dim=dims)
                if present:
                    denom = max_t((x * x).sum() + (t * t).sum() + sd, 1e-12)
                    total = total + 1 - (2 * (x * t).sum() + sn) / denom
                else:
                    total = total + (x * x).mean()
            num = num + w * total
            den += w
    return num / den if den > 0 else num * 0 + (logits * 0).sum()


def max_t(v, floor):
    return torch.clamp(v, min=floor)


def offsets(dilation):
    return [(z * dilation, y * dilation, x * dilation) for z in (-1, 0, 1) for y in (-1, 0, 1) for x in (-1, 0, 1) if (z, y, x) != (0, 0, 0)]


def pair_slices(size, o):
    """Slices of i and of j = i + o along one axis, both inside [0, size)."""
    lo, hi = max(0, -o), min(size, size - o)
    return slice(lo, hi), slice(lo + o, hi + o)


def log_probs(logits, act):
    if act == "softmax":
        p = logits.softmax(1)[:, 1:]
        return torch.log(p), torch.log1p(-p)
    if act == "sigmoid":
        p = logits.sigmoid()
        return torch.log(p), torch.log1p(-p)
    p = logits.clamp(1e-6, 1 - 1e-6)
    return torch.log(p), torch.log1p(-p)


def ref_pairwise(logits, mask, source, opts, weights=None):
    act = opts.get("activation", "softmax")
    kind = opts["affinity"]
    tau = opts["threshold"]
    r = opts.get("boxDilation", 0)
    dil = opts.get("neighbourDilation", 1)
    scale = opts.get("scale", 0.5)
    per_box = opts.get("normalization", "global") == "box"
    lp, lq = log_probs(logits, act)
    inside = (mask > 0).to(D)
    if r > 0:
        inside = F.max_pool3d(inside, 2 * r + 1, stride=1, padding=r)
    n_, k_, dd, hh, ww = mask.shape
    sums, counts = [], []
    for n in range(n_):
        for k in range(k_):
            wgt = entry_weight(weights, n, k)
            s, c = torch.zeros((), dtype=D), 0.0
            if wgt != 0:
                for o in offsets(dil):
                    (iz, jz), (iy, jy), (ix, jx) = pair_slices(dd, o[0]), pair_slices(hh, o[1]), pair_slices(ww, o[2])
                    a, b = source[n][:, iz, iy, ix], source[n][:, jz, jy, jx]
                    if kind == "embedding":
                        sim = (a * b).sum(0)
                    else:
                        sim = torch.exp(-scale * torch.sqrt(((a - b) ** 2).sum(0)))
                    w = (sim >= tau).to(D) * inside[n, k, iz, iy, ix] * wgt
                    same = torch.logaddexp(lp[n, k, iz, iy, ix] + lp[n, k, jz, jy, jx], lq[n, k, iz, iy, ix] + lq[n, k, jz, jy, jx])
                    s = s + (w * -same).sum()
                    c += float(w.sum())
            if c > 0:
                sums.append(s)
                counts.append(c)
    if not sums:
        return (logits * 0).sum()
    if per_box:
        return sum(s / max(c, 1.0) for s, c in zip(sums, counts)) / len(sums)
    return sum(sums) / max(sum(counts), 1.0)


def ref_supcon(features, labels, opts):
    tau = opts.get("temperature", 0.1)
    z = F.normalize(features, dim=1) if opts.get("normalize", True) else features
    m = features.shape[0]
    lab = labels.tolist()
    if len(set(lab)) < 2:
        return (features * 0).sum()
    per_anchor = []
    for a in range(m):
        pos = [p for p in range(m) if p != a and lab[p] == lab[a]]
        if not pos:
            continue
        others = torch.stack([z[a] @ z[b] / tau for b in range(m) if b != a])
        lse = torch.logsumexp(others, 0)
        per_anchor.append(-sum(z[a] @ z[p] / tau - lse for p in pos) / len(pos))
    return torch.stack(per_anchor).mean()


def ref_chamfer(x, y):
    d = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    return d.min(1).values.mean() + d.min(0).values.mean()


def ref_area(logits, mask, opts, weights=None):
    p = probabilities(logits, opts.get("activation", "softmax"))
    theta = opts.get("threshold", 0.25)
    num, den = (logits * 0).sum(), 0.0
    for n in range(mask.shape[0]):
        for k in range(mask.shape[1]):
            b = (mask[n, k] > 0).to(D)
            w = entry_weight(weights, n, k)
            if b.sum() == 0 or w == 0:
                continue
            f = (p[n, k] * b).sum() / b.sum()
            num = num + w * torch.relu(theta - f)
            den += w
    return num / den if den > 0 else num


# ------------------------------------------------------------------------------------------------
# Cases
# ------------------------------------------------------------------------------------------------

CASES = []


def add(key, fn, opts, inputs, grads, value):
    """inputs: name -> tensor; grads: names of inputs to differentiate; value: the reference loss."""
    tensors = {f"{key}/{name}": t.detach() for name, t in inputs.items()}
    tensors[f"{key}/loss"] = value.detach().reshape(())
    g = torch.autograd.grad(value, [inputs[name] for name in grads], allow_unused=True)
    for name, gi in zip(grads, g):
        tensors[f"{key}/grad_{name}"] = gi if gi is not None else torch.zeros_like(inputs[name])
    CASES.append(({"key": key, "fn": fn, "opts": opts, "inputs": sorted(inputs), "grads": grads}, tensors))


SHAPE = (4, 5, 6)
BOXES = [[(0, (1, 1, 1), (3, 4, 5)), (1, (0, 2, 0), (4, 5, 3))], [(1, (2, 0, 2), (4, 3, 6))]]


def case_projection(key, opts, channels_out, weights=None, boxes=BOXES):
    logits = randn(2, channels_out, *SHAPE).requires_grad_()
    mask = box_mask(SHAPE, boxes, 2)
    inputs = {"logits": logits, "mask": mask}
    if weights is not None:
        inputs["weights"] = weights
    if opts.get("activation") == "none":
        with torch.no_grad():
            logits.copy_(rand(*logits.shape) * 0.9 + 0.05)
    add(key, "projectionLoss", opts, inputs, ["logits"], ref_projection(logits, mask, opts, weights))


case_projection("projection/profile_softmax", {}, 3)
case_projection("projection/plane_softmax", {"projection": "plane"}, 3)
case_projection("projection/profile_sigmoid_smooth", {"activation": "sigmoid", "smoothNumerator": 1e-3, "smoothDenominator": 1e-3}, 2)
case_projection("projection/plane_probabilities", {"activation": "none", "projection": "plane"}, 2)
case_projection("projection/penalise_absent_weighted", {"absent": "penalise"}, 3, weights=torch.tensor([[1.0, 0.5], [0.0, 2.0]], dtype=D))
case_projection("projection/sample_weights_absent_ignored", {}, 3, weights=torch.tensor([0.0, 1.0], dtype=D))

PSHAPE = (4, 5, 6)
PBOXES = [[(0, (1, 1, 2), (4, 5, 6)), (1, (0, 0, 0), (3, 3, 4))], [(1, (2, 2, 1), (4, 5, 5))]]


def case_pairwise(key, opts, channels_out, weights=None):
    logits = randn(2, channels_out, *PSHAPE).requires_grad_()
    mask = box_mask(PSHAPE, PBOXES, 2)
    inputs = {"logits": logits, "mask": mask}
    if opts.get("activation") == "none":
        with torch.no_grad():
            logits.copy_(rand(*logits.shape) * 0.9 + 0.05)
    if opts["affinity"] == "embedding":
        # Smooth-ish embeddings (a shared direction plus noise) so that both sides of tau occur.
        source = F.normalize(randn(2, 4, *PSHAPE) * 0.6 + torch.tensor([1.0, 0.5, 0, 0], dtype=D).view(1, 4, 1, 1, 1), dim=1)
        inputs["embedding"] = source
    else:
        source = rand(2, 2 if opts.get("channels2") else 1, *PSHAPE) * 2
        inputs["image"] = source
    if weights is not None:
        inputs["weights"] = weights
    add(key, "pairwiseLoss", opts, inputs, ["logits"], ref_pairwise(logits, mask, source, opts, weights))


case_pairwise("pairwise/embedding_softmax", {"affinity": "embedding", "threshold": 0.7}, 3)
case_pairwise("pairwise/embedding_sigmoid_box_dilation", {"affinity": "embedding", "threshold": 0.6, "activation": "sigmoid", "boxDilation": 1}, 2)
case_pairwise("pairwise/embedding_per_box_weighted", {"affinity": "embedding", "threshold": 0.7, "normalization": "box"}, 3, weights=torch.tensor([[1.0, 0.5], [1.0, 2.0]], dtype=D))
case_pairwise("pairwise/intensity_softmax", {"affinity": "intensity", "threshold": 0.7}, 3)
case_pairwise("pairwise/intensity_two_channels_dilated_taps", {"affinity": "intensity", "threshold": 0.6, "scale": 0.8, "neighbourDilation": 2, "channels2": True}, 3)
case_pairwise("pairwise/intensity_probabilities", {"affinity": "intensity", "threshold": 0.7, "activation": "none"}, 2)


def case_supcon(key, opts, labels, m_dim=5):
    features = randn(len(labels), m_dim).requires_grad_()
    lab = torch.tensor(labels, dtype=torch.int64)
    add(key, "supConLoss", opts, {"features": features, "labels": lab}, ["features"], ref_supcon(features, lab, opts))


case_supcon("supcon/three_labels", {}, [0, 0, 1, 1, 1, 2, 2, 0, 1, 2, 0, 2])
case_supcon("supcon/singleton_anchor_t05", {"temperature": 0.5}, [0, 0, 0, 1, 1, 2])
case_supcon("supcon/unnormalised_features", {"normalize": False, "temperature": 2.0}, [1, 0, 1, 0, 1, 0, 3, 3])


def case_chamfer(key, p, q):
    x = (randn(p, 3) * 2).requires_grad_()
    y = (randn(q, 3) * 2 + 0.3).requires_grad_()
    add(key, "chamferDistance", {}, {"x": x, "y": y}, ["x", "y"], ref_chamfer(x, y))


case_chamfer("chamfer/20_15", 20, 15)
case_chamfer("chamfer/7_40", 7, 40)


def case_area(key, opts, channels_out, weights=None):
    logits = (randn(2, channels_out, *SHAPE) - 1.0).requires_grad_()
    mask = box_mask(SHAPE, BOXES, 2)
    inputs = {"logits": logits, "mask": mask}
    if weights is not None:
        inputs["weights"] = weights
    add(key, "boxAreaLoss", opts, inputs, ["logits"], ref_area(logits, mask, opts, weights))


case_area("area/softmax_theta05", {"threshold": 0.5}, 3)
case_area("area/sigmoid_weighted", {"activation": "sigmoid", "threshold": 0.4}, 2, weights=torch.tensor([[1.0, 0.0], [1.0, 3.0]], dtype=D))

# ------------------------------------------------------------------------------------------------
# Writer
# ------------------------------------------------------------------------------------------------


def main():
    write_case_fixture(OUT, CASES, SCRIPT, "labelwise-box-loss-goldens/1", MAX_BYTES)


if __name__ == "__main__":
    main()
