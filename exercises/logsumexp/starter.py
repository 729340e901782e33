import torch


def logsumexp(x, dim):
    """log(sum(exp(x))) along dim, with that dimension removed, stable for large entries and for -inf.

    torch.logsumexp, Tensor.logsumexp and torch.special.logsumexp are not allowed: write the computation yourself.
    """
    raise NotImplementedError("write a stable log-sum-exp")
