"""Correct variant: predict x0 and take the posterior mean of q(x_{t-1} | x_t, x0), schedule terms in float64."""
import torch


def sample(denoiser, shape, betas, generator):
    betas64 = betas.double()
    alphas_cumprod = torch.cumprod(1 - betas64, dim=0)
    batch = shape[0]
    x = torch.randn(shape, generator=generator, dtype=torch.float64)
    for t in range(len(betas64) - 1, -1, -1):
        a_bar = alphas_cumprod[t]
        a_bar_prev = alphas_cumprod[t - 1] if t > 0 else torch.tensor(1.0, dtype=torch.float64)
        z = torch.randn(shape, generator=generator, dtype=torch.float64) if t > 0 else torch.zeros(shape, dtype=torch.float64)
        eps = denoiser(x.float(), torch.full((batch,), t, dtype=torch.int64)).double()
        x0 = (x - (1 - a_bar).sqrt() * eps) / a_bar.sqrt()
        mean = (a_bar_prev.sqrt() * betas64[t] * x0 + (1 - betas64[t]).sqrt() * (1 - a_bar_prev) * x) / (1 - a_bar)
        x = mean + ((1 - a_bar_prev) / (1 - a_bar) * betas64[t]).sqrt() * z
    return x.float()
