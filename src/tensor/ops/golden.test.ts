// Every op function against PyTorch goldens: test/golden/ops.safetensors, written by
// test/golden/gen_ops.py with Debian's python3-torch. Each fixture case names the TS export it
// exercises and carries inputs, outputs, upstream gradients and input gradients; the table below
// runs the same computation through our op functions. A fixture case without a runner here fails
// (it is never skipped), and so does a runner without a fixture case.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as creation from "./creation.js";
import * as elementwise from "./elementwise.js";
import * as inplace from "./inplace.js";
import * as lossFunctional from "./loss-functional.js";
import * as neighbourhood from "./neighbourhood.js";
import * as nnFunctional from "./nn-functional.js";
import * as reduction from "./reduction.js";
import * as shape from "./shape.js";
import {
  type Tensor,
  Generator,
  backwardAll,
  decodeSafetensors,
  engineInfo,
  fromRawTensor,
  manualSeed,
  memory,
  noGrad,
  tidy,
  type RawTensor,
} from "../index.js";
import { loadGoldenFixture } from "../_testing/golden-fixture.js";

const {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint, randperm, normal,
} = creation;
const {
  add, sub, mul, div, rsub, pow, remainder, floorDivide, maximum, minimum, addcmul, addcdiv, lerp, neg, abs, exp, log, log1p,
  log2, sqrt, rsqrt, square, reciprocal, sin, cos, tanh, sign, floor, ceil, round, isnan, isfinite, logicalNot, logicalAnd,
  logicalOr, logicalXor, nanToNum, clamp, eq, ne, lt, le, gt, ge, where, maskedFill,
} = elementwise;
const {
  addInPlace, mulInPlace, divInPlace, addcmulInPlace, addcdivInPlace, lerpInPlace, copyInPlace, zeroInPlace, fillInPlace,
  clampInPlace, uniformInPlace, normalInPlace,
} = inplace;
const {
  sum, mean, prod, amax, amin, maxWithIndices, minWithIndices, argmax, argmin, variance, std, norm, logsumexp, cumsum, all, any,
  topk, sort,
} = reduction;
const {
  reshape, view, permute, transpose, squeeze, unsqueeze, flatten, expand, contiguous, clone, detach, flip, roll, repeat, slice,
  narrow, index, indexPut, indexSelect, gather, scatter, scatterAdd, maskedSelect, nonzero, cat, stack, split, chunk, unbind, pad,
  toDType, toDevice, oneHot, matmul, bmm, einsum,
} = shape;
const {
  conv3d, convTranspose3d, linear, maxPool3d, avgPool3d, adaptiveAvgPool3d, interpolate, batchNorm, instanceNorm, groupNorm,
  layerNorm, relu, leakyRelu, gelu, sigmoid, softplus, softmax, logSoftmax, dropout,
} = nnFunctional;
const {
  crossEntropy, nllLoss, binaryCrossEntropyWithLogits, mseLoss, l1Loss, klDiv, cosineSimilarity, normalize,
} = lossFunctional;
const { neighbours, neighbourOffsets } = neighbourhood;

// ------------------------------------------------------------------------------------------------
// Fixture
// ------------------------------------------------------------------------------------------------

interface CaseMeta {
  key: string;
  op: string;
  desc: string;
  inputs: string[];
  grad_inputs: string[];
  outputs: number;
  diff_outputs: number[];
  grads: string[];
  rtol?: number;
  atol?: number;
}

const fixture = loadGoldenFixture("ops.safetensors", "gen_ops.py");
const cases = fixture.cases<CaseMeta[]>();
const raw = fixture.raw;

// ------------------------------------------------------------------------------------------------
// Comparison
// ------------------------------------------------------------------------------------------------

const RTOL = 1e-5;
const ATOL = 1e-6;

function compare(label: string, got: Tensor, want: RawTensor, rtol: number, atol: number): void {
  assert.deepEqual([...got.shape], want.shape, `${label}: shape`);
  assert.equal(got.dtype, want.dtype, `${label}: dtype`);
  const g = got.dataSync();
  const w = want.data;
  if (want.dtype === "float32" || want.dtype === "float64") {
    // Tolerance scaled by the tensor's magnitude so that sums of many terms that cancel to ~0
    // are not held to a relative bound they cannot meet in float32.
    let scale = 0;
    for (let i = 0; i < w.length; i++) if (Number.isFinite(w[i] as number)) scale = Math.max(scale, Math.abs(w[i] as number));
    let worst = -1;
    let worstErr = 0;
    for (let i = 0; i < w.length; i++) {
      const a = g[i] as number;
      const b = w[i] as number;
      if (Number.isNaN(b) || !Number.isFinite(b)) {
        if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) assert.fail(`${label}: element ${i} is ${a}, torch has ${b}`);
        continue;
      }
      const err = Math.abs(a - b);
      if (!(err <= atol + rtol * Math.max(Math.abs(b), 0.1 * scale)) && err >= worstErr) {
        worst = i;
        worstErr = err;
      }
    }
    if (worst >= 0) assert.fail(`${label}: element ${worst} is ${g[worst]}, torch has ${w[worst]} (|diff| ${worstErr})`);
  } else {
    // Integers, bools and float16 (raw bits) must match exactly.
    assert.deepEqual(Array.from(g as ArrayLike<number | bigint>), Array.from(w as ArrayLike<number | bigint>), `${label}: values`);
  }
}

// ------------------------------------------------------------------------------------------------
// The same cases in TypeScript
// ------------------------------------------------------------------------------------------------

type InputName =
  | "a" | "b" | "c" | "t1" | "t2" | "w" | "lo" | "hi" | "cond" | "mask" | "v" | "src" | "idx" | "i0" | "i1" | "i2" | "x"
  | "weight" | "bias" | "rm" | "rv" | "target" | "pw";
type Inputs = Readonly<Record<InputName, Tensor>>;
type Runner = (x: Inputs) => Tensor | readonly Tensor[];

/** Runs an in-place op on `a` and returns `a` (the mutated tensor is the case's output). */
const mutate = (f: (x: Inputs) => void): Runner => (x) => {
  noGrad(() => f(x));
  return x.a;
};

const RUNNERS: Record<string, Runner> = {
  // creation.ts
  "zeros with a float32 shape": () => zeros([2, 3]),
  "ones with dtype int64": () => ones([2, 3], { dtype: "int64" }),
  "full with a fractional value": () => full([2, 2], 3.5),
  "zerosLike of a float tensor": ({ a }) => zerosLike(a),
  "onesLike with dtype float64": ({ a }) => onesLike(a, { dtype: "float64" }),
  "fullLike of an int64 tensor": ({ a }) => fullLike(a, 7),
  "arange with one integer bound": () => arange(5),
  "arange with a fractional step": () => arange(1, 2, 0.25),
  "arange with an integer step": () => arange(0, 10, 3),
  "linspace from 0 to 1 in 5 steps": () => linspace(0, 1, 5),
  "eye of size 3": () => eye(3),
  "rand with a seeded generator": () => rand([2, 3], { generator: new Generator(1234) }),
  "randn with a seeded generator": () => randn([2, 3], { generator: new Generator(1234) }),
  "randint with a seeded generator": () => randint(-3, 9, [2, 5], { generator: new Generator(1234) }),
  "randperm with a seeded generator": () => randperm(10, { generator: new Generator(1234) }),
  "normal with a seeded generator": () => normal(2, 0.5, [2, 3], { generator: new Generator(1234) }),
  "manualSeed then randn draws torch's numbers from the default generator": () => {
    manualSeed(3);
    return randn([2, 3]);
  },

  // elementwise.ts
  "add for two tensors with broadcasting": ({ a, b }) => add(a, b),
  "add with a fractional scalar": ({ a }) => add(a, 2.5),
  "add with an integral scalar on int64": ({ a }) => add(a, 3),
  "sub for two tensors": ({ a, b }) => sub(a, b),
  "sub with a scalar": ({ a }) => sub(a, 1.5),
  "mul for two tensors with broadcasting": ({ a, b }) => mul(a, b),
  "mul with a scalar": ({ a }) => mul(a, -0.75),
  "div for two tensors": ({ a, b }) => div(a, b),
  "div with a scalar": ({ a }) => div(a, 4),
  "div of int64 by an integer scalar (true division)": ({ a }) => div(a, 4),
  "rsub with a scalar": ({ a }) => rsub(a, 2),
  "pow with exponent 2": ({ a }) => pow(a, 2),
  "pow with exponent 0.5": ({ a }) => pow(a, 0.5),
  "pow with a tensor exponent": ({ a, b }) => pow(a, b),
  "remainder for two tensors": ({ a, b }) => remainder(a, b),
  "remainder with a scalar": ({ a }) => remainder(a, 1.5),
  "remainder of int64 with an integer scalar": ({ a }) => remainder(a, 3),
  "floorDivide with a scalar": ({ a }) => floorDivide(a, 0.7),
  "floorDivide for two int64 tensors": ({ a, b }) => floorDivide(a, b),
  "maximum for two tensors": ({ a, b }) => maximum(a, b),
  "minimum for two tensors": ({ a, b }) => minimum(a, b),
  "addcmul with value 0.5": ({ a, t1, t2 }) => addcmul(a, t1, t2, 0.5),
  "addcdiv with value 2": ({ a, t1, t2 }) => addcdiv(a, t1, t2, 2),
  "lerp with a scalar weight": ({ a, b }) => lerp(a, b, 0.3),
  "lerp with a tensor weight": ({ a, b, w }) => lerp(a, b, w),
  "neg elementwise": ({ a }) => neg(a),
  "abs elementwise": ({ a }) => abs(a),
  "exp elementwise": ({ a }) => exp(a),
  "log elementwise": ({ a }) => log(a),
  "log1p elementwise": ({ a }) => log1p(a),
  "log2 elementwise": ({ a }) => log2(a),
  "sqrt elementwise": ({ a }) => sqrt(a),
  "rsqrt elementwise": ({ a }) => rsqrt(a),
  "square elementwise": ({ a }) => square(a),
  "reciprocal elementwise": ({ a }) => reciprocal(a),
  "sin elementwise": ({ a }) => sin(a),
  "cos elementwise": ({ a }) => cos(a),
  "tanh elementwise": ({ a }) => tanh(a),
  "sign elementwise": ({ a }) => sign(a),
  "floor elementwise": ({ a }) => floor(a),
  "ceil elementwise": ({ a }) => ceil(a),
  "round elementwise": ({ a }) => round(a),
  "isnan with NaN and infinities": ({ a }) => isnan(a),
  "isfinite with NaN and infinities": ({ a }) => isfinite(a),
  "nanToNum with default replacements": ({ a }) => nanToNum(a),
  "nanToNum with explicit replacements": ({ a }) => nanToNum(a, 1, 100, -100),
  "logicalNot of a bool tensor": ({ a }) => logicalNot(a),
  "logicalAnd of two bool tensors": ({ a, b }) => logicalAnd(a, b),
  "logicalOr of two bool tensors": ({ a, b }) => logicalOr(a, b),
  "logicalXor of two bool tensors": ({ a, b }) => logicalXor(a, b),
  "clamp with two number bounds": ({ a }) => clamp(a, -0.5, 0.5),
  "clamp with only a lower bound": ({ a }) => clamp(a, 0),
  "clamp with only an upper bound": ({ a }) => clamp(a, null, 0.3),
  "clamp with tensor bounds": ({ a, lo, hi }) => clamp(a, lo, hi),
  "eq for two tensors with ties": ({ a, b }) => eq(a, b),
  "eq with a scalar": ({ a }) => eq(a, 1),
  "ne for two tensors with ties": ({ a, b }) => ne(a, b),
  "ne with a scalar": ({ a }) => ne(a, 1),
  "lt for two tensors with ties": ({ a, b }) => lt(a, b),
  "lt with a scalar": ({ a }) => lt(a, 1),
  "le for two tensors with ties": ({ a, b }) => le(a, b),
  "le with a scalar": ({ a }) => le(a, 1),
  "gt for two tensors with ties": ({ a, b }) => gt(a, b),
  "gt with a scalar": ({ a }) => gt(a, 1),
  "ge for two tensors with ties": ({ a, b }) => ge(a, b),
  "ge with a scalar": ({ a }) => ge(a, 1),
  "where with two tensors": ({ cond, a, b }) => where(cond, a, b),
  "where with two scalars": ({ cond }) => where(cond, 1.5, -2.5),
  "where with a scalar first branch": ({ cond, b }) => where(cond, 0.5, b),
  "where with a scalar second branch": ({ cond, a }) => where(cond, a, -1),
  "maskedFill with a scalar": ({ a, mask }) => maskedFill(a, mask, -1),
  "maskedFill with a 0-dim tensor value": ({ a, mask, v }) => maskedFill(a, mask, v),

  // inplace.ts
  "addInPlace with a tensor and alpha 2": mutate(({ a, b }) => addInPlace(a, b, 2)),
  "addInPlace with a scalar and alpha 3": mutate(({ a }) => addInPlace(a, 0.5, 3)),
  "mulInPlace with a tensor": mutate(({ a, b }) => mulInPlace(a, b)),
  "mulInPlace with a scalar": mutate(({ a }) => mulInPlace(a, 0.9)),
  "divInPlace with a tensor": mutate(({ a, b }) => divInPlace(a, b)),
  "divInPlace with a scalar": mutate(({ a }) => divInPlace(a, 3)),
  "addcmulInPlace with value 0.5": mutate(({ a, t1, t2 }) => addcmulInPlace(a, t1, t2, 0.5)),
  "addcdivInPlace with value -2": mutate(({ a, t1, t2 }) => addcdivInPlace(a, t1, t2, -2)),
  "lerpInPlace with weight 0.25": mutate(({ a, b }) => lerpInPlace(a, b, 0.25)),
  "copyInPlace with broadcasting and an int64 source": mutate(({ a, src }) => copyInPlace(a, src)),
  "zeroInPlace of a float tensor": mutate(({ a }) => zeroInPlace(a)),
  "fillInPlace with 2.5": mutate(({ a }) => fillInPlace(a, 2.5)),
  "clampInPlace with two bounds": mutate(({ a }) => clampInPlace(a, -0.5, 0.5)),
  "clampInPlace with only an upper bound": mutate(({ a }) => clampInPlace(a, null, 0)),
  "uniformInPlace with a seeded generator": mutate(({ a }) => uniformInPlace(a, -1, 1, new Generator(99))),
  "normalInPlace with a seeded generator": mutate(({ a }) => normalInPlace(a, 0, 2, new Generator(99))),

  // reduction.ts
  "sum over all elements": ({ a }) => sum(a),
  "sum over dims 1 and 2 with keepdim": ({ a }) => sum(a, [1, 2], { keepdim: true }),
  "sum over dim -1": ({ a }) => sum(a, -1),
  "mean over all elements": ({ a }) => mean(a),
  "mean over dims 0 and 2": ({ a }) => mean(a, [0, 2]),
  "mean over dim 1 with keepdim": ({ a }) => mean(a, 1, { keepdim: true }),
  "prod over all elements": ({ a }) => prod(a),
  "prod over dim 1 with keepdim": ({ a }) => prod(a, 1, { keepdim: true }),
  "amax over all elements": ({ a }) => amax(a),
  "amax over dims 1 and 2 with keepdim": ({ a }) => amax(a, [1, 2], { keepdim: true }),
  "amin over all elements": ({ a }) => amin(a),
  "amin over dim 0": ({ a }) => amin(a, 0),
  "maxWithIndices over dim 1": ({ a }) => maxWithIndices(a, 1),
  "maxWithIndices over dim 2 with keepdim": ({ a }) => maxWithIndices(a, 2, { keepdim: true }),
  "minWithIndices over dim 0": ({ a }) => minWithIndices(a, 0),
  "argmax over all elements": ({ a }) => argmax(a),
  "argmax over dim 1 with keepdim": ({ a }) => argmax(a, 1, { keepdim: true }),
  "argmin over dim 2": ({ a }) => argmin(a, 2),
  "variance unbiased over dims 1 and 2": ({ a }) => variance(a, [1, 2]),
  "variance biased over all elements with keepdim": ({ a }) => variance(a, undefined, { unbiased: false, keepdim: true }),
  "std unbiased over dim 0": ({ a }) => std(a, 0),
  "std biased over all elements": ({ a }) => std(a, undefined, { unbiased: false }),
  "norm p=2 over all elements": ({ a }) => norm(a),
  "norm p=1 over dim 1 with keepdim": ({ a }) => norm(a, 1, 1, { keepdim: true }),
  "norm p=3 over dims 0 and 2": ({ a }) => norm(a, 3, [0, 2]),
  "logsumexp over dim 1": ({ a }) => logsumexp(a, 1),
  "logsumexp over dims 0 and 2 with keepdim": ({ a }) => logsumexp(a, [0, 2], { keepdim: true }),
  "cumsum over dim 1": ({ a }) => cumsum(a, 1),
  "all over all elements": ({ a }) => all(a),
  "all over dim 1 with keepdim": ({ a }) => all(a, 1, { keepdim: true }),
  "any over all elements": ({ a }) => any(a),
  "any over dim 0": ({ a }) => any(a, 0),
  "topk with k=3 along the last dim": ({ a }) => topk(a, 3),
  "topk with the 2 smallest along dim 0": ({ a }) => topk(a, 2, 0, { largest: false }),
  "sort ascending along the last dim": ({ a }) => sort(a),
  "sort descending along dim 0 with ties (stable)": ({ a }) => sort(a, 0, { descending: true }),

  // shape.ts
  "reshape with an inferred dim": ({ a }) => reshape(a, [4, -1]),
  "view to a flat vector": ({ a }) => view(a, [-1]),
  "permute of a 5-D volume": ({ a }) => permute(a, [0, 2, 3, 4, 1]),
  "transpose of dims 0 and 2": ({ a }) => transpose(a, 0, 2),
  "squeeze of all size-1 dims": ({ a }) => squeeze(a),
  "squeeze of dim 2": ({ a }) => squeeze(a, 2),
  "unsqueeze at dim -1": ({ a }) => unsqueeze(a, -1),
  "flatten of dims 1 to 2": ({ a }) => flatten(a, 1, 2),
  "flatten of all dims": ({ a }) => flatten(a),
  "expand of size-1 dims": ({ a }) => expand(a, [3, 4, 5]),
  "contiguous of a transposed tensor": ({ a }) => contiguous(transpose(a, 0, 1)),
  "clone of a tensor": ({ a }) => clone(a),
  "detach cuts the graph": ({ a }) => detach(a),
  "flip of dims 0 and 2": ({ a }) => flip(a, [0, 2]),
  "roll along two dims": ({ a }) => roll(a, [1, -2], [0, 2]),
  "repeat along two dims": ({ a }) => repeat(a, [2, 1, 3]),
  "slice with a negative start and step 2": ({ a }) => slice(a, 1, -5, null, 2),
  "slice with start and end": ({ a }) => slice(a, 0, 1, 3),
  "narrow of dim 1": ({ a }) => narrow(a, 1, 1, 2),
  "index with index tensors and a whole dim": ({ a, i0, i2 }) => index(a, [i0, null, i2]),
  "index with one index tensor": ({ a, i0 }) => index(a, [i0]),
  "indexPut with distinct indices": ({ a, i0, v }) => indexPut(a, [i0], v),
  "indexPut with accumulate and repeated indices": ({ a, i0, i1, v }) => indexPut(a, [i0, i1], v, true),
  "indexSelect along dim 1": ({ a, idx }) => indexSelect(a, 1, idx),
  "gather along dim 1": ({ a, idx }) => gather(a, 1, idx),
  "scatter of a source tensor": ({ a, idx, src }) => scatter(a, 0, idx, src),
  "scatter of a value": ({ a, idx }) => scatter(a, 1, idx, 2.5),
  "scatterAdd with repeated indices": ({ a, idx, src }) => scatterAdd(a, 1, idx, src),
  "maskedSelect with a broadcast mask": ({ a, mask }) => maskedSelect(a, mask),
  "nonzero of a float tensor": ({ a }) => nonzero(a),
  "cat of three tensors along dim 1": ({ a, b, c }) => cat([a, b, c], 1),
  "stack of two tensors at dim 1": ({ a, b }) => stack([a, b], 1),
  "split into chunks of 2": ({ a }) => split(a, 2, 1),
  "split into given sizes": ({ a }) => split(a, [1, 3]),
  "chunk into 3 uneven pieces": ({ a }) => chunk(a, 3, 1),
  "unbind along dim 1": ({ a }) => unbind(a, 1),
  "pad with a constant on three dims": ({ a }) => pad(a, [1, 2, 0, 1, 2, 0], "constant", 0.5),
  "pad in reflect mode on three dims": ({ a }) => pad(a, [1, 2, 2, 1, 1, 1], "reflect"),
  "pad in replicate mode on three dims": ({ a }) => pad(a, [2, 0, 1, 1, 0, 3], "replicate"),
  "pad in circular mode on three dims": ({ a }) => pad(a, [1, 1, 2, 0, 1, 2], "circular"),
  "pad with zeros on the last dim": ({ a }) => pad(a, [2, 1]),
  "toDType to float16": ({ a }) => toDType(a, "float16"),
  "toDType to float64": ({ a }) => toDType(a, "float64"),
  "toDType to int32 (truncating)": ({ a }) => toDType(a, "int32"),
  "toDType to bool": ({ a }) => toDType(a, "bool"),
  "toDevice to the cpu": ({ a }) => toDevice(a, "cpu"),
  "oneHot with 4 classes": ({ a }) => oneHot(a, 4),
  "oneHot with inferred classes": ({ a }) => oneHot(a),
  "matmul of two matrices": ({ a, b }) => matmul(a, b),
  "matmul with batch broadcasting": ({ a, b }) => matmul(a, b),
  "matmul of a matrix and a vector": ({ a, b }) => matmul(a, b),
  "bmm of two batches": ({ a, b }) => bmm(a, b),
  "einsum for a batched Gram matrix": ({ a, b }) => einsum("bcn,bcm->bnm", [a, b]),
  "einsum for a trace": ({ a }) => einsum("ii->", [a]),

  // nn-functional.ts
  "conv3d with bias": ({ x, w, b }) => conv3d(x, w, b),
  "conv3d with stride 2 and padding 1": ({ x, w, b }) => conv3d(x, w, b, { stride: 2, padding: 1 }),
  "conv3d with dilation 2 and per-axis padding": ({ x, w }) => conv3d(x, w, null, { padding: [2, 1, 0], dilation: 2 }),
  "conv3d with stride 2 and groups 2": ({ x, w, b }) => conv3d(x, w, b, { stride: 2, groups: 2 }),
  "conv3d with an anisotropic kernel and stride": ({ x, w }) => conv3d(x, w, null, { stride: [1, 2, 2], padding: [0, 1, 1] }),
  "convTranspose3d with stride 2 and bias": ({ x, w, b }) => convTranspose3d(x, w, b, { stride: 2 }),
  "convTranspose3d with stride 2, padding 1 and output padding 1": ({ x, w }) =>
    convTranspose3d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }),
  "convTranspose3d with groups 2 and dilation 2": ({ x, w, b }) => convTranspose3d(x, w, b, { groups: 2, dilation: 2 }),
  "linear with bias": ({ x, w, b }) => linear(x, w, b),
  "linear without bias": ({ x, w }) => linear(x, w),
  "maxPool3d with kernel 2": ({ x }) => maxPool3d(x, 2),
  "maxPool3d with kernel 3, stride 2 and padding 1": ({ x }) => maxPool3d(x, 3, { stride: 2, padding: 1 }),
  "maxPool3d with ceil mode": ({ x }) => maxPool3d(x, 2, { stride: 2, ceilMode: true }),
  "maxPool3d with dilation 2": ({ x }) => maxPool3d(x, 2, { stride: 1, dilation: 2 }),
  "avgPool3d with kernel 2": ({ x }) => avgPool3d(x, 2),
  "avgPool3d with padding excluded from the count": ({ x }) => avgPool3d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
  "avgPool3d with ceil mode": ({ x }) => avgPool3d(x, 2, { stride: 2, ceilMode: true }),
  "adaptiveAvgPool3d to (2, 3, 3)": ({ x }) => adaptiveAvgPool3d(x, [2, 3, 3]),
  "adaptiveAvgPool3d to one voxel": ({ x }) => adaptiveAvgPool3d(x, 1),
  "interpolate trilinear to a size": ({ x }) => interpolate(x, { size: [6, 7, 8] }),
  "interpolate trilinear to a size with align corners": ({ x }) => interpolate(x, { size: [6, 7, 8], alignCorners: true }),
  "interpolate trilinear by scale 2": ({ x }) => interpolate(x, { scaleFactor: 2 }),
  "interpolate trilinear by scale 2 with align corners": ({ x }) => interpolate(x, { scaleFactor: 2, alignCorners: true }),
  "interpolate trilinear by per-axis scales (downsampling)": ({ x }) => interpolate(x, { scaleFactor: [0.5, 1.5, 0.75] }),
  "interpolate nearest to a size": ({ x }) => interpolate(x, { size: [7, 3, 9], mode: "nearest" }),
  "interpolate nearest by scale 2": ({ x }) => interpolate(x, { scaleFactor: 2, mode: "nearest" }),
  "batchNorm in training mode, updating running stats": ({ x, weight, bias, rm, rv }) => [
    batchNorm(x, { weight, bias, runningMean: rm, runningVar: rv, training: true, momentum: 0.2, eps: 1e-4 }),
    rm,
    rv,
  ],
  "batchNorm in eval mode with running stats": ({ x, weight, bias, rm, rv }) => batchNorm(x, { weight, bias, runningMean: rm, runningVar: rv }),
  "batchNorm in training mode without running stats": ({ x }) => batchNorm(x, { training: true }),
  "instanceNorm with affine parameters": ({ x, weight, bias }) => instanceNorm(x, { weight, bias }),
  "instanceNorm without affine parameters": ({ x }) => instanceNorm(x),
  "groupNorm with 2 groups and affine parameters": ({ x, weight, bias }) => groupNorm(x, 2, weight, bias),
  "groupNorm with 1 group and eps 1e-3": ({ x }) => groupNorm(x, 1, null, null, 1e-3),
  "layerNorm over the last two dims": ({ x, weight, bias }) => layerNorm(x, [3, 4], weight, bias),
  "relu elementwise": ({ x }) => relu(x),
  "leakyRelu with the default slope": ({ x }) => leakyRelu(x),
  "leakyRelu with slope 0.2": ({ x }) => leakyRelu(x, 0.2),
  "gelu exact": ({ x }) => gelu(x),
  "gelu with the tanh approximation": ({ x }) => gelu(x, "tanh"),
  "sigmoid elementwise": ({ x }) => sigmoid(x),
  "softplus with defaults": ({ x }) => softplus(x),
  "softplus with beta 2 and threshold 1": ({ x }) => softplus(x, 2, 1),
  "softmax over channels of a volume": ({ x }) => softmax(x, 1),
  "softmax over the last dim": ({ x }) => softmax(x, -1),
  "logSoftmax over channels of a volume": ({ x }) => logSoftmax(x, 1),
  "dropout outside training (identity)": ({ x }) => dropout(x, 0.5, false),
  "dropout with p 0.3 and a seeded generator (bernoulli mask)": ({ x }) => dropout(x, 0.3, true, new Generator(42)),
  "dropout with p 1 (everything dropped)": ({ x }) => dropout(x, 1, true),
  "dropout with p 0.5 on the default generator after manualSeed": ({ x }) => {
    manualSeed(5);
    return dropout(x, 0.5, true);
  },

  // loss-functional.ts
  "crossEntropy with mean reduction": ({ x, target }) => crossEntropy(x, target),
  "crossEntropy with class weights and ignoreIndex": ({ x, target, weight }) => crossEntropy(x, target, { weight, ignoreIndex: 255 }),
  "crossEntropy with sum reduction": ({ x, target }) => crossEntropy(x, target, { reduction: "sum" }),
  "crossEntropy without reduction on a volume": ({ x, target }) => crossEntropy(x, target, { reduction: "none" }),
  "crossEntropy on a volume with class weights and ignoreIndex": ({ x, target, weight }) => crossEntropy(x, target, { weight, ignoreIndex: -1 }),
  "crossEntropy with label smoothing 0.1": ({ x, target }) => crossEntropy(x, target, { labelSmoothing: 0.1 }),
  "crossEntropy with class-probability targets": ({ x, target }) => crossEntropy(x, target),
  "nllLoss with class weights": ({ x, target, weight }) => nllLoss(x, target, { weight }),
  "nllLoss on a volume with ignoreIndex": ({ x, target }) => nllLoss(x, target, { ignoreIndex: 1 }),
  "nllLoss with sum reduction": ({ x, target }) => nllLoss(x, target, { reduction: "sum" }),
  "binaryCrossEntropyWithLogits with mean reduction": ({ x, target }) => binaryCrossEntropyWithLogits(x, target),
  "binaryCrossEntropyWithLogits with weight and posWeight": ({ x, target, weight, pw }) =>
    binaryCrossEntropyWithLogits(x, target, { weight, posWeight: pw }),
  "binaryCrossEntropyWithLogits without reduction": ({ x, target }) => binaryCrossEntropyWithLogits(x, target, { reduction: "none" }),
  "mseLoss with mean reduction": ({ a, b }) => mseLoss(a, b),
  "mseLoss with sum reduction": ({ a, b }) => mseLoss(a, b, "sum"),
  "mseLoss without reduction": ({ a, b }) => mseLoss(a, b, "none"),
  "l1Loss with mean reduction": ({ a, b }) => l1Loss(a, b),
  "l1Loss with sum reduction": ({ a, b }) => l1Loss(a, b, "sum"),
  "klDiv with sum reduction": ({ a, b }) => klDiv(a, b, "sum"),
  "klDiv with log targets and no reduction": ({ a, b }) => klDiv(a, b, "none", true),
  "cosineSimilarity over channels of a volume": ({ a, b }) => cosineSimilarity(a, b, 1),
  "cosineSimilarity over the last dim": ({ a, b }) => cosineSimilarity(a, b, -1),
  "normalize with p=2 over channels": ({ x }) => normalize(x, 2, 1),
  "normalize with p=1 over the last dim": ({ x }) => normalize(x, 1, -1),

  // neighbourhood.ts
  "neighbours with kernel 3": ({ x }) => neighbours(x),
  "neighbours with kernel 3, dilation 2 and the centre": ({ x }) => neighbours(x, { kernelSize: 3, dilation: 2, includeCenter: true }),
  "neighbours with kernel 5": ({ x }) => neighbours(x, { kernelSize: 5 }),
  "neighbourOffsets with kernel 3": () => offsetsTensor(neighbourOffsets()),
  "neighbourOffsets with kernel 3, dilation 2 and the centre": () => offsetsTensor(neighbourOffsets({ dilation: 2, includeCenter: true })),
};

function offsetsTensor(offsets: [number, number, number][]): Tensor {
  return tensor(offsets.flat(), [offsets.length, 3], { dtype: "int64" });
}

/** Exports that are not ATen computations with a torch counterpart to compare against. */
const NOT_GOLDEN = new Set(["tensor"]);

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

function inputsFor(meta: CaseMeta): Inputs {
  const values = new Map<string, Tensor>();
  for (const name of meta.inputs) {
    const t = fromRawTensor(raw(`${meta.key}/in/${name}`));
    if (meta.grad_inputs.includes(name)) t.setRequiresGrad(true);
    values.set(name, t);
  }
  return new Proxy({} as Inputs, {
    get(_, name) {
      const t = values.get(String(name));
      if (!t) throw new Error(`case '${meta.key}' has no input '${String(name)}'`);
      return t;
    },
  });
}

function runCase(meta: CaseMeta): void {
  const runner = RUNNERS[meta.key];
  assert.ok(runner, `no TypeScript runner for golden case '${meta.key}': add one to RUNNERS in golden.test.ts`);
  const rtol = meta.rtol ?? RTOL;
  const atol = meta.atol ?? ATOL;
  const before = memory().liveTensors;
  tidy(() => {
    const inputs = inputsFor(meta);
    const result = runner(inputs);
    const outs = Array.isArray(result) ? (result as readonly Tensor[]) : [result as Tensor];
    assert.equal(outs.length, meta.outputs, "number of outputs");
    outs.forEach((o, i) => compare(`output ${i}`, o, raw(`${meta.key}/out/${i}`), rtol, atol));
    outs.forEach((o, i) => assert.equal(o.requiresGrad, meta.diff_outputs.includes(i), `output ${i} requiresGrad`));
    if (meta.diff_outputs.length === 0) return;
    const diff = meta.diff_outputs.map((i) => outs[i] as Tensor);
    const ups = meta.diff_outputs.map((i) => fromRawTensor(raw(`${meta.key}/up/${i}`)));
    if (diff.length === 1) (diff[0] as Tensor).backward(ups[0]);
    else backwardAll(diff, ups);
    for (const name of meta.grad_inputs) {
      const g = inputs[name as InputName].grad;
      if (meta.grads.includes(name)) {
        assert.ok(g, `input '${name}' has no gradient`);
        compare(`gradient of '${name}'`, g, raw(`${meta.key}/grad/${name}`), rtol, atol);
      } else {
        assert.equal(g, null, `input '${name}' has a gradient but torch gives none`);
      }
    }
  });
  assert.equal(memory().liveTensors, before, "native tensors leaked by the case");
}

describe("op goldens (test/golden/ops.safetensors)", () => {
  test("the fixture records the torch version and generator that wrote it", () => {
    const torchVersion = fixture.metadata.torch_version;
    assert.match(torchVersion ?? "", /^\d+\.\d+\.\d+/);
    assert.equal(fixture.metadata.generator, "test/golden/gen_ops.py");
    assert.ok(cases.length > 200, `only ${cases.length} cases`);
    // Goldens come from Debian's python3-torch, built from the same release as our libtorch.
    assert.equal(torchVersion?.split(".").slice(0, 2).join("."), engineInfo().torchVersion.split(".").slice(0, 2).join("."));
  });

  test("every runner has a golden case", () => {
    const keys = new Set(cases.map((c) => c.key));
    assert.deepEqual(Object.keys(RUNNERS).filter((k) => !keys.has(k)), []);
  });

  test("every exported op function is covered by a golden case", () => {
    const covered = new Set(cases.map((c) => c.op));
    const modules = [creation, elementwise, inplace, lossFunctional, neighbourhood, nnFunctional, reduction, shape];
    const exported = modules.flatMap((m) => Object.entries(m).filter(([, v]) => typeof v === "function").map(([k]) => k));
    assert.deepEqual(exported.filter((name) => !covered.has(name) && !NOT_GOLDEN.has(name)).sort(), []);
  });

  for (const meta of cases) {
    test(`${meta.op}() matches torch ${meta.desc}`, () => runCase(meta));
  }
});
