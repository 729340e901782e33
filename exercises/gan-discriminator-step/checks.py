"""Cases, reference and the returned-type check for gan-discriminator-step.

Each case gives seeded weights for a small D and G, a real batch, latent codes and an optimizer.
The probe builds the networks and the optimizer from them, so the learner and the reference
start from the same state. After one or two steps the comparison covers the returned losses,
both networks' parameters, the gradients G received, and the optimizer's state.
"""

import types

import torch

from grader.checking import HIDDEN_MESSAGES, Case, Tolerance, compare_case
from grader.verdict import Stage

TYPE_OUTPUT = "loss_is_float"
# The loss is computed in float32 and reported as a Python float (float64), so float32 bounds apply.
LOSS_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-5)


def reference():
    from reference_models import gan

    return types.SimpleNamespace(discriminator_step=gan.discriminator_step)


def sgd(lr, momentum):
    return {"optimizer": "sgd", "lr": lr, "momentum": momentum}


def adam(lr, beta1, beta2):
    return {"optimizer": "adam", "lr": lr, "betas": [beta1, beta2]}


def _case(case_id, title, *, batch, data_dim, latent_dim, d_hidden, g_hidden, optimizer, steps, seed,
          visible=True, logit_bias=None):
    from reference_models.gan import build_discriminator, build_generator

    generator = torch.Generator().manual_seed(seed)
    D = build_discriminator(data_dim, d_hidden, generator)
    G = build_generator(latent_dim, g_hidden, data_dim, generator)
    if logit_bias is not None:
        with torch.no_grad():
            D[2].bias.fill_(logit_bias)
    real = torch.tanh(0.8 * torch.randn(batch, data_dim, generator=generator) + 0.4)
    z = torch.randn(batch, latent_dim, generator=generator)

    inputs = {"real": real, "z": z}
    inputs.update({"D." + name: tensor.detach().clone() for name, tensor in D.state_dict().items()})
    inputs.update({"G." + name: tensor.detach().clone() for name, tensor in G.state_dict().items()})
    params = {"steps": steps, "stale_seed": seed + 500, **optimizer}
    tolerances = {"loss": LOSS_TOLERANCE, "second_loss": LOSS_TOLERANCE}
    return Case(case_id, title, visible, inputs, params=params, seed=seed, tolerances=tolerances)


def build_cases(variant_seed):
    cases = [
        _case("sgd-momentum", "SGD with momentum 0.9, two steps (B=6, D=5, L=3)", batch=6, data_dim=5, latent_dim=3,
              d_hidden=7, g_hidden=4, optimizer=sgd(0.05, 0.9), steps=2, seed=41),
        _case("adam", "Adam with betas (0.5, 0.999), two steps (B=9, D=4, L=2)", batch=9, data_dim=4, latent_dim=2,
              d_hidden=6, g_hidden=5, optimizer=adam(0.002, 0.5, 0.999), steps=2, seed=42),
        _case("batch-of-one", "batch of one, plain SGD, one step (B=1, D=3, L=4)", batch=1, data_dim=3,
              latent_dim=4, d_hidden=5, g_hidden=6, optimizer=sgd(0.1, 0.0), steps=1, seed=43),
        # Every logit is near +20: sigmoid rounds to 1 in float32, so only a loss computed from logits stays finite.
        _case("confident-logits", "logits near +20, SGD with momentum 0.5 (B=5, D=6, L=2)", batch=5, data_dim=6,
              latent_dim=2, d_hidden=3, g_hidden=8, optimizer=sgd(0.02, 0.5), steps=2, seed=44, logit_bias=20.0),
        _case("adam-default-betas", "Adam with betas (0.9, 0.999), two steps (B=3, D=2, L=5)", batch=3, data_dim=2,
              latent_dim=5, d_hidden=8, g_hidden=4, optimizer=adam(0.01, 0.9, 0.999), steps=2, seed=45),
    ]
    rng = torch.Generator().manual_seed(variant_seed)

    def uniform(low, high):
        return round(low + (high - low) * float(torch.rand(1, generator=rng)), 4)

    def integer(low, high):
        return int(torch.randint(low, high + 1, (1,), generator=rng))

    for index in range(4):
        if index % 2 == 0:
            optimizer = sgd(uniform(0.005, 0.2), uniform(0.0, 0.95))
        else:
            optimizer = adam(uniform(1e-4, 0.02), uniform(0.0, 0.9), uniform(0.9, 0.9999))
        cases.append(
            _case(f"hidden-{index + 1}", f"hidden check {index + 1}", batch=integer(2, 32), data_dim=integer(2, 12),
                  latent_dim=integer(1, 8), d_hidden=integer(3, 16), g_hidden=integer(3, 16), optimizer=optimizer,
                  steps=integer(1, 2), seed=variant_seed * 10 + index, visible=False)
        )
    return cases


def _type_problem(outcome):
    returned = outcome.values.get("loss_type")
    if returned == "float":
        return None
    return (
        f"discriminator_step returned a value of type {returned}; the contract returns the loss as a Python float. "
        "Return loss.item(), which also lets the graph be freed."
    )


def evaluate_case(case, outcome, expected):
    """Compare as usual, but report a loss of the wrong type in plain words on the value row."""
    compared = {name: tensor for name, tensor in expected.items() if name != TYPE_OUTPUT}
    rows = compare_case(case, outcome, compared)
    if outcome is None or outcome.error is not None:
        return rows
    problem = _type_problem(outcome)
    if problem is None:
        return rows
    for row in rows:
        if row.stage is not Stage.VALUE:
            continue
        if not case.visible:
            row.message = HIDDEN_MESSAGES[Stage.VALUE]
        elif row.passed:
            row.message = problem
        else:
            row.message = problem + " " + row.message
        row.passed = False
    return rows
