/**
 * The linearized model f_lin(x; θ) = f(x; θ0) + J(x; θ0)(θ − θ0) (Lee et al. 2019), by one jvp
 * per call: no Jacobian is stored. It is a `Model`, so `objective`, `valueAndGrad` and the
 * training engine (src/train) train it exactly as they train the network itself.
 */
import { type JaxArray, loadJax, refTree } from "../nets/jax.js";
import type { JaxParams } from "../nets/layers/index.js";
import type { Model } from "../nets/model.js";

/** `model` linearized around `params0` (borrowed: the caller keeps and disposes them). */
export async function linearizedModel(model: Model, params0: JaxParams): Promise<Model> {
  const jax = await loadJax();
  return {
    ...model,
    apply(params, x) {
      const delta = jax.tree.map(
        ((p: JaxArray, p0: JaxArray) => p.sub(p0.ref)) as never,
        params as never,
        params0 as never,
      ) as unknown as JaxParams;
      const [y, dy] = jax.jvp(
        (p: JaxParams) => model.apply(p, x.ref),
        [refTree(jax, params0)],
        [delta],
      ) as unknown as [JaxArray, JaxArray];
      x.dispose();
      return y.add(dy);
    },
  };
}
