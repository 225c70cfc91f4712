import { loadJax } from "../src/nets/jax.js";
import { mlpModel } from "../src/nets/model.js";
import { activation } from "../src/theory/activations.js";
const jax = await loadJax();
for (const p of ["standard","ntk"] as const) {
const model = await mlpModel({ inputDim: 3, width: 5, depth: 3, outputDim: 2, activation: activation("tanh"), sigmaW2: 1.5, sigmaB2: 0.1, loss: "mse", parametrization: p });
console.log(model.architecture.blocks.map((b: any) => b.key));
const params = model.init(0);
console.log(JSON.stringify(jax.tree.map((l: any) => l.shape, params as any)));
}
