import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import {
  type Tensor,
  Generator,
  ShapeError,
  decodeSafetensors,
  expectNoLeak,
  memory,
  randn,
  sum,
  tidy,
} from "../../tensor/index.js";
import {
  type NetworkConfig,
  SegmentationNetwork,
  decoderOutputs,
  resolveNetworkConfig,
  sizeDivisor,
  unetConfig,
  vnetConfig,
} from "./index.js";
import { projectRoot } from "../_testing/golden.js";

const gen = (seed = 0) => new Generator(seed);

/** A leak-checked forward + backward through every output of the network. */
function forwardBackward(net: SegmentationNetwork, shape: readonly number[]): void {
  expectNoLeak(() => {
    tidy(() => {
      const x = randn([...shape], { generator: gen(1) }).setRequiresGrad(true);
      const outs = decoderOutputs(net.forward(x));
      let loss = sum(outs[0]?.logits as Tensor);
      for (const o of outs) {
        for (const t of [o.logits, o.embedding, ...(o.deepSupervision ?? [])]) if (t) loss = loss.add(t.square().mean());
      }
      loss.backward();
      assert.ok(x.hasGrad, "the input received a gradient");
      const missing = [...net.namedParameters()].filter(([, p]) => !p.hasGrad).map(([k]) => k);
      assert.deepEqual(missing, [], "every parameter received a gradient");
    });
    net.zeroGrad();
  }, "forward+backward");
}

describe("V-Net preset", () => {
  test("vnetConfig() has the SSL4MIS V-Net's 9,448,866 parameters (also checked by the golden generator)", () => {
    const fixture = decodeSafetensors(new Uint8Array(readFileSync(goldenPath())));
    const expected = Number(fixture.metadata.vnet_default_params);
    assert.equal(expected, 9_448_866);
    using net = new SegmentationNetwork(vnetConfig(), { generator: gen() });
    assert.equal(net.parameterCount(), expected);
  });

  test("vnetConfig() resolves to 16-32-64-128-256 channels, 1-2-3-3-3 / 1-2-3-3 convs, BN, ReLU, dropout 0.5", () => {
    const c = resolveNetworkConfig(vnetConfig());
    assert.deepEqual(c.channels, [16, 32, 64, 128, 256]);
    assert.deepEqual(c.encoder, { block: "plain", depths: [1, 2, 3, 3, 3], downsample: "strided-conv" });
    assert.deepEqual(c.decoders, [{ upsample: "transposed", depths: [1, 2, 3, 3], fusion: "add", upsampleNormAct: true, block: "plain" }]);
    assert.equal(c.norm.kind, "batch");
    assert.equal(c.activation.kind, "relu");
    assert.deepEqual(c.dropout, { p: 0.5, channelwise: true, bottleneck: true, decoderOutput: true, blocks: false });
    assert.equal(c.init, "torch-default");
  });

  test("a small V-Net runs forward and backward without leaking, and dropout acts only in training", () => {
    using net = new SegmentationNetwork(vnetConfig({ baseFilters: 2 }), { generator: gen(), dropoutGenerator: gen(5) });
    forwardBackward(net, [2, 1, 16, 16, 16]);
    tidy(() => {
      const x = randn([2, 1, 16, 16, 16], { generator: gen(2) });
      const a = net.forward(x).logits.toArray();
      const b = net.forward(x).logits.toArray();
      assert.notDeepEqual(a, b, "train mode draws new dropout masks");
      net.eval();
      const c = net.forward(x).logits.toArray();
      const d = net.forward(x).logits.toArray();
      assert.deepEqual(c, d, "eval mode is deterministic");
      net.train();
    });
  });
});

describe("U-Net and variants", () => {
  test("unetConfig() caps channels and doubles from the base", () => {
    const c = resolveNetworkConfig(unetConfig({ levels: 6 }));
    assert.deepEqual(c.channels, [32, 64, 128, 256, 320, 320]);
    assert.equal(c.norm.kind, "instance");
    assert.equal(c.activation.kind, "leaky-relu");
    assert.deepEqual(resolveNetworkConfig({}), resolveNetworkConfig(unetConfig()), "the U-Net preset is the config's default");
  });

  test("an anisotropic plan keeps shapes and every output has the documented layout", () => {
    const cfg = unetConfig({
      levels: 4,
      baseFilters: 4,
      kernelSizes: [[1, 3, 3], [1, 3, 3], 3, 3],
      strides: [1, [1, 2, 2], [2, 2, 2], [2, 2, 2]],
      deepSupervision: true,
      contrastiveHead: { dim: 5 },
      numClasses: 3,
    });
    using net = new SegmentationNetwork(cfg, { generator: gen() });
    assert.deepEqual(sizeDivisor(net.config), [4, 8, 8]);
    tidy(() => {
      const out = net.forward(randn([1, 1, 4, 16, 8], { generator: gen(3) }));
      assert.deepEqual(out.logits.shape, [1, 3, 4, 16, 8]);
      assert.deepEqual(out.features.shape, [1, 4, 4, 16, 8]);
      assert.deepEqual(out.embedding?.shape, [1, 5, 4, 16, 8]);
      assert.deepEqual(out.deepSupervision?.map((t) => t.shape), [[1, 3, 4, 8, 4], [1, 3, 2, 4, 2]]);
      const norms = out.embedding?.square().sum(1).sqrt().toArray() ?? [];
      assert.ok(norms.every((n) => Math.abs(n - 1) < 1e-5), "the embedding has unit norm at every voxel");
      assert.equal(out.otherDecoders, undefined);
    });
    forwardBackward(net, [2, 1, 4, 8, 8]);
  });

  test("deep supervision outputs follow training mode unless asked for", () => {
    using net = new SegmentationNetwork(unetConfig({ levels: 3, baseFilters: 2, deepSupervision: true }), { generator: gen() });
    tidy(() => {
      const x = randn([1, 1, 8, 8, 8]);
      assert.equal(net.forward(x).deepSupervision?.length, 1);
      net.eval();
      assert.equal(net.forward(x).deepSupervision, undefined);
      assert.equal(net.forward(x, { deepSupervision: true }).deepSupervision?.length, 1);
      assert.equal(net.forward(x, { embedding: false }).embedding, undefined);
    });
  });

  test("several decoders share one encoder and differ only in upsampling (FBA-Net+)", () => {
    const cfg = vnetConfig({
      levels: 3,
      baseFilters: 4,
      dropout: 0,
      contrastiveHead: true,
      decoders: [{ upsample: "transposed" }, { upsample: "trilinear" }, { upsample: "nearest" }],
    });
    using net = new SegmentationNetwork(cfg, { generator: gen() });
    assert.equal(net.decoders.length, 3);
    assert.deepEqual(net.config.decoders.map((d) => [d.upsample, d.fusion, d.depths.join("-")]), [
      ["transposed", "add", "1-2"],
      ["trilinear", "add", "1-2"],
      ["nearest", "add", "1-2"],
    ]);
    assert.ok([...net.namedParameters().keys()].some((k) => k.startsWith("decoders.2.levels.1.up.conv.")));
    tidy(() => {
      net.eval();
      const x = randn([1, 1, 8, 8, 8], { generator: gen(4) });
      const out = net.forward(x);
      assert.equal(out.otherDecoders?.length, 2);
      const all = decoderOutputs(out);
      assert.equal(all.length, 3);
      assert.notDeepEqual(all[0]?.logits.toArray(), all[1]?.logits.toArray());
      // One decoder alone, and encode() + decode(), give the same numbers as the full forward.
      assert.deepEqual(net.forward(x, { decoder: 2 }).logits.toArray(), all[2]?.logits.toArray());
      const skips = net.encode(x);
      assert.equal(skips.length, 3);
      assert.deepEqual(net.decode(skips, 1).logits.toArray(), all[1]?.logits.toArray());
      assert.throws(() => net.forward(x, { decoder: 3 }), RangeError);
      net.train();
    });
    forwardBackward(net, [2, 1, 8, 8, 8]);
  });

  test("a ResNet-style encoder (MCF's heterogeneous sub-network) with group norm", () => {
    const cfg = vnetConfig({
      levels: 4,
      baseFilters: 4,
      norm: { kind: "group", groups: 2 },
      encoder: { block: "residual", depths: [1, 2, 2, 1], downsample: "strided-first-conv" },
      decoder: { block: "residual" },
    });
    using net = new SegmentationNetwork(cfg, { generator: gen() });
    const names = [...net.namedParameters().keys()];
    assert.ok(names.includes("encoder.levels.1.blocks.0.shortcut.conv.weight"), "a projection shortcut where channels change");
    assert.ok(!names.includes("encoder.levels.1.blocks.1.shortcut.conv.weight"), "identity shortcuts elsewhere");
    forwardBackward(net, [2, 1, 8, 8, 8]);
  });

  test("max-pool downsampling, trilinear upsampling and instance norm", () => {
    using net = new SegmentationNetwork(
      unetConfig({ levels: 3, baseFilters: 4, encoder: { downsample: "max-pool" }, decoder: { upsample: "trilinear" }, dropout: { p: 0.2, blocks: true } }),
      { generator: gen(), dropoutGenerator: gen(9) },
    );
    forwardBackward(net, [2, 1, 8, 8, 8]);
  });
});

describe("construction", () => {
  test("the same generator seed gives the same weights; He init zeroes the biases", () => {
    using a = new SegmentationNetwork(unetConfig({ levels: 3, baseFilters: 2 }), { generator: gen(7) });
    using b = new SegmentationNetwork(unetConfig({ levels: 3, baseFilters: 2 }), { generator: gen(7) });
    for (const [k, p] of a.namedParameters()) assert.deepEqual(p.toArray(), b.namedParameters().get(k)?.toArray(), k);
    const bias = a.namedParameters().get("encoder.levels.0.blocks.0.conv.bias");
    assert.ok(bias?.toArray().every((v) => v === 0));
  });

  test("a resolved config is JSON, resolves to itself and rebuilds the same architecture", () => {
    using net = new SegmentationNetwork(vnetConfig({ baseFilters: 2, contrastiveHead: true, deepSupervision: true }));
    const json = JSON.parse(JSON.stringify(net.config)) as NetworkConfig;
    assert.deepEqual(json, net.config);
    assert.deepEqual(resolveNetworkConfig(json), net.config);
    using again = new SegmentationNetwork(json);
    assert.deepEqual([...again.stateDict().keys()], [...net.stateDict().keys()]);
  });

  test("a model built inside tidy() survives it and dispose() frees every tensor", () => {
    const before = memory().liveTensors;
    const net = tidy(() => new SegmentationNetwork(unetConfig({ levels: 3, baseFilters: 2 })));
    assert.ok(memory().liveTensors > before);
    assert.ok(net.parameters().every((p) => !p.isDisposed));
    net.dispose();
    assert.equal(memory().liveTensors, before);
  });

  test("forward rejects inputs of the wrong rank, channel count or size", () => {
    using net = new SegmentationNetwork(unetConfig({ levels: 3, baseFilters: 2, inChannels: 2 }));
    for (const shape of [[1, 2, 8, 8], [1, 1, 8, 8, 8], [1, 2, 8, 6, 8]]) {
      tidy(() => {
        const x = randn(shape);
        assert.throws(() => net.forward(x), (e: unknown) => e instanceof ShapeError && /multiples of \[4, 4, 4\]/.test((e as Error).message));
      });
    }
  });
});

describe("config validation names the field", () => {
  const cases: [string, NetworkConfig, RegExp][] = [
    ["levels below 2", { levels: 1 }, /NetworkConfig\.levels must be at least 2/],
    ["channels of the wrong length", { levels: 3, channels: [4, 8] }, /NetworkConfig\.channels must list 3 entries/],
    ["a zero channel count", { channels: [4, 0, 8] }, /NetworkConfig\.channels\[1\] must be a positive integer/],
    ["an even kernel", { levels: 3, kernelSizes: [3, [3, 2, 3], 3] }, /NetworkConfig\.kernelSizes\[1\] must be an odd positive integer/],
    ["a stride at level 0", { levels: 3, strides: [2, 2, 2] }, /NetworkConfig\.strides\[0\] must be 1/],
    ["strides of the wrong length", { levels: 3, strides: [1, 2] }, /NetworkConfig\.strides must list 3 entries/],
    ["an unknown norm", { norm: "layer" as never }, /NetworkConfig\.norm\.kind must be one of "batch", "instance", "group", "none"\. Received: "layer"/],
    ["groups not dividing the channels", { baseFilters: 6, norm: { kind: "group", groups: 4 } }, /NetworkConfig\.norm\.groups must divide/],
    ["dropout p = 1", { dropout: 1 }, /NetworkConfig\.dropout\.p must be in \[0, 1\)/],
    ["an unknown top-level key", { level: 3 } as never, /NetworkConfig\.level is not a known option/],
    ["an unknown decoder key", { decoders: [{ upsampling: "nearest" } as never] }, /NetworkConfig\.decoders\[0\]\.upsampling is not a known option/],
    ["an unknown upsampling", { decoders: [{}, { upsample: "bilinear" as never }] }, /NetworkConfig\.decoders\[1\]\.upsample must be one of/],
    ["no decoders", { decoders: [] }, /NetworkConfig\.decoders must list at least one decoder/],
    ["a zero encoder depth", { levels: 3, encoder: { depths: [1, 0, 1] } }, /NetworkConfig\.encoder\.depths\[1\] must be a positive integer/],
    ["decoder depths per level", { levels: 3, decoder: { depths: [1, 1, 1] } }, /NetworkConfig\.decoders\[0\]\.depths must list 2 entries/],
    ["an unknown downsampling", { encoder: { downsample: "avg-pool" as never } }, /NetworkConfig\.encoder\.downsample must be one of/],
    ["a zero embedding size", { contrastiveHead: { dim: 0 } }, /NetworkConfig\.contrastiveHead\.dim must be a positive integer/],
    ["a fractional class count", { numClasses: 2.5 }, /NetworkConfig\.numClasses must be a positive integer/],
    ["an unknown init", { init: "xavier" as never }, /NetworkConfig\.init must be one of/],
  ];
  for (const [what, cfg, message] of cases) {
    test(`rejects ${what}`, () => {
      assert.throws(() => resolveNetworkConfig(cfg), (e: unknown) => e instanceof RangeError && message.test(e.message));
      assert.throws(() => new SegmentationNetwork(cfg), RangeError);
    });
  }
});

function goldenPath(): string {
  return path.join(projectRoot(), "test", "golden", "networks.safetensors");
}
