"""Cases and reference for vae-loss: digit batches through a seeded VAE, edge cases, and seeded hidden variants."""

import types

import torch

from grader.checking import Case, Tolerance


def reference():
    from reference_models import vae

    return types.SimpleNamespace(vae_loss=vae.vae_loss)


def _digits_case(case_id, title, *, batch, latent, beta, seed, visible=True):
    from reference_models.data import digits_batch
    from reference_models.vae import encode_decode_batch

    generator = torch.Generator().manual_seed(seed)
    tensors = encode_decode_batch(digits_batch(batch, generator), latent_dim=latent, seed=seed)
    return Case(case_id, title, visible, tensors, params={"beta": beta}, seed=seed)


def _random_case(case_id, title, *, batch, features, latent, beta, seed, log_var_range=(-2.0, 1.0), visible=False,
                 dtype=torch.float32, edge_probabilities=False):
    generator = torch.Generator().manual_seed(seed)
    low, high = log_var_range
    if edge_probabilities:
        x = (torch.rand(batch, features, generator=generator) > 0.5).to(dtype)
        near = 10 ** -(2 + 3 * torch.rand(batch, features, generator=generator, dtype=torch.float64))
        x_hat = torch.where(torch.rand(batch, features, generator=generator) > 0.5, near, 1 - near).to(dtype)
    else:
        x = torch.rand(batch, features, generator=generator, dtype=dtype)
        x_hat = (0.02 + 0.96 * torch.rand(batch, features, generator=generator, dtype=torch.float64)).to(dtype)
    tensors = {
        "x": x,
        "x_hat": x_hat,
        "mu": (2 * torch.randn(batch, latent, generator=generator, dtype=torch.float64)).to(dtype),
        "log_var": (low + (high - low) * torch.rand(batch, latent, generator=generator, dtype=torch.float64)).to(dtype),
    }
    # Sums of up to a few hundred float32 log terms: 1e-4 relative leaves room for any summation order.
    tolerances = {"loss": Tolerance(rtol=1e-4, atol=1e-4)} if dtype == torch.float32 else {}
    if edge_probabilities:
        # Near 0 and 1, float32 holds 1 - x_hat to only a few digits, so equivalent formulas
        # (logits, log1p, clamping) give gradients that differ in the third significant digit.
        tolerances["grad.x_hat"] = Tolerance(rtol=2e-2, atol=1e-4)
    return Case(case_id, title, visible, tensors, params={"beta": beta}, seed=seed, tolerances=tolerances)


def build_visible_cases():
    return [
        _digits_case("digits", "digits batch (B=16, L=5, default beta)", batch=16, latent=5, beta=None, seed=11),
        _digits_case("digits-beta", "digits batch with beta=0.35", batch=12, latent=3, beta=0.35, seed=12),
        _digits_case("batch-of-one", "batch of one, beta=2", batch=1, latent=4, beta=2.0, seed=13),
        _random_case("large-log-var", "large log-variances (2 to 6)", batch=7, features=64, latent=6, beta=1.5,
                     seed=14, log_var_range=(2.0, 6.0), visible=True),
        _random_case("edge-probabilities", "probabilities near 0 and 1", batch=5, features=64, latent=3, beta=0.8,
                     seed=15, visible=True, edge_probabilities=True),
        _random_case("float64", "float64 inputs", batch=6, features=30, latent=7, beta=0.6, seed=16,
                     visible=True, dtype=torch.float64),
    ]


def build_hidden_cases(variant_seed):
    """Draw the hidden cases' sizes and beta from the variant seed; the grader builds the visible ones once."""
    cases = []
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(4):
        batch = int(torch.randint(2, 40, (1,), generator=rng))
        features = int(torch.randint(10, 100, (1,), generator=rng))
        latent = int(torch.randint(2, 12, (1,), generator=rng))
        beta = round(0.1 + 3.9 * float(torch.rand(1, generator=rng)), 3)
        cases.append(
            _random_case(f"hidden-{index + 1}", f"hidden check {index + 1}", batch=batch, features=features,
                         latent=latent, beta=beta, seed=variant_seed * 10 + index, log_var_range=(-3.0, 3.0))
        )
    return cases


def build_cases(variant_seed):
    return build_visible_cases() + build_hidden_cases(variant_seed)
