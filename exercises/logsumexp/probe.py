"""Calls the learner's logsumexp inside the sandbox once per dimension in params["dims"], then records the input after the calls."""


def run(module, inputs, params):
    x = inputs["x"]
    outputs = {}
    for dim in params["dims"]:
        outputs[f"logsumexp(x, dim={dim})"] = module.logsumexp(x, dim)
    outputs["after.x"] = x
    return outputs
