"""Cases and reference for wgan-gradient-penalty: seeded MLP and convolutional critics, and alpha at its special points.

Each critic's last layer is rescaled so that the per-sample gradient norms at x_hat sit around a
chosen target. Around 1, some norms are below 1 and some above, which separates (||g|| - 1)^2 from
|| g || - 1 and its absolute value; a target far from 1 puts every norm on one side.
"""

import types

import torch

from grader.checking import Case

# At the default initialization tanh stays nearly linear on these inputs, so every sample has almost
# the same input gradient. Tripling the first layer's weights spreads the norms by roughly 10 to 50 %.
FIRST_LAYER_GAIN = 3.0


def reference():
    from reference_models import wgan

    return types.SimpleNamespace(gradient_penalty=wgan.gradient_penalty)


def _gradient_norms(critic, x_hat):
    x_hat = x_hat.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return grad.flatten(start_dim=1).norm(dim=1)


def _case(case_id, title, *, shape, hidden_dim, seed, norm_target=1.0, alpha=None, dtype=torch.float32,
          visible=True):
    """shape is (B, D) for an MLP critic or (B, C, H, W) for a convolutional one."""
    from reference_models.wgan import build_conv_critic, build_mlp_critic

    generator = torch.Generator().manual_seed(seed)
    if len(shape) == 2:
        critic = build_mlp_critic(shape[1], hidden_dim, generator)
        kind, last = "mlp", "2"
    else:
        critic = build_conv_critic(shape[1], shape[2], shape[3], hidden_dim, generator)
        kind, last = "conv", "3"
    with torch.no_grad():
        critic[0].weight.mul_(FIRST_LAYER_GAIN)
    critic = critic.to(dtype)
    real = torch.tanh(torch.randn(shape, generator=generator, dtype=torch.float64) + 0.5).to(dtype)
    fake = (0.7 * torch.randn(shape, generator=generator, dtype=torch.float64)).to(dtype)
    alpha_shape = (shape[0],) + (1,) * (len(shape) - 1)
    if alpha is None:
        alpha = torch.rand(alpha_shape, generator=generator, dtype=torch.float64).to(dtype)
    else:
        alpha = torch.tensor(alpha, dtype=dtype).reshape(alpha_shape)

    # The input gradient is linear in the last layer's weight, so one rescaling sets the median norm.
    median = _gradient_norms(critic, alpha * real + (1 - alpha) * fake).median()
    with torch.no_grad():
        critic[int(last)].weight.mul_(norm_target / median)

    inputs = {"real": real, "fake": fake, "alpha": alpha}
    inputs.update({"critic." + name: tensor.detach().clone() for name, tensor in critic.state_dict().items()})
    return Case(case_id, title, visible, inputs, params={"critic": kind}, seed=seed)


def build_cases(variant_seed):
    cases = [
        _case("mlp", "MLP critic, norms around 1 (B=7, D=5)", shape=(7, 5), hidden_dim=6, seed=61),
        _case("images", "convolutional critic on images (B=4, C=2, H=5, W=3)", shape=(4, 2, 5, 3), hidden_dim=6,
              seed=62),
        _case("batch-of-one", "batch of one, gradient norm 1.6 (B=1, D=3)", shape=(1, 3), hidden_dim=4, seed=63,
              norm_target=1.6, alpha=[0.3]),
        _case("alpha-endpoints", "alpha of 0, 0.5 and 1 (B=5, D=4)", shape=(5, 4), hidden_dim=9, seed=64,
              alpha=[0.0, 1.0, 0.5, 1.0, 0.0]),
        _case("alpha-half", "alpha = 0.5 for every sample (B=6, D=3)", shape=(6, 3), hidden_dim=5, seed=65,
              alpha=[0.5] * 6),
        _case("float64-images", "float64 images (B=3, C=1, H=4, W=6)", shape=(3, 1, 4, 6), hidden_dim=2, seed=66,
              dtype=torch.float64),
        _case("steep-critic", "every gradient norm above 1, around 3 (B=8, D=2)", shape=(8, 2), hidden_dim=3,
              seed=67, norm_target=3.0),
    ]
    rng = torch.Generator().manual_seed(variant_seed)

    def integer(low, high):
        return int(torch.randint(low, high + 1, (1,), generator=rng))

    for index in range(4):
        batch = integer(2, 24)
        if index % 2 == 0:
            shape = (batch, integer(2, 16))
        else:
            shape = (batch, integer(1, 3), integer(3, 8), integer(3, 8))
        norm_target = round(0.5 + 1.5 * float(torch.rand(1, generator=rng)), 3)
        cases.append(
            _case(f"hidden-{index + 1}", f"hidden check {index + 1}", shape=shape, hidden_dim=integer(2, 10),
                  seed=variant_seed * 10 + index, norm_target=norm_target, visible=False)
        )
    return cases
