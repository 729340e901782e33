"""Runs the learner's DDPM sampler inside the sandbox with the exact noise predictor of a known Gaussian mixture.

Records the samples and the steps at which the sampler called the denoiser. When the case sets
``repeat``, it also records three small runs of ``repeat_batch`` samples: two with generators seeded
the same way (which must agree) and one with another seed (which must not). Small runs keep the
check cheap, and the behaviour does not depend on the batch size.

The denoiser below is a tool of the check, not graded code: for data x0 ~ sum_k pi_k N(m_k, s_k^2 I),
x_t = sqrt(a_t) x0 + sqrt(1 - a_t) eps has the mixture density sum_k pi_k N(sqrt(a_t) m_k, v_k I) with
v_k = a_t s_k^2 + 1 - a_t, and E[eps | x_t] = -sqrt(1 - a_t) * grad log p_t(x_t)
= sqrt(1 - a_t) * sum_k r_k (x_t - sqrt(a_t) m_k) / v_k, where r_k are the posterior
responsibilities. The trusted side computes the same function in reference_models/gaussian_mixture.py.
"""

import math

import torch


def make_denoiser(weights, means, stds, betas, timesteps):
    """Return denoiser(x_t, t_batch) for the mixture; each call appends t_batch[0] to ``timesteps``."""
    alphas_cumprod = torch.cumprod(1 - betas.double(), dim=0)  # (T,)
    log_weights = weights.double().log()  # (K,)
    means64, variances = means.double(), stds.double() ** 2  # (K, D), (K,)

    def denoiser(x_t, t_batch):
        batch, dim = x_t.shape
        if not isinstance(t_batch, torch.Tensor) or t_batch.dtype != torch.long or tuple(t_batch.shape) != (batch,):
            described = f"a tensor of dtype {t_batch.dtype} and shape {tuple(t_batch.shape)}" if isinstance(
                t_batch, torch.Tensor) else f"a {type(t_batch).__name__}"
            raise TypeError(
                f"denoiser(x_t, t_batch) expects t_batch as a long tensor of shape ({batch},), one step per sample, "
                f"for example torch.full(({batch},), t, dtype=torch.long); got {described}"
            )
        timesteps.append(int(t_batch[0]))
        alpha_bar = alphas_cumprod[t_batch][:, None]  # (B, 1)
        offsets = x_t.detach().double()[:, None, :] - alpha_bar.sqrt()[:, None, :] * means64[None]  # (B, K, D)
        component_variances = alpha_bar * variances[None] + 1 - alpha_bar  # (B, K)
        log_densities = (
            log_weights
            - 0.5 * dim * torch.log(2 * math.pi * component_variances)
            - 0.5 * offsets.pow(2).sum(-1) / component_variances
        )  # (B, K)
        responsibilities = torch.softmax(log_densities, dim=1)  # (B, K)
        weighted = (responsibilities[:, :, None] * offsets / component_variances[:, :, None]).sum(1)  # (B, D)
        return ((1 - alpha_bar).sqrt() * weighted).to(x_t.dtype)  # (B, D)

    return denoiser


def run(module, inputs, params):
    weights, means, stds, betas = inputs["weights"], inputs["means"], inputs["stds"], inputs["betas"]
    dim = means.shape[1]

    def draw(seed, batch, timesteps):
        generator = torch.Generator().manual_seed(seed)
        return module.sample(make_denoiser(weights, means, stds, betas, timesteps), (batch, dim), betas, generator)

    timesteps = []
    outputs = {"samples": draw(params["seed"], params["batch"], timesteps)}
    outputs["state.timesteps"] = torch.tensor(timesteps, dtype=torch.long)
    if params.get("repeat"):
        small = params["repeat_batch"]
        outputs["repeat_first"] = draw(params["seed"], small, [])
        outputs["repeat_same_seed"] = draw(params["seed"], small, [])
        outputs["repeat_other_seed"] = draw(params["other_seed"], small, [])
    outputs["after.betas"] = betas
    return outputs
