"""Data sets that ship inside installed packages; nothing is downloaded at run time."""

from __future__ import annotations

import functools

import torch


@functools.lru_cache(maxsize=1)
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8x8 handwritten digits: images (1797, 64) scaled to [0, 1] as float32, and labels (1797,)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.tensor(bunch.data, dtype=torch.float32) / 16.0
    labels = torch.tensor(bunch.target, dtype=torch.int64)
    return images, labels


def digits_batch(batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """A random batch of flattened digit images, (B, 64), values in [0, 1]."""
    images, _ = digits()
    index = torch.randperm(images.shape[0], generator=generator)[:batch_size]
    return images[index].clone()
