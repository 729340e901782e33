import torch


def sample(denoiser, shape, betas, generator):
    """Return samples of `shape` from the ancestral DDPM sampler.

    x_T ~ N(0, I), then for t = T - 1, ..., 0 one reverse step with eps = denoiser(x_t, t_batch), where
    t_batch is a long tensor (B,). Draw every random number with `generator`.
    """
    raise NotImplementedError("write the sampler")
