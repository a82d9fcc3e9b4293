// Validation and defaults for NetworkConfig. Every problem is a RangeError naming the field by its
// path ("NetworkConfig.decoders[1].upsample"), found before any tensor is allocated.
import type {
  ActivationConfig,
  BlockKind,
  ContrastiveHeadConfig,
  DecoderConfig,
  DropoutConfig,
  NetworkConfig,
  NormConfig,
  ResolvedDecoderConfig,
  ResolvedNetworkConfig,
} from "./config.js";

type Triple3 = [number, number, number];

const NORMS = ["batch", "instance", "group", "none"] as const;
const ACTIVATIONS = ["relu", "leaky-relu", "gelu"] as const;
const DOWNSAMPLES = ["max-pool", "strided-conv", "strided-first-conv"] as const;
const UPSAMPLES = ["transposed", "trilinear", "nearest"] as const;
const BLOCKS = ["plain", "residual"] as const;
const FUSIONS = ["concat", "add"] as const;
const INITS = ["torch-default", "he"] as const;

const KEYS = {
  root: [
    "inChannels", "numClasses", "levels", "baseFilters", "channelMultiplier", "maxFilters", "channels", "kernelSizes", "strides",
    "norm", "activation", "convBias", "dropout", "encoder", "decoder", "decoders", "deepSupervision", "contrastiveHead", "init",
  ],
  norm: ["kind", "groups", "affine", "eps", "momentum"],
  activation: ["kind", "negativeSlope"],
  dropout: ["p", "channelwise", "bottleneck", "decoderOutput", "blocks"],
  encoder: ["block", "depths", "downsample"],
  decoder: ["upsample", "depths", "fusion", "upsampleNormAct", "block"],
  contrastiveHead: ["dim", "hiddenChannels", "kernelSize"],
} as const;

const ROOT = "NetworkConfig";

function fail(path: string, rule: string, received: unknown): never {
  throw new RangeError(`${path} ${rule}. Received: ${JSON.stringify(received) ?? String(received)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(path: string, v: unknown, known: readonly string[]): void {
  if (!isObject(v)) fail(path, "must be an object", v);
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) throw new RangeError(`${path}.${k} is not a known option (known: ${known.join(", ")})`);
  }
}

function posInt(path: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) fail(path, "must be a positive integer", v);
  return v;
}

function bool(path: string, v: unknown): boolean {
  if (typeof v !== "boolean") fail(path, "must be true or false", v);
  return v;
}

function oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) fail(path, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`, v);
  return v as T;
}

function triple(path: string, v: unknown, rule: (n: number) => boolean, ruleText: string): Triple3 {
  const t = typeof v === "number" ? [v, v, v] : v;
  if (!Array.isArray(t) || t.length !== 3 || !t.every((x) => typeof x === "number" && rule(x))) {
    fail(path, `must be ${ruleText}, or three of them`, v);
  }
  return [t[0], t[1], t[2]] as Triple3;
}

const oddKernel = (path: string, v: unknown): Triple3 =>
  triple(path, v, (x) => Number.isInteger(x) && x >= 1 && x % 2 === 1, "an odd positive integer (a kernel keeps the size with padding (k-1)/2)");

/** A per-level list from one value or a list of `n` values. */
function perLevel<T>(path: string, v: unknown, n: number, item: (p: string, x: unknown) => T): T[] {
  if (!Array.isArray(v)) return Array.from({ length: n }, () => item(path, v));
  if (v.length !== n) fail(path, `must list ${n} entries (one per level)`, v);
  return v.map((x, i) => item(`${path}[${i}]`, x));
}

/**
 * Kernel sizes: one number or one [D, H, W] triple for every level (three plain numbers are always
 * read as one triple), or a list with one number or triple per level.
 */
function kernelsPerLevel(path: string, v: unknown, n: number): Triple3[] {
  const oneTriple = Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number");
  if (typeof v === "number" || oneTriple) {
    const k = oddKernel(path, v);
    return Array.from({ length: n }, () => [...k] as Triple3);
  }
  return perLevel(path, v, n, oddKernel);
}

function resolveNorm(v: unknown): Required<NormConfig> {
  const path = `${ROOT}.norm`;
  const cfg = typeof v === "string" ? { kind: v } : v;
  checkKeys(path, cfg, KEYS.norm);
  const c = cfg as Record<string, unknown>;
  const eps = c.eps ?? 1e-5;
  if (typeof eps !== "number" || !(eps > 0)) fail(`${path}.eps`, "must be a positive number", eps);
  const momentum = c.momentum ?? 0.1;
  if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) fail(`${path}.momentum`, "must be in [0, 1]", momentum);
  return {
    kind: oneOf(`${path}.kind`, c.kind, NORMS),
    groups: posInt(`${path}.groups`, c.groups ?? 8),
    affine: bool(`${path}.affine`, c.affine ?? true),
    eps,
    momentum,
  };
}

function resolveActivation(v: unknown): Required<ActivationConfig> {
  const path = `${ROOT}.activation`;
  const cfg = typeof v === "string" ? { kind: v } : v;
  checkKeys(path, cfg, KEYS.activation);
  const c = cfg as Record<string, unknown>;
  const slope = c.negativeSlope ?? 0.01;
  if (typeof slope !== "number" || !Number.isFinite(slope)) fail(`${path}.negativeSlope`, "must be a finite number", slope);
  return { kind: oneOf(`${path}.kind`, c.kind, ACTIVATIONS), negativeSlope: slope };
}

function resolveDropout(v: unknown): Required<DropoutConfig> {
  const path = `${ROOT}.dropout`;
  const cfg = typeof v === "number" ? { p: v } : v;
  checkKeys(path, cfg, KEYS.dropout);
  const c = cfg as Record<string, unknown>;
  if (typeof c.p !== "number" || !(c.p >= 0 && c.p < 1)) fail(`${path}.p`, "must be in [0, 1)", c.p);
  return {
    p: c.p,
    channelwise: bool(`${path}.channelwise`, c.channelwise ?? true),
    bottleneck: bool(`${path}.bottleneck`, c.bottleneck ?? true),
    decoderOutput: bool(`${path}.decoderOutput`, c.decoderOutput ?? true),
    blocks: bool(`${path}.blocks`, c.blocks ?? false),
  };
}

function resolveChannels(cfg: NetworkConfig, levels: number): number[] {
  if (cfg.channels !== undefined) {
    const path = `${ROOT}.channels`;
    if (!Array.isArray(cfg.channels) || cfg.channels.length !== levels) fail(path, `must list ${levels} entries (one per level)`, cfg.channels);
    return cfg.channels.map((c, i) => posInt(`${path}[${i}]`, c));
  }
  const base = posInt(`${ROOT}.baseFilters`, cfg.baseFilters ?? 32);
  const mult = cfg.channelMultiplier ?? 2;
  if (typeof mult !== "number" || !(mult > 0) || !Number.isFinite(mult)) fail(`${ROOT}.channelMultiplier`, "must be a positive number", mult);
  const cap = cfg.maxFilters === null ? Infinity : posInt(`${ROOT}.maxFilters`, cfg.maxFilters ?? 320);
  return Array.from({ length: levels }, (_, i) => Math.max(1, Math.min(Math.round(base * mult ** i), cap)));
}

function resolveDecoder(path: string, d: DecoderConfig, levels: number): ResolvedDecoderConfig {
  checkKeys(path, d, KEYS.decoder);
  const intItem = (p: string, x: unknown) => posInt(p, x);
  return {
    upsample: oneOf(`${path}.upsample`, d.upsample ?? "transposed", UPSAMPLES),
    depths: perLevel(`${path}.depths`, d.depths ?? 2, levels - 1, intItem),
    fusion: oneOf(`${path}.fusion`, d.fusion ?? "concat", FUSIONS),
    upsampleNormAct: bool(`${path}.upsampleNormAct`, d.upsampleNormAct ?? false),
    block: oneOf<BlockKind>(`${path}.block`, d.block ?? "plain", BLOCKS),
  };
}

function resolveContrastive(v: unknown, topChannels: number): ResolvedNetworkConfig["contrastiveHead"] {
  const path = `${ROOT}.contrastiveHead`;
  if (v === undefined || v === null || v === false) return null;
  const cfg: ContrastiveHeadConfig = v === true ? {} : (v as ContrastiveHeadConfig);
  checkKeys(path, cfg, KEYS.contrastiveHead);
  return {
    dim: posInt(`${path}.dim`, cfg.dim ?? 16),
    hiddenChannels: posInt(`${path}.hiddenChannels`, cfg.hiddenChannels ?? topChannels),
    kernelSize: oddKernel(`${path}.kernelSize`, cfg.kernelSize ?? 1),
  };
}

/**
 * Fills every default of a NetworkConfig and validates it.
 * @throws RangeError naming the first invalid field, e.g. "NetworkConfig.encoder.depths[2] must be a positive integer. Received: 0"
 * @example const resolved = resolveNetworkConfig(vnetConfig({ numClasses: 3 }));
 */
export function resolveNetworkConfig(cfg: NetworkConfig = {}): ResolvedNetworkConfig {
  checkKeys(ROOT, cfg, KEYS.root);
  const levels = posInt(`${ROOT}.levels`, cfg.levels ?? (Array.isArray(cfg.channels) ? cfg.channels.length : 5));
  if (levels < 2) fail(`${ROOT}.levels`, "must be at least 2 (an encoder-decoder needs a level to come back to)", levels);
  const channels = resolveChannels(cfg, levels);

  const kernelSizes = kernelsPerLevel(`${ROOT}.kernelSizes`, cfg.kernelSizes ?? 3, levels);
  const strideItem = (p: string, x: unknown) => triple(p, x, (n) => Number.isInteger(n) && n >= 1, "a positive integer");
  let strides: Triple3[];
  if (cfg.strides === undefined) {
    strides = Array.from({ length: levels }, (_, i) => (i === 0 ? [1, 1, 1] : [2, 2, 2]));
  } else {
    if (!Array.isArray(cfg.strides) || cfg.strides.length !== levels) fail(`${ROOT}.strides`, `must list ${levels} entries (one per level)`, cfg.strides);
    strides = cfg.strides.map((s, i) => strideItem(`${ROOT}.strides[${i}]`, s));
  }
  if (strides[0]?.some((s) => s !== 1)) fail(`${ROOT}.strides[0]`, "must be 1 (level 0 keeps the input resolution)", cfg.strides?.[0]);

  const norm = resolveNorm(cfg.norm ?? { kind: "instance" });
  const activation = resolveActivation(cfg.activation ?? { kind: "leaky-relu" });
  const dropout = resolveDropout(cfg.dropout ?? 0);

  const encPath = `${ROOT}.encoder`;
  const enc = cfg.encoder ?? {};
  checkKeys(encPath, enc, KEYS.encoder);
  const encoder = {
    block: oneOf<BlockKind>(`${encPath}.block`, enc.block ?? "plain", BLOCKS),
    depths: perLevel(`${encPath}.depths`, enc.depths ?? 2, levels, (p, x) => posInt(p, x)),
    downsample: oneOf(`${encPath}.downsample`, enc.downsample ?? "strided-first-conv", DOWNSAMPLES),
  };

  const shared = cfg.decoder ?? {};
  checkKeys(`${ROOT}.decoder`, shared, KEYS.decoder);
  const list = cfg.decoders ?? [{}];
  if (!Array.isArray(list) || list.length === 0) fail(`${ROOT}.decoders`, "must list at least one decoder", cfg.decoders);
  const decoders = list.map((d, i) => {
    checkKeys(`${ROOT}.decoders[${i}]`, d, KEYS.decoder);
    return resolveDecoder(`${ROOT}.decoders[${i}]`, { ...shared, ...d }, levels);
  });

  const contrastiveHead = resolveContrastive(cfg.contrastiveHead, channels[0] as number);
  if (norm.kind === "group") {
    const widths = [...channels, ...(contrastiveHead ? [contrastiveHead.hiddenChannels] : [])];
    const bad = widths.find((c) => c % norm.groups !== 0);
    if (bad !== undefined) fail(`${ROOT}.norm.groups`, `must divide every level's channel count (${widths.join(", ")}); ${bad} is not divisible`, norm.groups);
  }

  return {
    inChannels: posInt(`${ROOT}.inChannels`, cfg.inChannels ?? 1),
    numClasses: posInt(`${ROOT}.numClasses`, cfg.numClasses ?? 2),
    channels,
    kernelSizes,
    strides,
    norm,
    activation,
    convBias: bool(`${ROOT}.convBias`, cfg.convBias ?? true),
    dropout,
    encoder,
    decoders,
    deepSupervision: bool(`${ROOT}.deepSupervision`, cfg.deepSupervision ?? false),
    contrastiveHead,
    init: oneOf(`${ROOT}.init`, cfg.init ?? "he", INITS),
  };
}

/** The input size every spatial axis must be a multiple of: the product of the strides along it. */
export function sizeDivisor(cfg: ResolvedNetworkConfig): Triple3 {
  return cfg.strides.reduce<Triple3>((acc, s) => [acc[0] * s[0], acc[1] * s[1], acc[2] * s[2]], [1, 1, 1]);
}
