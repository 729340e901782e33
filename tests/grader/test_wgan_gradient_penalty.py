"""The WGAN-GP exercise: the reference penalty against analytic values, and the properties its cases rely on."""

import math

import pytest
import torch
from torch import nn

from grader.exercise import get_exercise
from reference_models import wgan


class HalfSquaredNorm(nn.Module):
    """f(x) = 0.5 * ||x||^2 per sample, whose input gradient is x itself."""

    def forward(self, x):
        return 0.5 * x.pow(2).sum(dim=1, keepdim=True)


def test_gradient_penalty_of_quadratic_critic():
    real = torch.tensor([[3.0, 0.0], [0.4, 0.0]])
    fake = torch.tensor([[0.0, 1.0], [0.0, 0.3]])
    alpha = torch.tensor([[0.5], [0.25]])

    penalty = wgan.gradient_penalty(HalfSquaredNorm(), real, fake, alpha)

    # x_hat is (1.5, 0.5) and (0.1, 0.225); the gradient equals x_hat.
    expected = ((math.sqrt(2.5) - 1) ** 2 + (math.sqrt(0.060625) - 1) ** 2) / 2
    assert penalty.shape == ()
    torch.testing.assert_close(penalty.item(), expected, rtol=1e-6, atol=1e-7)


def test_gradient_penalty_gradient_of_linear_critic():
    critic = nn.Linear(3, 1, dtype=torch.float64)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.5, -1.0, 2.0]]))
    real, fake = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    alpha = torch.rand(4, 1, dtype=torch.float64)

    penalty = wgan.gradient_penalty(critic, real, fake, alpha)
    (grad_weight,) = torch.autograd.grad(penalty, critic.weight)

    # For f(x) = w . x + b every input gradient is w: the penalty is (||w|| - 1)^2,
    # and its gradient with respect to w is 2 (||w|| - 1) w / ||w||.
    weight = critic.weight.detach()
    norm = weight.norm()
    torch.testing.assert_close(penalty, (norm - 1) ** 2, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad_weight, 2 * (norm - 1) * weight / norm, rtol=1e-12, atol=1e-12)


def test_gradient_penalty_writes_no_parameter_grad():
    critic = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))

    wgan.gradient_penalty(critic, torch.randn(5, 2), torch.randn(5, 2), torch.rand(5, 1))

    assert all(parameter.grad is None for parameter in critic.parameters())


def test_gradient_penalty_rejects_alpha_without_trailing_ones():
    real = torch.zeros(3, 2)

    with pytest.raises(ValueError) as raised:
        wgan.gradient_penalty(nn.Linear(2, 1), real, real, torch.rand(3))

    assert str(raised.value) == "alpha has shape (3,); expected (3, 1), one value per sample"


def test_gradient_penalty_rejects_fake_of_other_shape():
    with pytest.raises(ValueError) as raised:
        wgan.gradient_penalty(nn.Linear(2, 1), torch.zeros(3, 2), torch.zeros(4, 2), torch.rand(3, 1))

    assert str(raised.value) == "fake has shape (4, 2); expected the shape of real, (3, 2)"


def _norms(case):
    critic = _critic(case)
    alpha, real, fake = case.inputs["alpha"], case.inputs["real"], case.inputs["fake"]
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return grad.flatten(start_dim=1).norm(dim=1)


def _critic(case):
    state = {name[len("critic."):]: tensor for name, tensor in case.inputs.items() if name.startswith("critic.")}
    real = case.inputs["real"]
    generator = torch.Generator().manual_seed(0)
    if case.params["critic"] == "mlp":
        critic = wgan.build_mlp_critic(real.shape[1], state["0.weight"].shape[0], generator)
    else:
        critic = wgan.build_conv_critic(*real.shape[1:], state["0.weight"].shape[0], generator)
    critic = critic.to(real.dtype)
    critic.load_state_dict(state)
    return critic


def test_norms_straddle_one():
    cases = get_exercise("wgan-gradient-penalty").checks().build_cases(0)
    around_one = [case for case in cases if case.id in ("mlp", "images", "alpha-endpoints", "alpha-half")]

    for case in around_one:
        norms = _norms(case)

        assert (norms < 1).any(), (case.id, norms)
        assert (norms > 1).any(), (case.id, norms)


def test_steep_critic_case_has_every_norm_above_one():
    cases = get_exercise("wgan-gradient-penalty").checks().build_cases(0)
    steep = next(case for case in cases if case.id == "steep-critic")

    assert (_norms(steep) > 1).all()


def test_visible_cases_use_distinct_sizes():
    for case in get_exercise("wgan-gradient-penalty").checks().build_cases(0):
        if not case.visible:
            continue
        hidden_dim = case.inputs["critic.0.weight"].shape[0]
        sizes = list(case.inputs["real"].shape) + [hidden_dim]

        assert len(set(sizes)) == len(sizes), (case.id, sizes)


def test_hidden_cases_follow_variant_seed():
    checks = get_exercise("wgan-gradient-penalty").checks()

    def hidden_shapes(variant_seed):
        return [tuple(case.inputs["real"].shape) for case in checks.build_cases(variant_seed) if not case.visible]

    assert hidden_shapes(3) == hidden_shapes(3)
    assert hidden_shapes(3) != hidden_shapes(4)
