"""Cases and reference for gaussian-kl: digit posteriors from a seeded VAE, edge cases, seeded hidden variants."""

import types

import torch

from grader.checking import Case


def reference():
    from reference_models import vae

    return types.SimpleNamespace(gaussian_kl=vae.gaussian_kl)


def _case(case_id, title, mu, log_var, *, seed, visible=True):
    generator = torch.Generator().manual_seed(seed + 1000)
    # A random cotangent weights each sample's KL, so a gradient summed over the wrong axis shows.
    cotangent = torch.rand(mu.shape[0], generator=generator, dtype=torch.float64).to(mu.dtype) + 0.5
    return Case(case_id, title, visible, {"mu": mu, "log_var": log_var, "cotangent": cotangent}, seed=seed)


def _digits(batch, latent, seed):
    from reference_models.data import digits_batch
    from reference_models.vae import encode_decode_batch

    generator = torch.Generator().manual_seed(seed)
    tensors = encode_decode_batch(digits_batch(batch, generator), latent_dim=latent, seed=seed)
    return tensors["mu"], tensors["log_var"]


def _random(batch, latent, seed, *, scale=2.0, log_var_range=(-3.0, 3.0), dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    low, high = log_var_range
    mu = scale * torch.randn(batch, latent, generator=generator, dtype=torch.float64)
    log_var = low + (high - low) * torch.rand(batch, latent, generator=generator, dtype=torch.float64)
    return mu.to(dtype), log_var.to(dtype)


def build_cases(variant_seed):
    cases = [
        _case("digits", "digits posteriors (B=16, L=5)", *_digits(16, 5, 21), seed=21),
        _case("batch-of-one", "batch of one (B=1, L=3)", *_random(1, 3, 22), seed=22),
        _case("one-latent", "one latent dimension (B=9, L=1)", *_random(9, 1, 23), seed=23),
        _case("large-log-var", "large log-variances (4 to 8)", *_random(6, 4, 24, log_var_range=(4.0, 8.0)), seed=24),
        _case("prior", "posterior equal to the prior (KL = 0)", torch.zeros(4, 3), torch.zeros(4, 3), seed=25),
        _case("float64", "float64 inputs", *_random(5, 7, 26, dtype=torch.float64), seed=26),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(4):
        batch = int(torch.randint(2, 48, (1,), generator=rng))
        latent = int(torch.randint(2, 16, (1,), generator=rng))
        cases.append(
            _case(f"hidden-{index + 1}", f"hidden check {index + 1}", *_random(batch, latent, variant_seed * 10 + index),
                  seed=variant_seed * 10 + index, visible=False)
        )
    return cases
