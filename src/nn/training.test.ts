import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Tensor, Generator, expectNoLeak, mseLoss, randn, tidy } from "../tensor/index.js";
import { type Enc, type ModuleSpec, assertClose, assertNear, buildModule, decode, decodeState, golden } from "./_testing/golden.js";
import {
  Adam,
  AdamW,
  BatchNorm3d,
  Conv3d,
  ConvTranspose3d,
  Dropout3d,
  EMA,
  GroupNorm,
  InstanceNorm3d,
  LeakyReLU,
  type Optimizer,
  SGD,
  Sequential,
  clipGradNorm,
  polyLr,
} from "./index.js";

interface TrainingGolden {
  spec: ModuleSpec;
  state: Record<string, Enc>;
  input: Enc;
  target: Enc;
  lr: number;
  losses: number[];
  finalState: Record<string, Enc>;
}

describe("training end to end", () => {
  it("three Adam steps of conv-bn-relu-conv on MSE match PyTorch 1.13 (test/golden/nn.json)", () => {
    const g = golden().training as TrainingGolden;
    const model = buildModule(g.spec);
    tidy(() => model.loadStateDict(decodeState(g.state)));
    const opt = new Adam(model.parameters(), { lr: g.lr });
    const x = decode(g.input);
    const target = decode(g.target);
    g.losses.forEach((expected, s) => {
      const loss = tidy(() => {
        model.zeroGrad();
        const l = mseLoss(model.forward(x), target);
        l.backward();
        opt.step();
        return l.item();
      });
      assertNear(loss, expected, `loss at step ${s}`, 1e-6);
    });
    for (const [k, t] of model.stateDict()) assertClose(t, g.finalState[k] as Enc, k, { rtol: 1e-5, atol: 1e-6 });
    for (const t of [x, target]) t.dispose();
    opt.dispose();
    model.dispose();
  });

  /** A small UNet-like stack covering every layer with weights. */
  function tinyNet(gen: Generator): Sequential {
    return new Sequential(
      new Conv3d(1, 4, 3, { padding: 1, generator: gen }),
      new InstanceNorm3d(4, { affine: true }),
      new LeakyReLU(),
      new Dropout3d(0.2, { generator: gen }),
      new Conv3d(4, 8, 2, { stride: 2, generator: gen }),
      new BatchNorm3d(8),
      new LeakyReLU(),
      new ConvTranspose3d(8, 4, 2, { stride: 2, generator: gen }),
      new GroupNorm(2, 4),
      new Conv3d(4, 2, 1, { generator: gen }),
    );
  }

  const optimizers: [string, (ps: Tensor[]) => Optimizer<never>][] = [
    ["SGD", (ps) => new SGD(ps, { lr: 0.01, momentum: 0.99, nesterov: true, weightDecay: 3e-5 }) as unknown as Optimizer<never>],
    ["Adam", (ps) => new Adam(ps, { amsgrad: true }) as unknown as Optimizer<never>],
    ["AdamW", (ps) => new AdamW(ps) as unknown as Optimizer<never>],
  ];
  for (const [name, makeOpt] of optimizers) {
    it(`a ${name} training step (schedule, forward, loss, backward, clip, step, EMA) leaves the live tensor count unchanged`, () => {
      const gen = new Generator(0);
      const student = tinyNet(gen);
      const teacher = tinyNet(new Generator(1));
      const opt = makeOpt(student.parameters());
      const ema = new EMA(teacher, { decay: 0.99 });
      const schedule = polyLr({ lr: 0.01, maxSteps: 10 });
      const x = randn([2, 1, 4, 4, 4], { generator: gen });
      const y = randn([2, 2, 4, 4, 4], { generator: gen });
      const losses: number[] = [];
      const step = (s: number) => {
        opt.lr = schedule(s);
        losses.push(
          tidy(() => {
            const loss = mseLoss(student.forward(x), y);
            loss.backward();
            clipGradNorm(student.parameters(), 12);
            opt.step();
            opt.zeroGrad();
            ema.update(student, s);
            return loss.item();
          }),
        );
      };
      step(0); // creates the optimizer state
      expectNoLeak(() => {
        for (let s = 1; s < 4; s++) step(s);
      }, `${name} training steps`);
      assert.ok(losses.every(Number.isFinite));
      assert.ok((losses[3] as number) < (losses[0] as number), `loss falls: ${losses.join(", ")}`);
      for (const t of [x, y]) t.dispose();
      opt.dispose();
      student.dispose();
      teacher.dispose();
    });
  }

  it("the same seed gives the same model and the same training run", () => {
    const run = () => {
      const gen = new Generator(7);
      const net = tinyNet(gen);
      const opt = new Adam(net.parameters(), { lr: 1e-3 });
      const x = randn([1, 1, 4, 4, 4], { generator: gen });
      for (let s = 0; s < 2; s++) {
        tidy(() => {
          net.forward(x).square().mean().backward();
          opt.step();
          opt.zeroGrad();
        });
      }
      const out = net.parameters().map((p) => p.toArray());
      x.dispose();
      opt.dispose();
      net.dispose();
      return out;
    };
    assert.deepEqual(run(), run());
  });
});
