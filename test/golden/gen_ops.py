#!/usr/bin/env python3
"""Generates test/golden/ops.safetensors, the PyTorch goldens for src/tensor/ops.

Run with Debian's interpreter and python3-torch (the same libtorch the addon links):

    /usr/bin/python3 test/golden/gen_ops.py        (or: npm run golden)

Every case runs a torch computation on small inputs drawn from a generator seeded by the case's
name, then stores the inputs, the outputs and, for differentiable outputs, an upstream gradient
and the resulting input gradients. src/tensor/ops/golden.test.ts runs the same case through the
TypeScript op functions and compares. A case is keyed "<op> <description>", where <op> is the
exported TypeScript function the case exercises; the TS test table uses the same keys.

Layout of the file (safetensors, written by hand below so the generator needs nothing but torch):
  "<key>/in/<name>"   input tensors (before the call; in-place ops mutate copies)
  "<key>/out/<i>"     outputs, in order
  "<key>/up/<i>"      upstream gradient for output i (only outputs that require grad)
  "<key>/grad/<name>" gradient of an input after backward(outputs, upstreams)
__metadata__: torch_version, generator (this script's path), format, and "cases", a JSON list of
{key, op, desc, inputs, grad_inputs, outputs, diff_outputs, grads, rtol?, atol?}.

The output is deterministic: same torch build, same bytes.
"""
import json
import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F

from golden_io import write_safetensors

SCRIPT = "test/golden/gen_ops.py"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops.safetensors")
MAX_BYTES = 1_000_000

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

# ------------------------------------------------------------------------------------------------
# Case table machinery
# ------------------------------------------------------------------------------------------------

G = torch.Generator()
CASES = []
KEYS = set()


def rn(*shape, scale=1.0, dtype=torch.float32):
    """Standard normal samples (times scale)."""
    return (torch.randn(shape, generator=G, dtype=torch.float64) * scale).to(dtype)


def un(lo, hi, *shape, dtype=torch.float32):
    """Uniform samples in [lo, hi)."""
    return (torch.rand(shape, generator=G, dtype=torch.float64) * (hi - lo) + lo).to(dtype)


def pos(*shape):
    """Positive values away from zero, for log/sqrt/div."""
    return un(0.5, 2.0, *shape)


def ri(lo, hi, *shape):
    """int64 values in [lo, hi)."""
    return torch.randint(lo, hi, shape, generator=G, dtype=torch.int64)


def rb(*shape):
    """A random bool mask."""
    return torch.rand(shape, generator=G) < 0.5


def perm_index(n, dim_size, *shape_rest):
    """Rows of distinct indices in [0, dim_size) (scatter without duplicates)."""
    rows = [torch.randperm(dim_size, generator=G)[:n] for _ in range(math.prod(shape_rest) or 1)]
    return torch.stack(rows, -1).reshape((n, *shape_rest))


def case(op, desc, fn, inputs=None, grad=None, rtol=None, atol=None):
    """Registers one golden.

    op:     the TypeScript export the case tests (e.g. "conv3d")
    desc:   the rest of the test name, "conv3d() matches torch <desc>"
    fn:     torch computation; called with the inputs as keyword arguments, returns a tensor or a
            tuple/list of tensors
    inputs: zero-argument callable returning {name: tensor}, drawn after seeding G by the key
    grad:   None = every floating input requires grad; False = none; or a list of input names
    """
    key = f"{op} {desc}"
    if key in KEYS:
        raise ValueError(f"duplicate case {key}")
    KEYS.add(key)
    G.manual_seed(zlib.crc32(key.encode()))
    ins = inputs() if inputs else {}
    stored_inputs = {k: v.detach().clone() for k, v in ins.items()}
    if grad is None:
        grad_names = [k for k, v in ins.items() if v.is_floating_point()]
    elif grad is False:
        grad_names = []
    else:
        grad_names = list(grad)
    for k in grad_names:
        ins[k].requires_grad_(True)
    out = fn(**ins)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    diff = [i for i, o in enumerate(outs) if o.requires_grad]
    ups = [torch.randn(outs[i].shape, generator=G, dtype=outs[i].dtype) for i in diff]
    grads = {}
    if diff:
        torch.autograd.backward([outs[i] for i in diff], ups)
        for k in grad_names:
            if ins[k].grad is not None:
                grads[k] = ins[k].grad.detach().clone()
    tensors = {}
    for k, v in stored_inputs.items():
        tensors[f"{key}/in/{k}"] = v
    for i, o in enumerate(outs):
        tensors[f"{key}/out/{i}"] = o.detach().clone()
    for i, u in zip(diff, ups):
        tensors[f"{key}/up/{i}"] = u
    for k, g in grads.items():
        tensors[f"{key}/grad/{k}"] = g
    meta = {
        "key": key,
        "op": op,
        "desc": desc,
        "inputs": list(stored_inputs.keys()),
        "grad_inputs": grad_names,
        "outputs": len(outs),
        "diff_outputs": diff,
        "grads": list(grads.keys()),
    }
    if rtol is not None:
        meta["rtol"] = rtol
    if atol is not None:
        meta["atol"] = atol
    CASES.append((meta, tensors))


V = (1, 2, 4, 5, 6)  # a small (N, C, D, H, W) volume


def gen(seed):
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------------------------
# creation.ts
# ------------------------------------------------------------------------------------------------

case("zeros", "with a float32 shape", lambda: torch.zeros(2, 3))
case("ones", "with dtype int64", lambda: torch.ones(2, 3, dtype=torch.int64))
case("full", "with a fractional value", lambda: torch.full((2, 2), 3.5))
case("zerosLike", "of a float tensor", lambda a: torch.zeros_like(a), lambda: dict(a=rn(2, 3)), grad=False)
case("onesLike", "with dtype float64", lambda a: torch.ones_like(a, dtype=torch.float64), lambda: dict(a=rn(2, 3)), grad=False)
case("fullLike", "of an int64 tensor", lambda a: torch.full_like(a, 7), lambda: dict(a=ri(0, 5, 3)))
case("arange", "with one integer bound", lambda: torch.arange(5))
case("arange", "with a fractional step", lambda: torch.arange(1, 2, 0.25))
case("arange", "with an integer step", lambda: torch.arange(0, 10, 3))
case("linspace", "from 0 to 1 in 5 steps", lambda: torch.linspace(0, 1, 5))
case("eye", "of size 3", lambda: torch.eye(3))
case("rand", "with a seeded generator", lambda: torch.rand(2, 3, generator=gen(1234)))
case("randn", "with a seeded generator", lambda: torch.randn(2, 3, generator=gen(1234)))
case("randint", "with a seeded generator", lambda: torch.randint(-3, 9, (2, 5), generator=gen(1234)))
case("randperm", "with a seeded generator", lambda: torch.randperm(10, generator=gen(1234)))
case("normal", "with a seeded generator", lambda: torch.normal(2.0, 0.5, (2, 3), generator=gen(1234)))


def seeded_randn():
    torch.manual_seed(3)
    return torch.randn(2, 3)


case("manualSeed", "then randn draws torch's numbers from the default generator", seeded_randn)

# ------------------------------------------------------------------------------------------------
# elementwise.ts
# ------------------------------------------------------------------------------------------------

case("add", "for two tensors with broadcasting", lambda a, b: a + b, lambda: dict(a=rn(3, 4), b=rn(4)))
case("add", "with a fractional scalar", lambda a: a + 2.5, lambda: dict(a=rn(3, 4)))
case("add", "with an integral scalar on int64", lambda a: a + 3, lambda: dict(a=ri(-5, 5, 3, 4)))
case("sub", "for two tensors", lambda a, b: a - b, lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case("sub", "with a scalar", lambda a: a - 1.5, lambda: dict(a=rn(3, 4)))
case("mul", "for two tensors with broadcasting", lambda a, b: a * b, lambda: dict(a=rn(2, 3, 4), b=rn(3, 1)))
case("mul", "with a scalar", lambda a: a * -0.75, lambda: dict(a=rn(3, 4)))
case("div", "for two tensors", lambda a, b: a / b, lambda: dict(a=rn(3, 4), b=pos(3, 4)))
case("div", "with a scalar", lambda a: a / 4, lambda: dict(a=rn(3, 4)))
case("div", "of int64 by an integer scalar (true division)", lambda a: a / 4, lambda: dict(a=ri(-9, 9, 3, 4)))
case("rsub", "with a scalar", lambda a: torch.rsub(a, 2.0), lambda: dict(a=rn(3, 4)))
case("pow", "with exponent 2", lambda a: a ** 2, lambda: dict(a=rn(3, 4)))
case("pow", "with exponent 0.5", lambda a: a ** 0.5, lambda: dict(a=pos(3, 4)))
case("pow", "with a tensor exponent", lambda a, b: torch.pow(a, b), lambda: dict(a=pos(3, 4), b=rn(3, 4)))
case("remainder", "for two tensors", lambda a, b: torch.remainder(a, b), lambda: dict(a=rn(3, 4, scale=3), b=pos(3, 4)))
case("remainder", "with a scalar", lambda a: torch.remainder(a, 1.5), lambda: dict(a=rn(3, 4, scale=3)))
case("remainder", "of int64 with an integer scalar", lambda a: torch.remainder(a, 3), lambda: dict(a=ri(-9, 9, 3, 4)))
case("floorDivide", "with a scalar", lambda a: torch.floor_divide(a, 0.7), lambda: dict(a=rn(3, 4, scale=3)), grad=False)
case("floorDivide", "for two int64 tensors", lambda a, b: torch.floor_divide(a, b), lambda: dict(a=ri(-9, 9, 3, 4), b=ri(1, 4, 3, 4)))
case("maximum", "for two tensors", lambda a, b: torch.maximum(a, b), lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case("minimum", "for two tensors", lambda a, b: torch.minimum(a, b), lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case("addcmul", "with value 0.5", lambda a, t1, t2: torch.addcmul(a, t1, t2, value=0.5), lambda: dict(a=rn(3, 4), t1=rn(3, 4), t2=rn(3, 4)))
case("addcdiv", "with value 2", lambda a, t1, t2: torch.addcdiv(a, t1, t2, value=2), lambda: dict(a=rn(3, 4), t1=rn(3, 4), t2=pos(3, 4)))
case("lerp", "with a scalar weight", lambda a, b: torch.lerp(a, b, 0.3), lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case("lerp", "with a tensor weight", lambda a, b, w: torch.lerp(a, b, w), lambda: dict(a=rn(3, 4), b=rn(3, 4), w=un(0, 1, 3, 4)))

for name, fn, make in [
    ("neg", torch.neg, lambda: rn(3, 4)),
    ("abs", torch.abs, lambda: rn(3, 4)),
    ("exp", torch.exp, lambda: rn(3, 4)),
    ("log", torch.log, lambda: pos(3, 4)),
    ("log1p", torch.log1p, lambda: pos(3, 4)),
    ("log2", torch.log2, lambda: pos(3, 4)),
    ("sqrt", torch.sqrt, lambda: pos(3, 4)),
    ("rsqrt", torch.rsqrt, lambda: pos(3, 4)),
    ("square", torch.square, lambda: rn(3, 4)),
    ("reciprocal", torch.reciprocal, lambda: pos(3, 4)),
    ("sin", torch.sin, lambda: rn(3, 4)),
    ("cos", torch.cos, lambda: rn(3, 4)),
    ("tanh", torch.tanh, lambda: rn(3, 4)),
    ("sign", torch.sign, lambda: rn(3, 4)),
    ("floor", torch.floor, lambda: rn(3, 4, scale=3)),
    ("ceil", torch.ceil, lambda: rn(3, 4, scale=3)),
    ("round", torch.round, lambda: rn(3, 4, scale=3)),
]:
    case(name, "elementwise", lambda a, fn=fn: fn(a), lambda make=make: dict(a=make()))


def with_non_finite():
    a = rn(3, 4)
    a[0, 1] = float("nan")
    a[1, 2] = float("inf")
    a[2, 3] = float("-inf")
    return dict(a=a)


case("isnan", "with NaN and infinities", lambda a: torch.isnan(a), with_non_finite, grad=False)
case("isfinite", "with NaN and infinities", lambda a: torch.isfinite(a), with_non_finite, grad=False)
case("nanToNum", "with default replacements", lambda a: torch.nan_to_num(a), with_non_finite)
case("nanToNum", "with explicit replacements", lambda a: torch.nan_to_num(a, nan=1.0, posinf=100.0, neginf=-100.0), with_non_finite)
case("logicalNot", "of a bool tensor", lambda a: torch.logical_not(a), lambda: dict(a=rb(3, 4)))
case("logicalAnd", "of two bool tensors", lambda a, b: torch.logical_and(a, b), lambda: dict(a=rb(3, 4), b=rb(3, 4)))
case("logicalOr", "of two bool tensors", lambda a, b: torch.logical_or(a, b), lambda: dict(a=rb(3, 4), b=rb(3, 4)))
case("logicalXor", "of two bool tensors", lambda a, b: torch.logical_xor(a, b), lambda: dict(a=rb(3, 4), b=rb(3, 4)))
case("clamp", "with two number bounds", lambda a: torch.clamp(a, -0.5, 0.5), lambda: dict(a=rn(3, 4)))
case("clamp", "with only a lower bound", lambda a: torch.clamp(a, min=0.0), lambda: dict(a=rn(3, 4)))
case("clamp", "with only an upper bound", lambda a: torch.clamp(a, max=0.3), lambda: dict(a=rn(3, 4)))
case(
    "clamp",
    "with tensor bounds",
    lambda a, lo, hi: torch.clamp(a, lo, hi),
    lambda: dict(a=rn(3, 4), lo=un(-1.0, -0.2, 3, 4), hi=un(0.2, 1.0, 3, 4)),
)


def small_ints(*shape):
    return ri(-2, 3, *shape).float()


for name, fn in [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt), ("ge", torch.ge)]:
    case(name, "for two tensors with ties", lambda a, b, fn=fn: fn(a, b), lambda: dict(a=small_ints(3, 4), b=small_ints(3, 4)), grad=False)
    case(name, "with a scalar", lambda a, fn=fn: fn(a, 1), lambda: dict(a=small_ints(3, 4)), grad=False)

case("where", "with two tensors", lambda cond, a, b: torch.where(cond, a, b), lambda: dict(cond=rb(3, 4), a=rn(3, 4), b=rn(1, 4)))
case("where", "with two scalars", lambda cond: torch.where(cond, 1.5, -2.5), lambda: dict(cond=rb(3, 4)))
case("where", "with a scalar first branch", lambda cond, b: torch.where(cond, 0.5, b), lambda: dict(cond=rb(3, 4), b=rn(3, 4)))
case("where", "with a scalar second branch", lambda cond, a: torch.where(cond, a, -1.0), lambda: dict(cond=rb(3, 4), a=rn(3, 4)))
case("maskedFill", "with a scalar", lambda a, mask: a.masked_fill(mask, -1.0), lambda: dict(a=rn(3, 4), mask=rb(3, 4)))
case("maskedFill", "with a 0-dim tensor value", lambda a, mask, v: a.masked_fill(mask, v), lambda: dict(a=rn(3, 4), mask=rb(3, 4), v=rn()))

# ------------------------------------------------------------------------------------------------
# inplace.ts (forward only: in-place updates run without autograd)
# ------------------------------------------------------------------------------------------------


def inplace(fn):
    def run(a, **rest):
        fn(a, **rest)
        return a

    return run


case("addInPlace", "with a tensor and alpha 2", inplace(lambda a, b: a.add_(b, alpha=2)), lambda: dict(a=rn(3, 4), b=rn(3, 4)), grad=False)
case("addInPlace", "with a scalar and alpha 3", inplace(lambda a: a.add_(0.5 * 3)), lambda: dict(a=rn(3, 4)), grad=False)
case("mulInPlace", "with a tensor", inplace(lambda a, b: a.mul_(b)), lambda: dict(a=rn(3, 4), b=rn(4)), grad=False)
case("mulInPlace", "with a scalar", inplace(lambda a: a.mul_(0.9)), lambda: dict(a=rn(3, 4)), grad=False)
case("divInPlace", "with a tensor", inplace(lambda a, b: a.div_(b)), lambda: dict(a=rn(3, 4), b=pos(3, 4)), grad=False)
case("divInPlace", "with a scalar", inplace(lambda a: a.div_(3)), lambda: dict(a=rn(3, 4)), grad=False)
case("addcmulInPlace", "with value 0.5", inplace(lambda a, t1, t2: a.addcmul_(t1, t2, value=0.5)), lambda: dict(a=rn(3, 4), t1=rn(3, 4), t2=rn(3, 4)), grad=False)
case("addcdivInPlace", "with value -2", inplace(lambda a, t1, t2: a.addcdiv_(t1, t2, value=-2)), lambda: dict(a=rn(3, 4), t1=rn(3, 4), t2=pos(3, 4)), grad=False)
case("lerpInPlace", "with weight 0.25", inplace(lambda a, b: a.lerp_(b, 0.25)), lambda: dict(a=rn(3, 4), b=rn(3, 4)), grad=False)
case("copyInPlace", "with broadcasting and an int64 source", inplace(lambda a, src: a.copy_(src)), lambda: dict(a=rn(3, 4), src=ri(-5, 5, 4)), grad=False)
case("zeroInPlace", "of a float tensor", inplace(lambda a: a.zero_()), lambda: dict(a=rn(3, 4)), grad=False)
case("fillInPlace", "with 2.5", inplace(lambda a: a.fill_(2.5)), lambda: dict(a=rn(3, 4)), grad=False)
case("clampInPlace", "with two bounds", inplace(lambda a: a.clamp_(-0.5, 0.5)), lambda: dict(a=rn(3, 4)), grad=False)
case("clampInPlace", "with only an upper bound", inplace(lambda a: a.clamp_(None, 0.0)), lambda: dict(a=rn(3, 4)), grad=False)
case("uniformInPlace", "with a seeded generator", inplace(lambda a: a.uniform_(-1, 1, generator=gen(99))), lambda: dict(a=rn(3, 4)), grad=False)
case("normalInPlace", "with a seeded generator", inplace(lambda a: a.normal_(0, 2, generator=gen(99))), lambda: dict(a=rn(3, 4)), grad=False)

# ------------------------------------------------------------------------------------------------
# reduction.ts
# ------------------------------------------------------------------------------------------------

case("sum", "over all elements", lambda a: a.sum(), lambda: dict(a=rn(2, 3, 4)))
case("sum", "over dims 1 and 2 with keepdim", lambda a: a.sum((1, 2), keepdim=True), lambda: dict(a=rn(2, 3, 4)))
case("sum", "over dim -1", lambda a: a.sum(-1), lambda: dict(a=rn(2, 3, 4)))
case("mean", "over all elements", lambda a: a.mean(), lambda: dict(a=rn(2, 3, 4)))
case("mean", "over dims 0 and 2", lambda a: a.mean((0, 2)), lambda: dict(a=rn(2, 3, 4)))
case("mean", "over dim 1 with keepdim", lambda a: a.mean(1, keepdim=True), lambda: dict(a=rn(2, 3, 4)))
case("prod", "over all elements", lambda a: a.prod(), lambda: dict(a=un(0.8, 1.2, 2, 3)))
case("prod", "over dim 1 with keepdim", lambda a: a.prod(1, keepdim=True), lambda: dict(a=rn(2, 3, 4)))
case("amax", "over all elements", lambda a: a.max(), lambda: dict(a=rn(2, 3, 4)))
case("amax", "over dims 1 and 2 with keepdim", lambda a: a.amax((1, 2), keepdim=True), lambda: dict(a=rn(2, 3, 4)))
case("amin", "over all elements", lambda a: a.min(), lambda: dict(a=rn(2, 3, 4)))
case("amin", "over dim 0", lambda a: a.amin(0), lambda: dict(a=rn(2, 3, 4)))
case("maxWithIndices", "over dim 1", lambda a: torch.max(a, 1), lambda: dict(a=rn(2, 3, 4)))
case("maxWithIndices", "over dim 2 with keepdim", lambda a: torch.max(a, 2, keepdim=True), lambda: dict(a=rn(2, 3, 4)))
case("minWithIndices", "over dim 0", lambda a: torch.min(a, 0), lambda: dict(a=rn(2, 3, 4)))
case("argmax", "over all elements", lambda a: torch.argmax(a), lambda: dict(a=rn(2, 3, 4)))
case("argmax", "over dim 1 with keepdim", lambda a: torch.argmax(a, 1, keepdim=True), lambda: dict(a=rn(2, 3, 4)))
case("argmin", "over dim 2", lambda a: torch.argmin(a, 2), lambda: dict(a=rn(2, 3, 4)))
case("variance", "unbiased over dims 1 and 2", lambda a: torch.var(a, (1, 2)), lambda: dict(a=rn(2, 3, 4)))
case("variance", "biased over all elements with keepdim", lambda a: torch.var(a, None, unbiased=False, keepdim=True), lambda: dict(a=rn(2, 3, 4)))
case("std", "unbiased over dim 0", lambda a: torch.std(a, 0), lambda: dict(a=rn(2, 3, 4)))
case("std", "biased over all elements", lambda a: torch.std(a, unbiased=False), lambda: dict(a=rn(2, 3, 4)))
case("norm", "p=2 over all elements", lambda a: torch.norm(a), lambda: dict(a=rn(2, 3, 4)))
case("norm", "p=1 over dim 1 with keepdim", lambda a: torch.norm(a, 1, 1, keepdim=True), lambda: dict(a=rn(2, 3, 4)))
case("norm", "p=3 over dims 0 and 2", lambda a: torch.norm(a, 3, (0, 2)), lambda: dict(a=rn(2, 3, 4)))
case("logsumexp", "over dim 1", lambda a: torch.logsumexp(a, 1), lambda: dict(a=rn(2, 3, 4)))
case("logsumexp", "over dims 0 and 2 with keepdim", lambda a: torch.logsumexp(a, (0, 2), keepdim=True), lambda: dict(a=rn(2, 3, 4)))
case("cumsum", "over dim 1", lambda a: torch.cumsum(a, 1), lambda: dict(a=rn(2, 3, 4)))
case("all", "over all elements", lambda a: torch.all(a), lambda: dict(a=rb(3, 4) | rb(3, 4)))
case("all", "over dim 1 with keepdim", lambda a: torch.all(a, 1, keepdim=True), lambda: dict(a=rb(3, 4) | rb(3, 4)))
case("any", "over all elements", lambda a: torch.any(a), lambda: dict(a=rb(3, 4) & rb(3, 4)))
case("any", "over dim 0", lambda a: torch.any(a, 0), lambda: dict(a=rb(3, 4) & rb(3, 4)))
case("topk", "with k=3 along the last dim", lambda a: torch.topk(a, 3), lambda: dict(a=rn(2, 3, 6)))
case("topk", "with the 2 smallest along dim 0", lambda a: torch.topk(a, 2, 0, largest=False), lambda: dict(a=rn(4, 3)))
case("sort", "ascending along the last dim", lambda a: torch.sort(a, stable=True), lambda: dict(a=rn(3, 5)))
case("sort", "descending along dim 0 with ties (stable)", lambda a: torch.sort(a, dim=0, descending=True, stable=True), lambda: dict(a=small_ints(6, 3)))

# ------------------------------------------------------------------------------------------------
# shape.ts
# ------------------------------------------------------------------------------------------------

case("reshape", "with an inferred dim", lambda a: a.reshape(4, -1), lambda: dict(a=rn(2, 3, 4)))
case("view", "to a flat vector", lambda a: a.view(-1), lambda: dict(a=rn(2, 3, 4)))
case("permute", "of a 5-D volume", lambda a: a.permute(0, 2, 3, 4, 1), lambda: dict(a=rn(*V)))
case("transpose", "of dims 0 and 2", lambda a: a.transpose(0, 2), lambda: dict(a=rn(2, 3, 4)))
case("squeeze", "of all size-1 dims", lambda a: a.squeeze(), lambda: dict(a=rn(1, 3, 1, 4)))
case("squeeze", "of dim 2", lambda a: a.squeeze(2), lambda: dict(a=rn(1, 3, 1, 4)))
case("unsqueeze", "at dim -1", lambda a: a.unsqueeze(-1), lambda: dict(a=rn(3, 4)))
case("flatten", "of dims 1 to 2", lambda a: a.flatten(1, 2), lambda: dict(a=rn(2, 3, 4, 2)))
case("flatten", "of all dims", lambda a: a.flatten(), lambda: dict(a=rn(2, 3, 4)))
case("expand", "of size-1 dims", lambda a: a.expand(3, 4, 5), lambda: dict(a=rn(3, 1, 5)))
case("contiguous", "of a transposed tensor", lambda a: a.t().contiguous(), lambda: dict(a=rn(3, 4)))
case("clone", "of a tensor", lambda a: a.clone(), lambda: dict(a=rn(3, 4)))
case("detach", "cuts the graph", lambda a: a.detach(), lambda: dict(a=rn(3, 4)))
case("flip", "of dims 0 and 2", lambda a: torch.flip(a, (0, 2)), lambda: dict(a=rn(2, 3, 4)))
case("roll", "along two dims", lambda a: torch.roll(a, (1, -2), (0, 2)), lambda: dict(a=rn(2, 3, 4)))
case("repeat", "along two dims", lambda a: a.repeat(2, 1, 3), lambda: dict(a=rn(2, 3)))
case("slice", "with a negative start and step 2", lambda a: a[:, -5::2], lambda: dict(a=rn(3, 7)))
case("slice", "with start and end", lambda a: a[1:3], lambda: dict(a=rn(4, 3)))
case("narrow", "of dim 1", lambda a: torch.narrow(a, 1, 1, 2), lambda: dict(a=rn(3, 4)))
case("index", "with index tensors and a whole dim", lambda a, i0, i2: a[i0, :, i2], lambda: dict(a=rn(3, 4, 5), i0=ri(0, 3, 2, 3), i2=ri(0, 5, 2, 3)))
case("index", "with one index tensor", lambda a, i0: a[i0], lambda: dict(a=rn(4, 3), i0=ri(0, 4, 5)))
case(
    "indexPut",
    "with distinct indices",
    lambda a, i0, v: torch.index_put(a, (i0,), v),
    lambda: dict(a=rn(5, 3), i0=torch.randperm(5, generator=G)[:3], v=rn(3, 3)),
)
case(
    "indexPut",
    "with accumulate and repeated indices",
    lambda a, i0, i1, v: torch.index_put(a, (i0, i1), v, accumulate=True),
    lambda: dict(a=rn(3, 4), i0=torch.tensor([0, 2, 0, 1, 0]), i1=torch.tensor([1, 3, 1, 0, 1]), v=rn(5)),
)
case("indexSelect", "along dim 1", lambda a, idx: torch.index_select(a, 1, idx), lambda: dict(a=rn(3, 5), idx=ri(0, 5, 4)))
case("gather", "along dim 1", lambda a, idx: torch.gather(a, 1, idx), lambda: dict(a=rn(3, 5), idx=ri(0, 5, 3, 4)))
case("scatter", "of a source tensor", lambda a, idx, src: torch.scatter(a, 0, idx, src), lambda: dict(a=rn(5, 3), idx=perm_index(3, 5, 3), src=rn(3, 3)))
case("scatter", "of a value", lambda a, idx: torch.scatter(a, 1, idx, 2.5), lambda: dict(a=rn(3, 5), idx=ri(0, 5, 3, 2)))
case("scatterAdd", "with repeated indices", lambda a, idx, src: torch.scatter_add(a, 1, idx, src), lambda: dict(a=rn(3, 4), idx=ri(0, 4, 3, 6), src=rn(3, 6)))
case("maskedSelect", "with a broadcast mask", lambda a, mask: torch.masked_select(a, mask), lambda: dict(a=rn(3, 4), mask=rb(4)))
case("nonzero", "of a float tensor", lambda a: torch.nonzero(a), lambda: dict(a=ri(0, 2, 3, 4).float()), grad=False)
case("cat", "of three tensors along dim 1", lambda a, b, c: torch.cat([a, b, c], 1), lambda: dict(a=rn(2, 1, 3), b=rn(2, 2, 3), c=rn(2, 3, 3)))
case("stack", "of two tensors at dim 1", lambda a, b: torch.stack([a, b], 1), lambda: dict(a=rn(2, 3), b=rn(2, 3)))
case("split", "into chunks of 2", lambda a: torch.split(a, 2, 1), lambda: dict(a=rn(3, 5)))
case("split", "into given sizes", lambda a: torch.split(a, [1, 3]), lambda: dict(a=rn(4, 3)))
case("chunk", "into 3 uneven pieces", lambda a: torch.chunk(a, 3, 1), lambda: dict(a=rn(2, 7)))
case("unbind", "along dim 1", lambda a: torch.unbind(a, 1), lambda: dict(a=rn(2, 3)))
case("pad", "with a constant on three dims", lambda a: F.pad(a, (1, 2, 0, 1, 2, 0), value=0.5), lambda: dict(a=rn(*V)))
case("pad", "in reflect mode on three dims", lambda a: F.pad(a, (1, 2, 2, 1, 1, 1), mode="reflect"), lambda: dict(a=rn(*V)))
case("pad", "in replicate mode on three dims", lambda a: F.pad(a, (2, 0, 1, 1, 0, 3), mode="replicate"), lambda: dict(a=rn(*V)))
case("pad", "in circular mode on three dims", lambda a: F.pad(a, (1, 1, 2, 0, 1, 2), mode="circular"), lambda: dict(a=rn(*V)))
case("pad", "with zeros on the last dim", lambda a: F.pad(a, (2, 1)), lambda: dict(a=rn(3, 4)))
case("toDType", "to float16", lambda a: a.to(torch.float16), lambda: dict(a=rn(3, 4)), grad=False)
case("toDType", "to float64", lambda a: a.to(torch.float64), lambda: dict(a=rn(3, 4)))
case("toDType", "to int32 (truncating)", lambda a: a.to(torch.int32), lambda: dict(a=rn(3, 4, scale=3)), grad=False)
case("toDType", "to bool", lambda a: a.to(torch.bool), lambda: dict(a=ri(0, 2, 3, 4).float()), grad=False)
case("toDevice", "to the cpu", lambda a: a.to("cpu"), lambda: dict(a=rn(3, 4)))
case("oneHot", "with 4 classes", lambda a: F.one_hot(a, 4), lambda: dict(a=ri(0, 4, 2, 3)))
case("oneHot", "with inferred classes", lambda a: F.one_hot(a), lambda: dict(a=ri(0, 3, 5)))
case("matmul", "of two matrices", lambda a, b: a @ b, lambda: dict(a=rn(3, 4), b=rn(4, 2)))
case("matmul", "with batch broadcasting", lambda a, b: a @ b, lambda: dict(a=rn(2, 3, 4), b=rn(4, 5)))
case("matmul", "of a matrix and a vector", lambda a, b: a @ b, lambda: dict(a=rn(3, 4), b=rn(4)))
case("bmm", "of two batches", lambda a, b: torch.bmm(a, b), lambda: dict(a=rn(2, 3, 4), b=rn(2, 4, 2)))
case("einsum", "for a batched Gram matrix", lambda a, b: torch.einsum("bcn,bcm->bnm", a, b), lambda: dict(a=rn(2, 3, 4), b=rn(2, 3, 5)))
case("einsum", "for a trace", lambda a: torch.einsum("ii->", a), lambda: dict(a=rn(4, 4)))

# ------------------------------------------------------------------------------------------------
# nn-functional.ts
# ------------------------------------------------------------------------------------------------

case("conv3d", "with bias", lambda x, w, b: F.conv3d(x, w, b), lambda: dict(x=rn(1, 2, 5, 6, 7), w=rn(3, 2, 3, 3, 3, scale=0.3), b=rn(3)))
case("conv3d", "with stride 2 and padding 1", lambda x, w, b: F.conv3d(x, w, b, stride=2, padding=1), lambda: dict(x=rn(1, 2, 5, 6, 7), w=rn(3, 2, 3, 3, 3, scale=0.3), b=rn(3)))
case("conv3d", "with dilation 2 and per-axis padding", lambda x, w: F.conv3d(x, w, None, padding=(2, 1, 0), dilation=2), lambda: dict(x=rn(1, 2, 5, 6, 7), w=rn(2, 2, 3, 3, 3, scale=0.3)))
case("conv3d", "with stride 2 and groups 2", lambda x, w, b: F.conv3d(x, w, b, stride=2, groups=2), lambda: dict(x=rn(1, 4, 5, 6, 7), w=rn(4, 2, 3, 3, 3, scale=0.3), b=rn(4)))
case("conv3d", "with an anisotropic kernel and stride", lambda x, w: F.conv3d(x, w, stride=(1, 2, 2), padding=(0, 1, 1)), lambda: dict(x=rn(2, 2, 3, 6, 7), w=rn(2, 2, 1, 3, 3, scale=0.3)))
case("convTranspose3d", "with stride 2 and bias", lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2), lambda: dict(x=rn(1, 2, 3, 4, 3), w=rn(2, 3, 2, 2, 2, scale=0.3), b=rn(3)))
case(
    "convTranspose3d",
    "with stride 2, padding 1 and output padding 1",
    lambda x, w: F.conv_transpose3d(x, w, stride=2, padding=1, output_padding=1),
    lambda: dict(x=rn(1, 2, 3, 3, 4), w=rn(2, 2, 3, 3, 3, scale=0.3)),
)
case(
    "convTranspose3d",
    "with groups 2 and dilation 2",
    lambda x, w, b: F.conv_transpose3d(x, w, b, groups=2, dilation=2),
    lambda: dict(x=rn(1, 4, 2, 3, 3), w=rn(4, 1, 2, 2, 2, scale=0.3), b=rn(2)),
)
case("linear", "with bias", lambda x, w, b: F.linear(x, w, b), lambda: dict(x=rn(2, 3, 4), w=rn(5, 4), b=rn(5)))
case("linear", "without bias", lambda x, w: F.linear(x, w), lambda: dict(x=rn(3, 4), w=rn(2, 4)))
case("maxPool3d", "with kernel 2", lambda x: F.max_pool3d(x, 2), lambda: dict(x=rn(*V)))
case("maxPool3d", "with kernel 3, stride 2 and padding 1", lambda x: F.max_pool3d(x, 3, 2, 1), lambda: dict(x=rn(*V)))
case("maxPool3d", "with ceil mode", lambda x: F.max_pool3d(x, 2, 2, ceil_mode=True), lambda: dict(x=rn(1, 2, 5, 5, 3)))
case("maxPool3d", "with dilation 2", lambda x: F.max_pool3d(x, 2, 1, dilation=2), lambda: dict(x=rn(*V)))
case("avgPool3d", "with kernel 2", lambda x: F.avg_pool3d(x, 2), lambda: dict(x=rn(*V)))
case("avgPool3d", "with padding excluded from the count", lambda x: F.avg_pool3d(x, 3, 2, 1, count_include_pad=False), lambda: dict(x=rn(*V)))
case("avgPool3d", "with ceil mode", lambda x: F.avg_pool3d(x, 2, 2, ceil_mode=True), lambda: dict(x=rn(1, 2, 5, 5, 3)))
case("adaptiveAvgPool3d", "to (2, 3, 3)", lambda x: F.adaptive_avg_pool3d(x, (2, 3, 3)), lambda: dict(x=rn(*V)))
case("adaptiveAvgPool3d", "to one voxel", lambda x: F.adaptive_avg_pool3d(x, 1), lambda: dict(x=rn(*V)))
case("interpolate", "trilinear to a size", lambda x: F.interpolate(x, size=(6, 7, 8), mode="trilinear"), lambda: dict(x=rn(1, 2, 3, 4, 5)))
case("interpolate", "trilinear to a size with align corners", lambda x: F.interpolate(x, size=(6, 7, 8), mode="trilinear", align_corners=True), lambda: dict(x=rn(1, 2, 3, 4, 5)))
case("interpolate", "trilinear by scale 2", lambda x: F.interpolate(x, scale_factor=2, mode="trilinear"), lambda: dict(x=rn(1, 2, 3, 4, 2)))
case("interpolate", "trilinear by scale 2 with align corners", lambda x: F.interpolate(x, scale_factor=2, mode="trilinear", align_corners=True), lambda: dict(x=rn(1, 2, 3, 4, 2)))
case("interpolate", "trilinear by per-axis scales (downsampling)", lambda x: F.interpolate(x, scale_factor=(0.5, 1.5, 0.75), mode="trilinear"), lambda: dict(x=rn(1, 1, 6, 4, 8)))
case("interpolate", "nearest to a size", lambda x: F.interpolate(x, size=(7, 3, 9), mode="nearest"), lambda: dict(x=rn(1, 2, 3, 4, 5)))
case("interpolate", "nearest by scale 2", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), lambda: dict(x=rn(1, 2, 2, 3, 2)))


def bn_inputs():
    return dict(x=rn(2, 3, 3, 4, 5, scale=2) + 1, weight=rn(3), bias=rn(3), rm=rn(3, scale=0.1), rv=pos(3))


case(
    "batchNorm",
    "in training mode, updating running stats",
    lambda x, weight, bias, rm, rv: (F.batch_norm(x, rm, rv, weight, bias, training=True, momentum=0.2, eps=1e-4), rm, rv),
    bn_inputs,
    grad=["x", "weight", "bias"],
)
case(
    "batchNorm",
    "in eval mode with running stats",
    lambda x, weight, bias, rm, rv: F.batch_norm(x, rm, rv, weight, bias, training=False),
    bn_inputs,
    grad=["x", "weight", "bias"],
)
case("batchNorm", "in training mode without running stats", lambda x: F.batch_norm(x, None, None, training=True), lambda: dict(x=rn(2, 3, 2, 3, 4)))
case("instanceNorm", "with affine parameters", lambda x, weight, bias: F.instance_norm(x, weight=weight, bias=bias), lambda: dict(x=rn(2, 3, 3, 4, 5), weight=rn(3), bias=rn(3)))
case("instanceNorm", "without affine parameters", lambda x: F.instance_norm(x), lambda: dict(x=rn(*V, scale=3)))
case("groupNorm", "with 2 groups and affine parameters", lambda x, weight, bias: F.group_norm(x, 2, weight, bias), lambda: dict(x=rn(2, 4, 2, 3, 4), weight=rn(4), bias=rn(4)))
case("groupNorm", "with 1 group and eps 1e-3", lambda x: F.group_norm(x, 1, eps=1e-3), lambda: dict(x=rn(*V)))
case("layerNorm", "over the last two dims", lambda x, weight, bias: F.layer_norm(x, (3, 4), weight, bias), lambda: dict(x=rn(2, 3, 4), weight=rn(3, 4), bias=rn(3, 4)))
case("relu", "elementwise", lambda x: F.relu(x), lambda: dict(x=rn(3, 4)))
case("leakyRelu", "with the default slope", lambda x: F.leaky_relu(x), lambda: dict(x=rn(3, 4)))
case("leakyRelu", "with slope 0.2", lambda x: F.leaky_relu(x, 0.2), lambda: dict(x=rn(3, 4)))
case("gelu", "exact", lambda x: F.gelu(x), lambda: dict(x=rn(3, 4)))
case("gelu", "with the tanh approximation", lambda x: F.gelu(x, approximate="tanh"), lambda: dict(x=rn(3, 4)))
case("sigmoid", "elementwise", lambda x: torch.sigmoid(x), lambda: dict(x=rn(3, 4)))
case("softplus", "with defaults", lambda x: F.softplus(x), lambda: dict(x=rn(3, 4)))
case("softplus", "with beta 2 and threshold 1", lambda x: F.softplus(x, 2, 1), lambda: dict(x=rn(3, 4)))
case("softmax", "over channels of a volume", lambda x: F.softmax(x, 1), lambda: dict(x=rn(*V)))
case("softmax", "over the last dim", lambda x: F.softmax(x, -1), lambda: dict(x=rn(3, 4)))
case("logSoftmax", "over channels of a volume", lambda x: F.log_softmax(x, 1), lambda: dict(x=rn(*V)))
case("dropout", "outside training (identity)", lambda x: F.dropout(x, 0.5, training=False), lambda: dict(x=rn(3, 4)))


def dropout_with_generator(x):
    keep = torch.bernoulli(torch.ones_like(x), 0.7, generator=gen(42))
    return x * (keep / 0.7)


case("dropout", "with p 0.3 and a seeded generator (bernoulli mask)", dropout_with_generator, lambda: dict(x=rn(4, 5)))


def dropout_after_manual_seed(x):
    torch.manual_seed(5)
    return F.dropout(x, 0.5, training=True)


case("dropout", "with p 0.5 on the default generator after manualSeed", dropout_after_manual_seed, lambda: dict(x=rn(4, 5)))
case("dropout", "with p 1 (everything dropped)", lambda x: F.dropout(x, 1.0, training=True), lambda: dict(x=rn(3, 4)))

# ------------------------------------------------------------------------------------------------
# loss-functional.ts
# ------------------------------------------------------------------------------------------------

case("crossEntropy", "with mean reduction", lambda x, target: F.cross_entropy(x, target), lambda: dict(x=rn(6, 4), target=ri(0, 4, 6)))
case(
    "crossEntropy",
    "with class weights and ignoreIndex",
    lambda x, target, weight: F.cross_entropy(x, target, weight=weight, ignore_index=255),
    lambda: dict(x=rn(6, 4), target=torch.tensor([0, 255, 3, 1, 255, 2]), weight=pos(4)),
    grad=["x"],
)
case("crossEntropy", "with sum reduction", lambda x, target: F.cross_entropy(x, target, reduction="sum"), lambda: dict(x=rn(6, 4), target=ri(0, 4, 6)))
case("crossEntropy", "without reduction on a volume", lambda x, target: F.cross_entropy(x, target, reduction="none"), lambda: dict(x=rn(*V), target=ri(0, 2, 1, 4, 5, 6)))
case(
    "crossEntropy",
    "on a volume with class weights and ignoreIndex",
    lambda x, target, weight: F.cross_entropy(x, target, weight=weight, ignore_index=-1),
    lambda: dict(x=rn(2, 3, 2, 3, 4), target=ri(-1, 3, 2, 2, 3, 4), weight=pos(3)),
    grad=["x"],
)
case("crossEntropy", "with label smoothing 0.1", lambda x, target: F.cross_entropy(x, target, label_smoothing=0.1), lambda: dict(x=rn(6, 4), target=ri(0, 4, 6)))
case("crossEntropy", "with class-probability targets", lambda x, target: F.cross_entropy(x, target), lambda: dict(x=rn(5, 4), target=F.softmax(rn(5, 4), 1)), grad=["x"])
case(
    "nllLoss",
    "with class weights",
    lambda x, target, weight: F.nll_loss(x, target, weight=weight),
    lambda: dict(x=F.log_softmax(rn(6, 4), 1), target=ri(0, 4, 6), weight=pos(4)),
    grad=["x"],
)
case("nllLoss", "on a volume with ignoreIndex", lambda x, target: F.nll_loss(x, target, ignore_index=1), lambda: dict(x=F.log_softmax(rn(*V), 1), target=ri(0, 2, 1, 4, 5, 6)))
case("nllLoss", "with sum reduction", lambda x, target: F.nll_loss(x, target, reduction="sum"), lambda: dict(x=F.log_softmax(rn(6, 4), 1), target=ri(0, 4, 6)))
case(
    "binaryCrossEntropyWithLogits",
    "with mean reduction",
    lambda x, target: F.binary_cross_entropy_with_logits(x, target),
    lambda: dict(x=rn(*V), target=ri(0, 2, *V).float()),
    grad=["x"],
)
case(
    "binaryCrossEntropyWithLogits",
    "with weight and posWeight",
    lambda x, target, weight, pw: F.binary_cross_entropy_with_logits(x, target, weight=weight, pos_weight=pw),
    lambda: dict(x=rn(4, 3), target=un(0, 1, 4, 3), weight=pos(4, 3), pw=pos(3)),
    grad=["x"],
)
case(
    "binaryCrossEntropyWithLogits",
    "without reduction",
    lambda x, target: F.binary_cross_entropy_with_logits(x, target, reduction="none"),
    lambda: dict(x=rn(4, 3), target=ri(0, 2, 4, 3).float()),
    grad=["x"],
)
case("mseLoss", "with mean reduction", lambda a, b: F.mse_loss(a, b), lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case("mseLoss", "with sum reduction", lambda a, b: F.mse_loss(a, b, reduction="sum"), lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case("mseLoss", "without reduction", lambda a, b: F.mse_loss(a, b, reduction="none"), lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case("l1Loss", "with mean reduction", lambda a, b: F.l1_loss(a, b), lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case("l1Loss", "with sum reduction", lambda a, b: F.l1_loss(a, b, reduction="sum"), lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case(
    "klDiv",
    "with sum reduction",
    lambda a, b: F.kl_div(a, b, reduction="sum"),
    lambda: dict(a=F.log_softmax(rn(3, 4), 1), b=F.softmax(rn(3, 4), 1)),
)
case(
    "klDiv",
    "with log targets and no reduction",
    lambda a, b: F.kl_div(a, b, reduction="none", log_target=True),
    lambda: dict(a=F.log_softmax(rn(3, 4), 1), b=F.log_softmax(rn(3, 4), 1)),
)
case("cosineSimilarity", "over channels of a volume", lambda a, b: F.cosine_similarity(a, b, 1), lambda: dict(a=rn(*V), b=rn(*V)))
case("cosineSimilarity", "over the last dim", lambda a, b: F.cosine_similarity(a, b, -1), lambda: dict(a=rn(3, 4), b=rn(3, 4)))
case("normalize", "with p=2 over channels", lambda x: F.normalize(x, 2.0, 1), lambda: dict(x=rn(*V)))
case("normalize", "with p=1 over the last dim", lambda x: F.normalize(x, 1.0, -1), lambda: dict(x=rn(3, 4)))

# ------------------------------------------------------------------------------------------------
# neighbourhood.ts: compared with an independent torch computation (a depthwise conv3d with
# one-hot kernels), itself checked against explicit padded shifts here.
# ------------------------------------------------------------------------------------------------


def offsets(k, dil, center):
    r = (k - 1) // 2
    out = []
    for z in range(-r, r + 1):
        for y in range(-r, r + 1):
            for x in range(-r, r + 1):
                if (z, y, x) == (0, 0, 0) and not center:
                    continue
                out.append((z * dil, y * dil, x * dil))
    return out


def neighbours_conv(x, k, dil, center):
    n, c, d, h, w = x.shape
    offs = offsets(k, dil, center)
    r = (k - 1) // 2
    kernel = torch.zeros(len(offs), 1, k, k, k, dtype=x.dtype)
    for i, (z, y, xx) in enumerate(offs):
        kernel[i, 0, z // dil + r, y // dil + r, xx // dil + r] = 1
    out = F.conv3d(x.reshape(n * c, 1, d, h, w), kernel, padding=r * dil, dilation=dil)
    return out.reshape(n, c, len(offs), d, h, w)


def neighbours_shift(x, k, dil, center):
    """x shifted by each offset with zeros outside: out[..., i] = x[..., i + offset]."""
    d, h, w = x.shape[2:]
    p = (k - 1) // 2 * dil
    padded = F.pad(x, (p, p, p, p, p, p))
    slabs = [padded[:, :, p + z : p + z + d, p + y : p + y + h, p + xx : p + xx + w] for z, y, xx in offsets(k, dil, center)]
    return torch.stack(slabs, 2)


def neighbours_case(desc, shape, k, dil, center):
    def fn(x):
        ref = neighbours_conv(x, k, dil, center)
        with torch.no_grad():
            assert torch.equal(ref, neighbours_shift(x, k, dil, center)), desc
        return ref

    case("neighbours", desc, fn, lambda: dict(x=rn(*shape)))


neighbours_case("with kernel 3", (1, 2, 3, 4, 5), 3, 1, False)
neighbours_case("with kernel 3, dilation 2 and the centre", (1, 1, 3, 4, 5), 3, 2, True)
neighbours_case("with kernel 5", (1, 1, 3, 3, 4), 5, 1, False)
case("neighbourOffsets", "with kernel 3", lambda: torch.tensor(offsets(3, 1, False), dtype=torch.int64))
case("neighbourOffsets", "with kernel 3, dilation 2 and the centre", lambda: torch.tensor(offsets(3, 2, True), dtype=torch.int64))


def main():
    tensors = {}
    metas = []
    for meta, ts in CASES:
        metas.append(meta)
        tensors.update(ts)
    metadata = {
        "torch_version": torch.__version__,
        "generator": SCRIPT,
        "format": "labelwise-op-goldens/1",
        "cases": json.dumps(metas, sort_keys=True, separators=(",", ":")),
    }
    size = write_safetensors(OUT, tensors, metadata)
    print(f"wrote {os.path.relpath(OUT)}: {len(metas)} cases, {len(tensors)} tensors, {size} bytes (torch {torch.__version__})")
    if size > MAX_BYTES:
        sys.exit(f"golden file is {size} bytes, over the {MAX_BYTES} byte budget: shrink the cases")


if __name__ == "__main__":
    main()
