"""Calls the learner's beta_schedule inside the sandbox: the betas for a kind and T, or whether an unknown kind raises ValueError."""

import torch


def run(module, inputs, params):
    kind, T = params["kind"], params["T"]
    if not params.get("unknown_kind"):
        return {"betas": module.beta_schedule(kind, T)}

    try:
        module.beta_schedule(kind, T)
    except ValueError:
        raised = True
    except Exception:  # the contract requires ValueError, so any other exception type counts as not raising it
        raised = False
    else:
        raised = False
    return {"state.raises_on_unknown_kind": torch.tensor(raised)}
