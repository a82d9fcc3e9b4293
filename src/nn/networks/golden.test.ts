// SegmentationNetwork against PyTorch: test/golden/networks.safetensors, written by
// test/golden/gen_networks.py from an independent torch definition (Twin) that the script checks
// against the V-Net as the literature describes it (LiteralVNet). Weights are copied in, then a
// train-mode forward (seeded dropout), backward and eval-mode forward are compared.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type RawTensor,
  type Tensor,
  Generator,
  arange,
  cat,
  decodeSafetensors,
  expectNoLeak,
  fromRawTensor,
  mul,
  sin,
  sum,
  tensor,
  tidy,
} from "../../tensor/index.js";
import {
  type NetworkConfig,
  type ResolvedNetworkConfig,
  SegmentationNetwork,
  decoderOutputs,
  resolveNetworkConfig,
  unetConfig,
  vnetConfig,
} from "./index.js";
import { loadGoldenFixture } from "../../tensor/_testing/golden-fixture.js";

interface CaseMeta {
  name: string;
  config: ResolvedNetworkConfig;
  state: [string, number[], number | null, number?][];
  xExponent: number;
  samples: number;
  lossOutputs: string[];
  trainOutputs: string[];
  evalOutputs: string[];
  fullGrads: string[];
  projections: Record<string, [number, number, number]>;
  running: string[];
  countersAfter: Record<string, number>;
  dropoutSeed: number;
}

/** The TypeScript expression each fixture case's resolved config must come from. */
const CONFIGS: Record<string, NetworkConfig> = {
  vnet: vnetConfig({ baseFilters: 2 }),
  "unet-anisotropic": unetConfig({
    levels: 3,
    baseFilters: 4,
    kernelSizes: [[1, 3, 3], 3, 3],
    strides: [1, [1, 2, 2], 2],
    deepSupervision: true,
    contrastiveHead: { dim: 3 },
  }),
  "resnet-encoder-three-decoders": vnetConfig({
    levels: 3,
    baseFilters: 4,
    inChannels: 2,
    numClasses: 3,
    norm: { kind: "group", groups: 2 },
    activation: "gelu",
    dropout: 0,
    contrastiveHead: { dim: 4, hiddenChannels: 6, kernelSize: 3 },
    encoder: { block: "residual", depths: [1, 2, 1], downsample: "strided-first-conv" },
    decoders: [{ upsample: "transposed" }, { upsample: "trilinear" }, { upsample: "nearest" }],
  }),
  "unet-maxpool-residual-decoder-dropout": unetConfig({
    levels: 3,
    baseFilters: 2,
    norm: "batch",
    convBias: false,
    dropout: { p: 0.25, channelwise: false, blocks: true, bottleneck: false, decoderOutput: false },
    encoder: { downsample: "max-pool" },
    decoder: { block: "residual", depths: 1 },
  }),
};

const fixture = loadGoldenFixture("networks.safetensors", "gen_networks.py");
const cases = fixture.cases<CaseMeta[]>();
const raw = fixture.raw;

/** int8 values times 2^-e as float32 (exact). */
function dequantise(q: Tensor, e: number): Tensor {
  return q.to("float32").mul(2 ** -e);
}

/** sin(i·freq + phase), in float64 then cast, as the generator's pattern(). */
function pattern(n: number, freq: number, phase: number): Tensor {
  return sin(arange(0, n, 1, { dtype: "float64" }).mul(freq).add(phase)).to("float32");
}

function loadState(net: SegmentationNetwork, c: CaseMeta): void {
  tidy(() => {
    const blob = fromRawTensor(raw(`${c.name}/state`));
    const state = new Map<string, Tensor>();
    let offset = 0;
    for (const [key, shape, exponent, value] of c.state) {
      if (exponent === null) {
        state.set(key, tensor(value ?? 0, [], { dtype: "int64" }));
        continue;
      }
      const n = shape.reduce((a, b) => a * b, 1);
      state.set(key, dequantise(blob.slice(0, offset, offset + n), exponent).reshape(shape));
      offset += n;
    }
    assert.equal(offset, blob.size, "the state blob is used up exactly");
    net.loadStateDict(state);
  });
}

/** Asserts closeness with a tolerance scaled by the tensor's magnitude (float32 through a deep net). */
function close(label: string, got: Tensor, want: RawTensor, rtol = 1e-4, atol = 1e-5): void {
  assert.deepEqual([...got.shape], want.shape, `${label}: shape`);
  const g = got.dataSync() as Float32Array;
  const w = want.data as Float32Array;
  let scale = 0;
  for (const v of w) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < w.length; i++) {
    const err = Math.abs((g[i] as number) - (w[i] as number));
    if (!(err <= atol + rtol * Math.max(Math.abs(w[i] as number), 0.1 * scale))) {
      assert.fail(`${label}: element ${i} is ${g[i]}, torch has ${w[i]} (|diff| ${err}, scale ${scale})`);
    }
  }
}

/** The network's outputs under the generator's names: d<k>/logits, d<k>/features, d<k>/embedding, d<k>/ds<i>. */
function named(net: SegmentationNetwork, x: Tensor): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  decoderOutputs(net.forward(x)).forEach((d, k) => {
    out.set(`d${k}/logits`, d.logits);
    out.set(`d${k}/features`, d.features);
    if (d.embedding) out.set(`d${k}/embedding`, d.embedding);
    d.deepSupervision?.forEach((t, i) => out.set(`d${k}/ds${i}`, t));
  });
  return out;
}

describe("SegmentationNetwork matches PyTorch 1.13 (test/golden/networks.safetensors)", () => {
  test("the fixture covers exactly the cases this test knows", () => {
    assert.deepEqual(cases.map((c) => c.name).sort(), Object.keys(CONFIGS).sort());
  });

  for (const c of cases) {
    test(`${c.name}: the preset resolves to the generator's architecture`, () => {
      const cfg = CONFIGS[c.name];
      assert.ok(cfg, `no TS config for ${c.name}`);
      assert.deepEqual(resolveNetworkConfig(cfg), c.config);
    });

    test(`${c.name}: train-mode forward, backward, running statistics and eval-mode forward`, () => {
      expectNoLeak(() => {
        const dropoutGenerator = new Generator(c.dropoutSeed);
        using net = new SegmentationNetwork(c.config, { dropoutGenerator });
        assert.deepEqual([...net.stateDict().keys()], c.state.map((r) => r[0]), "state dict keys and order");
        loadState(net, c);
        tidy(() => {
          net.train();
          const x = dequantise(fromRawTensor(raw(`${c.name}/x`)), c.xExponent).setRequiresGrad(true);
          const outs = named(net, x);
          assert.deepEqual([...outs.keys()].sort(), c.lossOutputs, "output names");
          let loss: Tensor | null = null;
          c.lossOutputs.forEach((k, i) => {
            const t = outs.get(k) as Tensor;
            const term = sum(mul(t, pattern(t.size, 0.7 + 0.11 * i, 0.3 * i).reshape(t.shape)));
            loss = loss === null ? term : loss.add(term);
          });
          (loss as unknown as Tensor).backward();
          for (const k of c.trainOutputs) close(`train ${k}`, (outs.get(k) as Tensor).slice(0, 0, c.samples), raw(`${c.name}/train/${k}`));
          close("grad of x", (x.grad as Tensor).slice(0, 0, c.samples), raw(`${c.name}/grad/x`), 2e-4, 1e-5);

          const params = net.namedParameters();
          const flat = c.fullGrads.map((k) => (params.get(k)?.grad as Tensor).flatten());
          close("small parameter gradients", cat(flat, 0), raw(`${c.name}/grad/params`), 2e-4, 1e-5);
          for (const [k, [p1, p2, norm]] of Object.entries(c.projections)) {
            const g = (params.get(k)?.grad as Tensor).flatten().to("float64");
            const n = g.size;
            const q1 = sum(mul(g, pattern(n, 0.37, 0.1).to("float64"))).item();
            const q2 = sum(mul(g, pattern(n, 0.53, 1.3).to("float64"))).item();
            const gn = g.square().sum().sqrt().item();
            const tol = 2e-4 * norm * Math.sqrt(n) + 1e-7;
            assert.ok(Math.abs(gn - norm) <= 2e-4 * norm + 1e-7, `grad of ${k}: norm ${gn}, torch ${norm}`);
            assert.ok(Math.abs(q1 - p1) <= tol && Math.abs(q2 - p2) <= tol, `grad of ${k}: projections ${q1}, ${q2}; torch ${p1}, ${p2}`);
          }
        });

        const state = net.stateDict();
        if (c.running.length > 0) {
          tidy(() => close("running statistics after the step", cat(c.running.map((k) => (state.get(k) as Tensor).flatten()), 0), raw(`${c.name}/after`)));
        }
        for (const [k, v] of Object.entries(c.countersAfter)) assert.equal(state.get(k)?.item(), v, `${k} after the step`);

        if (c.evalOutputs.length > 0) {
          tidy(() => {
            net.eval();
            const outs = named(net, dequantise(fromRawTensor(raw(`${c.name}/x`)), c.xExponent));
            for (const k of c.evalOutputs) close(`eval ${k}`, (outs.get(k) as Tensor).slice(0, 0, c.samples), raw(`${c.name}/eval/${k}`));
          });
        }
      }, c.name);
    });
  }
});
