"""Runs the learner's discriminator_step inside the sandbox on MLPs built from the case's weights.

Before every call the probe plants stale gradients in D's .grad, and once, before the first call,
in G's .grad, so a missing zero_grad and gradients leaking into G both show in the recorded state.
The layouts must match build_discriminator and build_generator in reference_models/gan.py.
"""

import torch
from torch import nn

STALE_GRADIENT_SCALE = 0.3


def _load(model, inputs, prefix):
    model.load_state_dict({name: inputs[prefix + name] for name in model.state_dict()})
    return model


def _discriminator(inputs):
    hidden_dim, data_dim = inputs["D.0.weight"].shape
    model = nn.Sequential(nn.Linear(data_dim, hidden_dim), nn.LeakyReLU(0.2), nn.Linear(hidden_dim, 1))
    return _load(model, inputs, "D.")


def _generator(inputs):
    hidden_dim, latent_dim = inputs["G.0.weight"].shape
    data_dim = inputs["G.2.weight"].shape[0]
    model = nn.Sequential(nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, data_dim), nn.Tanh())
    return _load(model, inputs, "G.")


def _optimizer(parameters, params):
    if params["optimizer"] == "sgd":
        return torch.optim.SGD(parameters, lr=params["lr"], momentum=params["momentum"])
    if params["optimizer"] == "adam":
        return torch.optim.Adam(parameters, lr=params["lr"], betas=tuple(params["betas"]))
    raise ValueError(f"unknown optimizer {params['optimizer']!r}; expected 'sgd' or 'adam'")


def _plant_stale_gradients(model, generator):
    planted = {}
    for name, parameter in model.named_parameters():
        parameter.grad = STALE_GRADIENT_SCALE * torch.randn(parameter.shape, generator=generator)
        planted[name] = parameter.grad.clone()
    return planted


def _as_number(value):
    """Convert the returned loss to a float if it is one number (a float or a one-element tensor), or return None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach().reshape(()).item())
    return None


def _loss_outputs(returned):
    outputs = {}
    for name, value in zip(("loss", "second_loss"), returned):
        number = _as_number(value)
        if number is not None:
            outputs[name] = number
    not_float = [value for value in returned if isinstance(value, bool) or not isinstance(value, float)]
    outputs["loss_is_float"] = 0 if not_float else 1
    outputs["loss_type"] = _type_name(not_float[0]) if not_float else "float"
    return outputs


def _type_name(value):
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def run(module, inputs, params):
    D = _discriminator(inputs)
    G = _generator(inputs)
    opt_D = _optimizer(D.parameters(), params)
    real, z = inputs["real"], inputs["z"]

    stale = torch.Generator().manual_seed(params["stale_seed"])
    planted_in_G = _plant_stale_gradients(G, stale)
    returned = []
    for _ in range(params["steps"]):
        _plant_stale_gradients(D, stale)
        returned.append(module.discriminator_step(D, G, real, z, opt_D))

    outputs = _loss_outputs(returned)
    for name, parameter in D.named_parameters():
        outputs["state.D." + name] = parameter.detach().clone()
        for key, value in opt_D.state.get(parameter, {}).items():
            if isinstance(value, torch.Tensor):
                outputs[f"state.opt_D.{name}.{key}"] = value.detach().clone()
    for name, parameter in G.named_parameters():
        outputs["state.G." + name] = parameter.detach().clone()
        # Clearing G's .grad (None or zeros) counts as receiving nothing. Anything else added to it was received.
        grad = parameter.grad
        if grad is None or not grad.any():
            outputs[f"state.G.{name}.grad_received"] = torch.zeros_like(parameter)
        else:
            outputs[f"state.G.{name}.grad_received"] = grad.detach() - planted_in_G[name]
    outputs["state.G.requires_grad"] = torch.tensor([parameter.requires_grad for parameter in G.parameters()])
    outputs["after.real"] = real
    outputs["after.z"] = z
    return outputs
