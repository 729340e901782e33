"""Learner code for the vae-loss exercise: one correct solution and one per kind of failure."""

CORRECT_VAE_LOSS = '''\
import torch
import torch.nn.functional as F


def vae_loss(x, x_hat, mu, log_var, beta=1.0):
    bce = F.binary_cross_entropy(x_hat, x, reduction="none").sum(dim=1)
    kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)
    return (bce + beta * kl).mean()
'''

# The KL term with its sign flipped: the exercise names this misconception kl-wrong-sign.
KL_WRONG_SIGN = CORRECT_VAE_LOSS.replace("kl = -0.5 * torch.sum", "kl = 0.5 * torch.sum")

RAISES = '''\
def vae_loss(x, x_hat, mu, log_var, beta=1.0):
    raise ValueError("not implemented yet")
'''

SYNTAX_ERROR = '''\
def vae_loss(x, x_hat, mu, log_var, beta=1.0)
    return x
'''

INFINITE_LOOP = '''\
def vae_loss(x, x_hat, mu, log_var, beta=1.0):
    while True:
        pass
'''

ALLOCATES_20_GB = '''\
import torch


def vae_loss(x, x_hat, mu, log_var, beta=1.0):
    block = torch.ones(20 * 1024**3, dtype=torch.uint8)
    return block.sum()
'''

# Importing takes 4 s, which leaves time to kill the worker process grading it.
SLOW_IMPORT = "import time\n\ntime.sleep(4)\n\n" + CORRECT_VAE_LOSS

PRINTS_MARKUP = CORRECT_VAE_LOSS.replace(
    "    return (bce + beta * kl).mean()",
    '    print("<script>alert(1)</script>")\n    return (bce + beta * kl).mean()',
)
