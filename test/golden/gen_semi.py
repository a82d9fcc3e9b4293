#!/usr/bin/env python3
"""Generates test/golden/semi.safetensors, the PyTorch goldens for src/losses/semi and
src/nn/heads.

Run with Debian's interpreter and python3-torch:

    /usr/bin/python3 test/golden/gen_semi.py

The references below are written from the recipes in ../shared/design/methods.md (sections B, C,
D), independently of the TypeScript code and in a deliberately plain style (explicit loops, Python
sorting, scipy for connected components). The published implementations' defects are NOT
reproduced: every contrastive term keeps its gradient, prototypes are pushed apart, and consistency
targets are detached.
  * FBA-Net head: Conv3d(C->1, 3, stride 2, padding 1) -> BatchNorm3d (train mode) -> sigmoid = A;
    z_f = MLP_f(vec(A)/M), z_b = MLP_b(vec(1-A)/M), M = voxels of A (M = 1 for inputScale "none");
    the loss's gradient with respect to the logits is checked to be non-zero.
  * Rank-weighted similarity: s = clamp(cos, 5e-4, 0.9995); in row i the pairs are sorted by
    (-s, column); the r-th (0-based) gets weight exp(-alpha r); positive: mean(-log(s) w), negative:
    mean(-log(1-s) w). Self-comparisons (Max(f), Max(b)) leave out the diagonal; Min(f, b) keeps it.
  * Sharpening: p^(1/T) / sum_c p^(1/T) (binary: p^(1/T) / (p^(1/T) + (1-p)^(1/T))).
  * Mutual consistency: mean over ordered pairs i != j of mean((p_i - sharpen(p_j).detach())^2).
  * Softmax MSE: sum_v w_v sum_c (p - q.detach())^2 / (C sum_v w_v).
  * Verification: per foreground class M = (pA >= 0.6) xor (pB >= 0.6); sum M (p - y)^2 / sum M.
  * Union pseudo-labels: union of argmaxes (fg beats bg; two fg classes -> the surer net), reliable
    when entropy <= the k-th smallest entropy of either net, k = ceil(0.2 n).
  * Prototype loss: mu_k = mean of reliable features of class k; pull = mean over unreliable voxels
    of 1 - cos(f_v, mu_{winner(v)}.detach()); push = mean over pairs of -log((1 - cos(mu_k, mu_l))/2 + 1e-4).
  * Cross pseudo supervision: CE(A, argmax B) + CE(B, argmax A).
  * BCP: cuboid of floor(2/3 n) per axis at torch.randint positions (D, H, W order) from a seeded
    torch.Generator; mixing by an explicit voxel loop; largest component per class via scipy.ndimage
    with the full 3x3x3 structure.
src/losses/semi/golden.test.ts reads every case (in float64).

Layout: "<case>/<name>" tensors; __metadata__: torch_version, generator, format, and "cases", a JSON
object of per-case settings (options in the TypeScript names).
"""
import json
import math
import os
import sys

import numpy as np
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F

from golden_io import write_safetensors

SCRIPT = "test/golden/gen_semi.py"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "semi.safetensors")
MAX_BYTES = 300_000

torch.set_num_threads(1)
D = torch.float64
G = torch.Generator()
TENSORS = {}
CASES = {}


def put(case, name, t):
    TENSORS[f"{case}/{name}"] = t.detach().clone()


def seed(key):
    G.manual_seed(sum(map(ord, key)) * 7919)


def randn(*shape, scale=1.0):
    return torch.randn(shape, generator=G, dtype=D) * scale


def grads_of(loss, *xs):
    return torch.autograd.grad(loss, xs, allow_unused=True)


# ------------------------------------------------------------------------------------------------
# B. FBA-Net
# ------------------------------------------------------------------------------------------------


def ref_rank_loss(x, y, kind, alpha, exclude):
    s = (F.normalize(x, dim=1) @ F.normalize(y, dim=1).T).clamp(5e-4, 0.9995)
    total, count = x.sum() * 0, 0
    for i in range(s.shape[0]):
        cols = [j for j in range(s.shape[1]) if not (exclude and i == j)]
        ordered = sorted(cols, key=lambda j: (-s[i, j].item(), j))
        for r, j in enumerate(ordered):
            term = -torch.log(s[i, j]) if kind == "positive" else -torch.log(1 - s[i, j])
            total = total + term * math.exp(-alpha * r)
            count += 1
    return total / count if count else total


def ref_fba(zf, zb):
    f = ref_rank_loss(zf, zf, "positive", 0.25, True)
    b = ref_rank_loss(zb, zb, "positive", 0.25, True)
    n = ref_rank_loss(zf, zb, "negative", 2.5, False)
    return f, b, n


def similarity_case(key, b, e, shift=0.0):
    """Random embeddings; `shift` moves them towards a common direction (more unclamped similarities)."""
    seed(key)
    zf = (randn(b, e) + shift).requires_grad_(True)
    zb = (randn(b, e) + shift * 0.5).requires_grad_(True)
    f, bg, n = ref_fba(zf, zb)
    loss = f + bg + n
    gf, gb = grads_of(loss, zf, zb)
    for name, t in {"zf": zf, "zb": zb, "foreground": f, "background": bg, "negative": n, "loss": loss, "grad_zf": gf, "grad_zb": gb}.items():
        put(key, name, t)
    CASES[key] = {"kind": "similarity"}


class FBAHead(torch.nn.Module):
    def __init__(self, patch, channels, hidden, dim, scale):
        super().__init__()
        self.scale = scale
        self.conv = torch.nn.Conv3d(channels, 1, 3, stride=2, padding=1)
        self.bn = torch.nn.BatchNorm3d(1)
        m = 1
        for n in patch:
            m *= (n - 1) // 2 + 1
        self.m = m
        self.foregroundMlp = torch.nn.Sequential(torch.nn.Linear(m, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, dim))
        self.backgroundMlp = torch.nn.Sequential(torch.nn.Linear(m, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, dim))

    def forward(self, logits):
        a = torch.sigmoid(self.bn(self.conv(logits)))
        v = a.reshape(a.shape[0], -1)
        div = self.m if self.scale == "mean" else 1
        return self.foregroundMlp(v / div), self.backgroundMlp((1 - v) / div), a


def head_case(key, n=3, channels=2, patch=(4, 6, 5), hidden=10, dim=6, scale="mean"):
    seed(key)
    head = FBAHead(patch, channels, hidden, dim, scale).to(D)
    with torch.no_grad():
        for name, p in head.named_parameters():
            p.copy_(torch.randn(p.shape, generator=G, dtype=D) * (0.3 if "Mlp" in name else 0.5))
            if scale == "mean" and name.endswith("Mlp.0.weight"):
                # With inputs vec(A)/M the first layer needs weights ~M for A to matter at all (with
                # PyTorch's default init every similarity saturates its clamp: no gradient to check).
                p.mul_(head.m)
    for name, t in head.state_dict().items():
        put(key, f"state/{name}", t)
    logits = randn(n, channels, *patch, scale=2.0).requires_grad_(True)
    head.train()
    zf, zb, a = head(logits)
    f, b, neg = ref_fba(zf, zb)
    loss = f + b + neg
    (g,) = grads_of(loss, logits)
    assert g.abs().max() > 1e-4, f"{key}: the contrastive loss must reach the logits"
    for name, t in {"logits": logits, "foreground": zf, "background": zb, "activation": a, "loss": loss, "grad_logits": g,
                    "running_mean": head.bn.running_mean, "running_var": head.bn.running_var}.items():
        put(key, name, t)
    CASES[key] = {"kind": "head", "patchSize": list(patch), "inChannels": channels, "hiddenDim": hidden, "embeddingDim": dim, "inputScale": scale}


def ref_sharpen(p, t, binary):
    k = 1.0 / t
    if binary:
        return p ** k / (p ** k + (1 - p) ** k)
    return p ** k / (p ** k).sum(1, keepdim=True)


def sharpen_case(key, shape, binary, t=0.1):
    seed(key)
    x = randn(*shape, scale=2.0)
    p = torch.sigmoid(x) if binary else torch.softmax(x, 1)
    put(key, "probs", p)
    put(key, "sharpened", ref_sharpen(p, t, binary))
    CASES[key] = {"kind": "sharpen", "temperature": t, "binary": binary}


def mutual_case(key, k, shape, activation="softmax", t=0.1):
    seed(key)
    logits = [randn(*shape, scale=2.0).requires_grad_(True) for _ in range(k)]
    prob = (lambda z: torch.softmax(z, 1)) if activation == "softmax" else torch.sigmoid
    total, pairs = 0, 0
    for i in range(k):
        for j in range(k):
            if i != j:
                target = ref_sharpen(prob(logits[j]), t, activation == "sigmoid").detach()
                total = total + ((prob(logits[i]) - target) ** 2).mean()
                pairs += 1
    loss = total / pairs
    grads = grads_of(loss, *logits)
    for i in range(k):
        put(key, f"logits{i}", logits[i])
        put(key, f"grad{i}", grads[i])
    put(key, "loss", loss)
    CASES[key] = {"kind": "mutual", "decoders": k, "activation": activation, "temperature": t}


def softmax_mse_case(key, shape, masked):
    seed(key)
    s = randn(*shape).requires_grad_(True)
    t = randn(*shape).requires_grad_(True)
    d2 = (torch.softmax(s, 1) - torch.softmax(t, 1).detach()) ** 2
    if masked:
        w = torch.rand((shape[0], *shape[2:]), generator=G, dtype=D)
        w[w < 0.3] = 0
        loss = (d2 * w.unsqueeze(1)).sum() / (shape[1] * w.sum())
        put(key, "mask", w)
    else:
        loss = d2.mean()
    gs, gt = grads_of(loss, s, t)
    assert gt is None or bool((gt == 0).all()), "teacher must receive no gradient"
    for name, v in {"student": s, "teacher": t, "loss": loss, "grad_student": gs}.items():
        put(key, name, v)
    CASES[key] = {"kind": "softmax_mse", "masked": masked}


# ------------------------------------------------------------------------------------------------
# C. Two sub-networks
# ------------------------------------------------------------------------------------------------


def verification_case(key, c, shape=(2, 4, 4, 3), agree=False, ignore=None):
    seed(key)
    n = shape[0]
    labels = torch.randint(0, c, shape, generator=G)
    la = randn(n, c, *shape[1:], scale=2.5).requires_grad_(True)
    lb = (la.detach().clone() if agree else randn(n, c, *shape[1:], scale=2.5)).requires_grad_(True)
    if ignore is not None:
        labels[torch.rand(shape, generator=G) < 0.25] = ignore
    pa, pb = torch.softmax(la, 1), torch.softmax(lb, 1)
    num_a, num_b, count = la.sum() * 0, lb.sum() * 0, 0.0
    masks = []
    for k in range(1, c):
        y = (labels == k).to(D)
        m = (pa[:, k].detach() >= 0.6) ^ (pb[:, k].detach() >= 0.6)
        if ignore is not None:
            m = m & (labels != ignore)
        masks.append(m)
        mf = m.to(D)
        num_a = num_a + (mf * (pa[:, k] - y) ** 2).sum()
        num_b = num_b + (mf * (pb[:, k] - y) ** 2).sum()
        count += float(mf.sum())
    a = num_a / count if count > 0 else num_a * 0
    b = num_b / count if count > 0 else num_b * 0
    ga, gb = grads_of(a + b, la, lb)
    for name, v in {"logitsA": la, "logitsB": lb, "labels": labels, "a": a, "b": b, "gradA": ga, "gradB": gb,
                    "disagreement": torch.stack(masks, 1).to(torch.uint8)}.items():
        put(key, name, v)
    CASES[key] = {"kind": "verification", "ignoreIndex": ignore, "count": count}


def entropy(p):
    return -(torch.where(p > 0, p * torch.log(p), torch.zeros_like(p))).sum(1)


def low_entropy(h, fraction, per):
    out = torch.zeros_like(h, dtype=torch.bool)
    groups = [slice(None)] if per == "batch" else [i for i in range(h.shape[0])]
    for g in groups:
        vals = h[g].reshape(-1)
        k = min(vals.numel(), math.ceil(fraction * vals.numel() - 1e-9))
        if k > 0:
            kth = sorted(vals.tolist())[k - 1]
            out[g] = h[g] <= kth
    return out


def union_case(key, c, shape=(2, 5, 4, 3), per="batch", fraction=0.2):
    seed(key)
    n = shape[0]
    la = randn(n, c, *shape[1:], scale=2.0).requires_grad_(True)
    lb = randn(n, c, *shape[1:], scale=2.0)
    pa, pb = torch.softmax(la.detach(), 1), torch.softmax(lb, 1)
    ca, a = pa.max(1)
    cb, b = pb.max(1)
    union = torch.empty_like(a)
    flat = [t.reshape(-1) for t in (a, b, ca, cb)]
    u = union.reshape(-1)
    for v in range(u.numel()):
        av, bv, cav, cbv = (int(flat[0][v]), int(flat[1][v]), float(flat[2][v]), float(flat[3][v]))
        if av == bv:
            u[v] = av
        elif av == 0:
            u[v] = bv
        elif bv == 0:
            u[v] = av
        else:
            u[v] = av if cav >= cbv else bv
    reliable = low_entropy(entropy(pa), fraction, per) | low_entropy(entropy(pb), fraction, per)
    labels = torch.where(reliable, union, torch.full_like(union, 255))
    conf = 0.5 * (pa.gather(1, union.unsqueeze(1)) + pb.gather(1, union.unsqueeze(1))).squeeze(1)
    # Reliable cross-entropy of network A, uniform and confidence-weighted.
    ce = F.cross_entropy(la, labels, ignore_index=255, reduction="none")
    r = reliable.to(D)
    uniform = (ce * r).sum() / r.sum()
    weighted = (ce * r * conf).sum() / (r * conf).sum()
    (gu,) = torch.autograd.grad(uniform, la, retain_graph=True)
    (gw,) = grads_of(weighted, la)
    for name, v in {"logitsA": la, "logitsB": lb, "labels": labels, "union": union, "reliable": reliable.to(torch.uint8),
                    "confidence": conf, "ce_uniform": uniform, "ce_confidence": weighted, "grad_uniform": gu, "grad_confidence": gw}.items():
        put(key, name, v)
    CASES[key] = {"kind": "union", "per": per, "reliableFraction": fraction}


def prototype_case(key, c, shape=(2, 4, 4, 3), dim=5, detach=True):
    seed(key)
    n = shape[0]
    feats = (randn(n, dim, *shape[1:]) + 0.5).requires_grad_(True)
    reliable = torch.randint(0, c, shape, generator=G)
    reliable[torch.rand(shape, generator=G) < 0.4] = 255
    cand = torch.randint(0, c, shape, generator=G)
    f = feats.transpose(0, 1).reshape(dim, -1)
    rl, cl = reliable.reshape(-1), cand.reshape(-1)
    mus, present = [], []
    for k in range(c):
        idx = [v for v in range(rl.numel()) if int(rl[v]) == k]
        present.append(len(idx) > 0)
        mus.append(f[:, idx].mean(1) if idx else torch.zeros(dim, dtype=D))
    pull_sum, pulled = feats.sum() * 0, 0
    for v in range(rl.numel()):
        k = int(cl[v])
        if int(rl[v]) == 255 and present[k]:
            anchor = mus[k].detach() if detach else mus[k]
            pull_sum = pull_sum + 1 - F.cosine_similarity(f[:, v], anchor, dim=0, eps=1e-30)
            pulled += 1
    pull = pull_sum / pulled if pulled else pull_sum
    push_sum, pairs = feats.sum() * 0, 0
    for k in range(c):
        for l in range(k + 1, c):
            if present[k] and present[l]:
                cos = F.normalize(mus[k], dim=0) @ F.normalize(mus[l], dim=0)
                push_sum = push_sum - torch.log((1 - cos) / 2 + 1e-4)
                pairs += 1
    push = push_sum / pairs if pairs else push_sum
    loss = pull + push
    (g,) = grads_of(loss, feats)
    for name, v in {"features": feats, "reliable": reliable, "candidates": cand, "pull": pull, "push": push, "loss": loss,
                    "grad": g, "prototypes": torch.stack(mus)}.items():
        put(key, name, v)
    CASES[key] = {"kind": "prototype", "numClasses": c, "detachPullTargets": detach}


# ------------------------------------------------------------------------------------------------
# D. Baselines
# ------------------------------------------------------------------------------------------------


def cps_case(key, c, shape=(2, 4, 3, 3)):
    seed(key)
    n = shape[0]
    la = randn(n, c, *shape[1:], scale=2.0).requires_grad_(True)
    lb = randn(n, c, *shape[1:], scale=2.0).requires_grad_(True)
    a = F.cross_entropy(la, lb.detach().argmax(1))
    b = F.cross_entropy(lb, la.detach().argmax(1))
    ga, gb = grads_of(a + b, la, lb)
    for name, v in {"logitsA": la, "logitsB": lb, "a": a, "b": b, "gradA": ga, "gradB": gb}.items():
        put(key, name, v)
    CASES[key] = {"kind": "cps"}


def bcp_case(key, shape=(5, 6, 4), gen_seed=1234, alpha=0.5, n=2, c=1):
    seed(key)
    gen = torch.Generator().manual_seed(gen_seed)
    size = [max(1, math.floor(2 / 3 * s + 1e-9)) for s in shape]
    start = [int(torch.randint(0, s - z + 1, (1,), generator=gen)) for s, z in zip(shape, size)]
    mask = torch.zeros(shape, dtype=torch.bool)
    mask[start[0]:start[0] + size[0], start[1]:start[1] + size[1], start[2]:start[2] + size[2]] = True
    xl, xu = randn(n, c, *shape), randn(n, c, *shape)
    yl = torch.randint(0, 3, (n, *shape), generator=G)
    yu = torch.randint(0, 3, (n, *shape), generator=G)
    out = {k: torch.empty_like(v) for k, v in {"lu_images": xl, "ul_images": xl, "lu_labels": yl, "ul_labels": yl}.items()}
    out["lu_weights"] = torch.empty((n, *shape), dtype=D)
    out["ul_weights"] = torch.empty((n, *shape), dtype=D)
    for i in range(n):
        for z in range(shape[0]):
            for y in range(shape[1]):
                for x in range(shape[2]):
                    inside = bool(mask[z, y, x])
                    out["lu_images"][i, :, z, y, x] = xl[i, :, z, y, x] if inside else xu[i, :, z, y, x]
                    out["ul_images"][i, :, z, y, x] = xu[i, :, z, y, x] if inside else xl[i, :, z, y, x]
                    out["lu_labels"][i, z, y, x] = yl[i, z, y, x] if inside else yu[i, z, y, x]
                    out["ul_labels"][i, z, y, x] = yu[i, z, y, x] if inside else yl[i, z, y, x]
                    out["lu_weights"][i, z, y, x] = 1.0 if inside else alpha
                    out["ul_weights"][i, z, y, x] = alpha if inside else 1.0
    for name, v in {"mask": mask.to(torch.uint8), "labelledImages": xl, "unlabelledImages": xu, "labelledLabels": yl, "unlabelledLabels": yu, **out}.items():
        put(key, name, v)
    CASES[key] = {"kind": "bcp", "shape": list(shape), "seed": gen_seed, "start": start, "size": size, "unlabelledWeight": alpha}


def lcc_case(key, shape=(2, 7, 8, 6), classes=3):
    seed(key)
    labels = torch.randint(0, classes, shape, generator=G)
    labels[torch.rand(shape, generator=G) < 0.55] = 0
    out = labels.clone()
    structure = np.ones((3, 3, 3), dtype=bool)
    for i in range(shape[0]):
        arr = labels[i].numpy()
        res = arr.copy()
        for k in range(1, classes):
            comp, count = ndi.label(arr == k, structure=structure)
            if count == 0:
                continue
            sizes = np.bincount(comp.ravel())[1:]
            best = int(np.argmax(sizes)) + 1  # ties: the lowest label, i.e. the first in raster order
            res[(comp != best) & (comp != 0)] = 0
        out[i] = torch.from_numpy(res)
    put(key, "labels", labels)
    put(key, "largest", out)
    CASES[key] = {"kind": "lcc"}


def rampup_table():
    rows = []
    for cur, length in [(0, 40), (10, 40), (20, 40), (39, 40), (40, 40), (75, 40), (-3, 40), (5, 0), (3.5, 7)]:
        t = min(max(cur / length, 0.0), 1.0) if length > 0 else 1.0
        rows.append([cur, length, math.exp(-5 * (1 - t) ** 2)])
    fba = [[it, math.exp(-5 * (1 - min(it // 150, 40) / 40) ** 2)] for it in (0, 149, 150, 3000, 5999, 6000, 9000)]
    return {"sigmoidRampup": rows, "consistencyWeight": fba}


# ------------------------------------------------------------------------------------------------

similarity_case("similarity/random", 5, 6)
similarity_case("similarity/aligned", 6, 5, shift=1.5)
similarity_case("similarity/pair", 2, 4, shift=0.8)
head_case("head/binary")
head_case("head/three-class", n=4, channels=3, patch=(5, 4, 6), hidden=8, dim=5)
head_case("head/unscaled input", n=3, channels=2, patch=(3, 4, 4), hidden=6, dim=4, scale="none")
sharpen_case("sharpen/softmax", (2, 3, 4, 3), False)
sharpen_case("sharpen/binary", (2, 1, 4, 3), True)
sharpen_case("sharpen/softmax T=0.5", (2, 2, 3, 3), False, t=0.5)
mutual_case("mutual/three decoders", 3, (2, 2, 3, 4, 2))
mutual_case("mutual/two decoders three classes", 2, (2, 3, 3, 2, 2))
mutual_case("mutual/sigmoid", 3, (2, 1, 3, 3, 2), activation="sigmoid")
softmax_mse_case("softmax_mse/plain", (2, 3, 3, 4, 2), False)
softmax_mse_case("softmax_mse/masked", (2, 2, 3, 4, 2), True)
verification_case("verification/binary", 2)
verification_case("verification/three-class", 3)
verification_case("verification/ignore", 3, ignore=255)
verification_case("verification/agree", 2, agree=True)
union_case("union/binary batch", 2)
union_case("union/three-class batch", 3)
union_case("union/three-class sample", 3, per="sample", fraction=0.3)
prototype_case("prototype/binary", 2)
prototype_case("prototype/three-class", 3, dim=6)
prototype_case("prototype/binary undetached", 2, detach=False)
cps_case("cps/binary", 2)
cps_case("cps/three-class", 3)
bcp_case("bcp/default")
lcc_case("lcc/three-class")


def main():
    for name, t in TENSORS.items():
        if t.is_floating_point():
            assert torch.isfinite(t).all(), name
    metadata = {
        "torch_version": torch.__version__,
        "generator": SCRIPT,
        "format": "labelwise-semi-goldens/1",
        "cases": json.dumps(CASES, sort_keys=True, separators=(",", ":")),
        "schedules": json.dumps(rampup_table(), separators=(",", ":")),
    }
    size = write_safetensors(OUT, TENSORS, metadata)
    print(f"wrote {os.path.relpath(OUT)}: {len(CASES)} cases, {len(TENSORS)} tensors, {size} bytes (torch {torch.__version__})")
    if size > MAX_BYTES:
        sys.exit(f"golden file is {size} bytes, over the {MAX_BYTES} byte budget: shrink the cases")


if __name__ == "__main__":
    main()
