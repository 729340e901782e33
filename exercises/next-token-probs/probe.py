"""Calls the learner's next_token_probs inside the sandbox with the case's options and records the probabilities and the logits after the call.

Options absent from params are not passed, so the defaults are exercised too.
"""

OPTIONS = ("temperature", "top_k", "top_p")


def run(module, inputs, params):
    logits = inputs["logits"]
    options = {name: params[name] for name in OPTIONS if name in params}
    probs = module.next_token_probs(logits, **options)
    return {"probs": probs, "after.logits": logits}
