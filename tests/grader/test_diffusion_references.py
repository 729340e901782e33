"""The diffusion references against values a reader can check by hand and against analytic identities."""

import math

import pytest
import torch

from reference_models import ddim, ddpm, diffusion_schedules, gaussian_mixture, guidance


def test_linear_schedule_spans_both_ends():
    betas = diffusion_schedules.beta_schedule("linear", 5)

    expected = torch.tensor([0.0001, 0.005075, 0.01005, 0.015025, 0.02])
    torch.testing.assert_close(betas, expected, rtol=1e-6, atol=1e-9)
    assert betas.dtype == torch.float32


def test_linear_schedule_with_one_step_is_start():
    assert diffusion_schedules.beta_schedule("linear", 1).tolist() == [pytest.approx(1e-4)]


def test_cosine_schedule_matches_hand_computation():
    s = 0.008
    f = [math.cos((t / 4 + s) / (1 + s) * math.pi / 2) ** 2 for t in range(5)]
    alpha_bar = [value / f[0] for value in f]
    expected = [min(1 - alpha_bar[t + 1] / alpha_bar[t], 0.999) for t in range(4)]

    betas = diffusion_schedules.beta_schedule("cosine", 4)

    torch.testing.assert_close(betas, torch.tensor(expected, dtype=torch.float32), rtol=1e-6, atol=1e-7)
    assert betas[-1].item() == pytest.approx(0.999)


def test_cosine_alpha_bar_starts_at_one():
    assert diffusion_schedules.cosine_alphas_cumprod(50)[0].item() == 1.0


def test_unknown_schedule_kind_raises():
    with pytest.raises(ValueError, match="kind must be one of \\('linear', 'cosine'\\), got 'quadratic'"):
        diffusion_schedules.beta_schedule("quadratic", 10)


def test_q_sample_worked_example():
    alphas_cumprod = torch.tensor([0.9, 0.64])

    x_t = ddpm.q_sample(torch.tensor([[1.0, -2.0]]), torch.tensor([1]), torch.tensor([[0.5, 0.5]]), alphas_cumprod)

    torch.testing.assert_close(x_t, torch.tensor([[1.1, -1.3]]))


def test_q_sample_broadcasts_per_sample_over_images():
    alphas_cumprod = torch.tensor([0.25, 0.81])
    x0 = torch.ones(2, 3, 4, 5)

    x_t = ddpm.q_sample(x0, torch.tensor([0, 1]), torch.zeros_like(x0), alphas_cumprod)

    torch.testing.assert_close(x_t[0], torch.full((3, 4, 5), 0.5))
    torch.testing.assert_close(x_t[1], torch.full((3, 4, 5), 0.9))


def test_ddpm_step_worked_example():
    betas = torch.tensor([0.1, 0.2])
    x_t, eps, noise = torch.tensor([1.0]), torch.tensor([0.5]), torch.tensor([-1.0])
    mean_1 = (1 - 0.2 / math.sqrt(0.28) * 0.5) / math.sqrt(0.8)
    variance_1 = 0.1 / 0.28 * 0.2

    torch.testing.assert_close(ddpm.ddpm_step(x_t, 1, eps, betas, noise), torch.tensor([mean_1 - math.sqrt(variance_1)]))
    torch.testing.assert_close(ddpm.ddpm_step(x_t, 0, eps, betas, noise), torch.tensor([(1 - 0.1 / math.sqrt(0.1) * 0.5) / math.sqrt(0.9)]))


def test_posterior_variance_is_zero_at_last_step():
    assert ddpm.posterior_variance(torch.tensor([0.1, 0.2]), 0).item() == 0.0


def test_ddim_step_worked_example():
    x_t, eps, noise = torch.tensor([1.0]), torch.tensor([0.5]), torch.tensor([-1.0])
    sigma = 0.5 * 0.75 * math.sqrt(1 - 0.36 / 0.64)

    deterministic = ddim.ddim_step(x_t, eps, 0.36, 0.64, 0.0, noise)
    stochastic = ddim.ddim_step(x_t, eps, torch.tensor(0.36), torch.tensor(0.64), 0.5, noise)

    torch.testing.assert_close(deterministic, torch.tensor([1.1]))
    torch.testing.assert_close(stochastic, torch.tensor([0.8 + math.sqrt(0.36 - sigma**2) * 0.5 - sigma]))


def test_ddim_last_step_returns_predicted_x0():
    x_t, eps = torch.tensor([0.7, -0.2]), torch.tensor([0.3, 0.1])

    result = ddim.ddim_step(x_t, eps, 0.8, 1.0, 1.0, torch.randn(2))

    torch.testing.assert_close(result, (x_t - math.sqrt(0.2) * eps) / math.sqrt(0.8))


def test_ddim_with_eta_one_matches_ddpm_variance():
    betas = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    alphas_cumprod = torch.cumprod(1 - betas, 0)
    x_t, eps, noise = (torch.randn(4, dtype=torch.float64) for _ in range(3))

    ddim_result = ddim.ddim_step(x_t, eps, alphas_cumprod[2], alphas_cumprod[1], 1.0, noise)
    ddpm_result = ddpm.ddpm_step(x_t, 2, eps, betas, noise)

    torch.testing.assert_close(ddim_result, ddpm_result)


def test_cfg_combine_worked_example():
    uncond, cond = torch.tensor([0.2, -0.4]), torch.tensor([0.5, -0.1])

    torch.testing.assert_close(guidance.cfg_combine(uncond, cond, 0.0), uncond)
    torch.testing.assert_close(guidance.cfg_combine(uncond, cond, 1.0), cond)
    torch.testing.assert_close(guidance.cfg_combine(uncond, cond, 7.5), torch.tensor([2.45, 1.85]))


def test_mixture_denoiser_of_standard_normal_is_scaled_input():
    # For x0 ~ N(0, I), x_t ~ N(0, I) at every step and E[eps | x_t] = sqrt(1 - alpha_bar_t) x_t.
    alphas_cumprod = torch.tensor([0.9, 0.5, 0.1], dtype=torch.float64)
    denoiser = gaussian_mixture.mixture_denoiser(
        torch.tensor([1.0]), torch.zeros(1, 2), torch.tensor([1.0]), alphas_cumprod
    )
    x_t = torch.tensor([[0.3, -1.2], [2.0, 0.5], [-0.7, 0.1]])

    eps = denoiser(x_t, torch.tensor([0, 1, 2]))

    torch.testing.assert_close(eps, (1 - alphas_cumprod.float())[:, None].sqrt() * x_t)


def test_mixture_denoiser_of_one_component_matches_closed_form():
    alphas_cumprod = torch.tensor([0.6], dtype=torch.float64)
    mean, std = torch.tensor([[1.5, -0.5]]), 0.4
    denoiser = gaussian_mixture.mixture_denoiser(torch.tensor([1.0]), mean, torch.tensor([std]), alphas_cumprod)
    x_t = torch.tensor([[0.2, 0.9]])

    eps = denoiser(x_t, torch.tensor([0]))

    variance = 0.6 * std**2 + 0.4
    torch.testing.assert_close(eps, math.sqrt(0.4) * (x_t - math.sqrt(0.6) * mean) / variance)


def test_mixture_denoiser_rejects_integer_step():
    denoiser = gaussian_mixture.mixture_denoiser(
        torch.tensor([1.0]), torch.zeros(1, 2), torch.tensor([1.0]), torch.tensor([0.5])
    )

    with pytest.raises(TypeError, match="t_batch must be a long tensor of shape \\(3,\\)"):
        denoiser(torch.zeros(3, 2), 0)


def test_sampler_is_reproducible_with_its_generator():
    betas = diffusion_schedules.scaled_linear_betas(30)
    denoiser = gaussian_mixture.mixture_denoiser(
        torch.tensor([0.5, 0.5]), torch.tensor([[-1.0], [1.0]]), torch.tensor([0.3, 0.3]),
        diffusion_schedules.alphas_cumprod(betas.double()),
    )

    first = ddpm.sample(denoiser, (16, 1), betas, torch.Generator().manual_seed(4))
    second = ddpm.sample(denoiser, (16, 1), betas, torch.Generator().manual_seed(4))

    assert torch.equal(first, second)
    assert first.dtype == torch.float32
