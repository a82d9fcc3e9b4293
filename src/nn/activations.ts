// Parameter-free activation layers, so they can sit in a Sequential. Each returns a fresh tensor.
import { type Tensor, callTensor, gelu, leakyRelu, relu, sigmoid } from "../tensor/index.js";
import { Module } from "./module.js";

/** max(x, 0), any shape. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** x for x >= 0, negativeSlope*x otherwise, any shape. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

/** x·Φ(x), exactly ("none") or with the tanh approximation, any shape. - Paper: arXiv:1606.08415 */
export class GELU extends Module {
  constructor(readonly approximate: "none" | "tanh" = "none") {
    super();
  }

  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }
}

/** 1/(1+exp(-x)), any shape. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Returns its input (as a fresh alias handle, so callers may dispose it like any other output). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return callTensor("aten::alias", [x]);
  }
}
