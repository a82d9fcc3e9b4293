// Test support (not exported): reads test/golden/nn.json (written by test/golden/gen_nn.py),
// builds modules from its TS-style descriptions and compares tensors with tolerances.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type DType, type Tensor, tensor } from "../../tensor/index.js";
import { GELU, LeakyReLU, ReLU } from "../activations.js";
import { BatchNorm3d } from "../batch-norm3d.js";
import { ConvTranspose3d } from "../conv-transpose3d.js";
import { Conv3d } from "../conv3d.js";
import { GroupNorm } from "../group-norm.js";
import { InstanceNorm3d } from "../instance-norm3d.js";
import { Linear } from "../linear.js";
import type { Module } from "../module.js";
import { type Layer, Sequential } from "../sequential.js";

export interface Enc {
  shape: number[];
  dtype: DType;
  data: number[];
}

export interface ModuleSpec {
  type: string;
  args?: unknown[];
  opts?: Record<string, unknown>;
}

/** The project root: the nearest ancestor of this file holding package.json. */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("Cannot find the project root (package.json) above the test file");
    dir = up;
  }
  return dir;
}

let cached: Record<string, unknown> | undefined;

/** The parsed golden file (cached). */
export function golden(): Record<string, unknown> {
  cached ??= JSON.parse(readFileSync(path.join(projectRoot(), "test", "golden", "nn.json"), "utf8")) as Record<string, unknown>;
  return cached;
}

/** A new tensor holding an encoded golden value. */
export function decode(e: Enc): Tensor {
  return tensor(e.data, e.shape, { dtype: e.dtype });
}

/** Decodes an encoded state dict (caller disposes the tensors). */
export function decodeState(s: Record<string, Enc>): Map<string, Tensor> {
  return new Map(Object.entries(s).map(([k, v]) => [k, decode(v)]));
}

/** Builds a layer from a golden description (the TS classes and option names). */
export function buildModule(spec: ModuleSpec): Layer {
  // The golden file was written for these constructors; its values are trusted, not typed.
  const args = spec.args ?? [];
  const a = (i: number) => args[i] as never;
  const o = (spec.opts ?? {}) as never;
  switch (spec.type) {
    case "Conv3d":
      return new Conv3d(a(0), a(1), a(2), o);
    case "ConvTranspose3d":
      return new ConvTranspose3d(a(0), a(1), a(2), o);
    case "Linear":
      return new Linear(a(0), a(1), o);
    case "BatchNorm3d":
      return new BatchNorm3d(a(0), o);
    case "InstanceNorm3d":
      return new InstanceNorm3d(a(0), o);
    case "GroupNorm":
      return new GroupNorm(a(0), a(1), o);
    case "ReLU":
      return new ReLU();
    case "LeakyReLU":
      return new LeakyReLU(a(0));
    case "GELU":
      return new GELU(a(0));
    case "Sequential":
      return new Sequential(...(spec.args as ModuleSpec[]).map(buildModule));
    default:
      throw new Error(`golden: unknown module type ${spec.type}`);
  }
}

/** Asserts |actual - expected| <= atol + rtol·|expected| elementwise, with matching shapes. */
export function assertClose(actual: Tensor, expected: Enc, what: string, tol: { rtol?: number; atol?: number } = {}): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  const got = actual.toArray();
  let worst = -1;
  let worstExcess = 0;
  got.forEach((v, i) => {
    const e = expected.data[i] as number;
    const excess = Math.abs(v - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  });
  if (worst >= 0) assert.fail(`${what}: element ${worst} is ${got[worst]}, expected ${expected.data[worst]} (rtol ${rtol}, atol ${atol})`);
}

/** Asserts two numbers agree to a relative tolerance. */
export function assertNear(actual: number, expected: number, what: string, rtol = 1e-9, atol = 1e-12): void {
  if (!(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected))) assert.fail(`${what}: got ${actual}, expected ${expected}`);
}

export type { Module };
