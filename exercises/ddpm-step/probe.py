"""Calls the learner's ddpm_step inside the sandbox and records x_{t-1} and the inputs after the call."""


def run(module, inputs, params):
    x_t, eps_pred, betas, noise = inputs["x_t"], inputs["eps_pred"], inputs["betas"], inputs["noise"]
    x_prev = module.ddpm_step(x_t, params["t"], eps_pred, betas, noise)
    return {
        "x_prev": x_prev,
        "after.x_t": x_t,
        "after.eps_pred": eps_pred,
        "after.betas": betas,
        "after.noise": noise,
    }
