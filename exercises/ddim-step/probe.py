"""Calls the learner's ddim_step inside the sandbox, with the alpha-bars as floats or 0-d tensors, and records the result and the inputs after the call."""


def run(module, inputs, params):
    x_t, eps_pred, noise = inputs["x_t"], inputs["eps_pred"], inputs["noise"]
    # A case passes the alpha-bars either as 0-d tensors (in inputs) or as Python floats (in params).
    alpha_bar_t = inputs["alpha_bar_t"] if "alpha_bar_t" in inputs else params["alpha_bar_t"]
    alpha_bar_prev = inputs["alpha_bar_prev"] if "alpha_bar_prev" in inputs else params["alpha_bar_prev"]
    x_prev = module.ddim_step(x_t, eps_pred, alpha_bar_t, alpha_bar_prev, params["eta"], noise)

    outputs = {"x_prev": x_prev, "after.x_t": x_t, "after.eps_pred": eps_pred, "after.noise": noise}
    for name in ("alpha_bar_t", "alpha_bar_prev"):
        if name in inputs:
            outputs["after." + name] = inputs[name]
    return outputs
