"""Calls the learner's cfg_combine inside the sandbox and records the result and the inputs after the call."""


def run(module, inputs, params):
    eps_uncond, eps_cond = inputs["eps_uncond"], inputs["eps_cond"]
    eps = module.cfg_combine(eps_uncond, eps_cond, params["guidance_scale"])
    return {"eps": eps, "after.eps_uncond": eps_uncond, "after.eps_cond": eps_cond}
