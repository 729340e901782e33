"""Runs the learner's gradient_penalty inside the sandbox on a critic built from the case's weights.

Records the penalty and its gradient with respect to every critic parameter. Where no gradient
flows, it records zeros, which is what a detached penalty contributes to the critic's update. It
also records how many critic parameters were left with a .grad, and the inputs after the call.
The layouts must match build_mlp_critic and build_conv_critic in reference_models/wgan.py.
"""

import torch
from torch import nn


def _critic(inputs, params):
    if params["critic"] == "mlp":
        hidden_dim, data_dim = inputs["critic.0.weight"].shape
        model = nn.Sequential(nn.Linear(data_dim, hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, 1))
    elif params["critic"] == "conv":
        conv_channels, channels = inputs["critic.0.weight"].shape[:2]
        flat_dim = inputs["critic.3.weight"].shape[1]
        model = nn.Sequential(
            nn.Conv2d(channels, conv_channels, kernel_size=3, padding=1),
            nn.Tanh(),
            nn.Flatten(),
            nn.Linear(flat_dim, 1),
        )
    else:
        raise ValueError(f"unknown critic {params['critic']!r}; expected 'mlp' or 'conv'")
    model = model.to(inputs["real"].dtype)
    model.load_state_dict({name: inputs["critic." + name] for name in model.state_dict()})
    return model


def run(module, inputs, params):
    critic = _critic(inputs, params)
    real, fake, alpha = inputs["real"], inputs["fake"], inputs["alpha"]
    penalty = module.gradient_penalty(critic, real, fake, alpha)

    outputs = {"penalty": penalty}
    # A .grad left on a critic parameter would be added to the critic loss's own gradient in training.
    outputs["state.critic_grads_written"] = sum(
        1 for parameter in critic.parameters() if parameter.grad is not None and parameter.grad.any()
    )
    names = [name for name, _ in critic.named_parameters()]
    parameters = list(critic.parameters())
    if isinstance(penalty, torch.Tensor) and penalty.numel() == 1 and penalty.requires_grad:
        gradients = torch.autograd.grad(penalty.sum(), parameters, allow_unused=True)
    else:
        gradients = [None] * len(parameters)
    for name, parameter, gradient in zip(names, parameters, gradients):
        outputs["grad.critic." + name] = torch.zeros_like(parameter) if gradient is None else gradient
    outputs["after.real"] = real
    outputs["after.fake"] = fake
    outputs["after.alpha"] = alpha
    return outputs
