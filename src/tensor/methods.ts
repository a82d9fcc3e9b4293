// Chainable methods on Tensor (x.add(y).relu()), each delegating to the op function of the same
// name. Kept apart from tensor.ts so that the core class has no import cycle with the ops.
import type { DType } from "./dtype.js";
import * as ew from "./ops/elementwise.js";
import * as lf from "./ops/loss-functional.js";
import * as nf from "./ops/nn-functional.js";
import * as rd from "./ops/reduction.js";
import * as sh from "./ops/shape.js";
import { type Device, Tensor } from "./tensor.js";

type N = Tensor | number;

declare module "./tensor.js" {
  interface Tensor {
    add(b: N): Tensor;
    sub(b: N): Tensor;
    mul(b: N): Tensor;
    div(b: N): Tensor;
    pow(b: N): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    square(): Tensor;
    clamp(min: N | null, max?: N | null): Tensor;
    eq(b: N): Tensor;
    ne(b: N): Tensor;
    lt(b: N): Tensor;
    le(b: N): Tensor;
    gt(b: N): Tensor;
    ge(b: N): Tensor;
    sum(dim?: rd.Dims, opts?: rd.ReduceOptions): Tensor;
    mean(dim?: rd.Dims, opts?: rd.ReduceOptions): Tensor;
    max(dim?: rd.Dims, opts?: rd.ReduceOptions): Tensor;
    min(dim?: rd.Dims, opts?: rd.ReduceOptions): Tensor;
    argmax(dim?: number, opts?: rd.ReduceOptions): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(d0: number, d1: number): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    expand(shape: readonly number[]): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    slice(dim: number, start?: number, end?: number | null, step?: number): Tensor;
    matmul(b: Tensor): Tensor;
    to(dtype: DType): Tensor;
    toDevice(device: Device): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    normalize(p?: number, dim?: number): Tensor;
  }
}

const methods: { [K in keyof Tensor]?: (this: Tensor, ...args: never[]) => unknown } = {
  add(this: Tensor, b: N) { return ew.add(this, b); },
  sub(this: Tensor, b: N) { return ew.sub(this, b); },
  mul(this: Tensor, b: N) { return ew.mul(this, b); },
  div(this: Tensor, b: N) { return ew.div(this, b); },
  pow(this: Tensor, b: N) { return ew.pow(this, b); },
  neg(this: Tensor) { return ew.neg(this); },
  abs(this: Tensor) { return ew.abs(this); },
  exp(this: Tensor) { return ew.exp(this); },
  log(this: Tensor) { return ew.log(this); },
  sqrt(this: Tensor) { return ew.sqrt(this); },
  square(this: Tensor) { return ew.square(this); },
  clamp(this: Tensor, min: N | null, max: N | null = null) { return ew.clamp(this, min, max); },
  eq(this: Tensor, b: N) { return ew.eq(this, b); },
  ne(this: Tensor, b: N) { return ew.ne(this, b); },
  lt(this: Tensor, b: N) { return ew.lt(this, b); },
  le(this: Tensor, b: N) { return ew.le(this, b); },
  gt(this: Tensor, b: N) { return ew.gt(this, b); },
  ge(this: Tensor, b: N) { return ew.ge(this, b); },
  sum(this: Tensor, dim?: rd.Dims, opts?: rd.ReduceOptions) { return rd.sum(this, dim, opts); },
  mean(this: Tensor, dim?: rd.Dims, opts?: rd.ReduceOptions) { return rd.mean(this, dim, opts); },
  max(this: Tensor, dim?: rd.Dims, opts?: rd.ReduceOptions) { return rd.amax(this, dim, opts); },
  min(this: Tensor, dim?: rd.Dims, opts?: rd.ReduceOptions) { return rd.amin(this, dim, opts); },
  argmax(this: Tensor, dim?: number, opts?: rd.ReduceOptions) { return rd.argmax(this, dim, opts); },
  reshape(this: Tensor, shape: readonly number[]) { return sh.reshape(this, shape); },
  view(this: Tensor, shape: readonly number[]) { return sh.view(this, shape); },
  permute(this: Tensor, dims: readonly number[]) { return sh.permute(this, dims); },
  transpose(this: Tensor, d0: number, d1: number) { return sh.transpose(this, d0, d1); },
  squeeze(this: Tensor, dim?: number) { return sh.squeeze(this, dim); },
  unsqueeze(this: Tensor, dim: number) { return sh.unsqueeze(this, dim); },
  flatten(this: Tensor, startDim?: number, endDim?: number) { return sh.flatten(this, startDim, endDim); },
  expand(this: Tensor, shape: readonly number[]) { return sh.expand(this, shape); },
  contiguous(this: Tensor) { return sh.contiguous(this); },
  clone(this: Tensor) { return sh.clone(this); },
  detach(this: Tensor) { return sh.detach(this); },
  slice(this: Tensor, dim: number, start?: number, end?: number | null, step?: number) { return sh.slice(this, dim, start, end, step); },
  matmul(this: Tensor, b: Tensor) { return sh.matmul(this, b); },
  to(this: Tensor, dtype: DType) { return sh.toDType(this, dtype); },
  toDevice(this: Tensor, device: Device) { return sh.toDevice(this, device); },
  relu(this: Tensor) { return nf.relu(this); },
  sigmoid(this: Tensor) { return nf.sigmoid(this); },
  tanh(this: Tensor) { return ew.tanh(this); },
  softmax(this: Tensor, dim: number) { return nf.softmax(this, dim); },
  logSoftmax(this: Tensor, dim: number) { return nf.logSoftmax(this, dim); },
  normalize(this: Tensor, p?: number, dim?: number) { return lf.normalize(this, p, dim); },
};

Object.assign(Tensor.prototype, methods);
