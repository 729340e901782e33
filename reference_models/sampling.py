"""Next-token probabilities with temperature, top-k and top-p (nucleus) filtering.

Top-p filtering follows Holtzman et al., "The Curious Case of Neural Text Degeneration" (2020):
keep the smallest set of most probable tokens whose total probability reaches p. The order is
fixed here: divide by the temperature, then keep the top_k largest logits, then measure top-p on
the distribution renormalized over those top_k tokens, then renormalize over what is left.
Removed tokens get probability exactly 0, and at least one token is always kept. Symbols:

| name        | symbol                     | shape  |
| ----------- | -------------------------- | ------ |
| logits      | l                          | (B, V) |
| temperature | tau > 0                    | float  |
| top_k       | k in 1 .. V, or None       | int    |
| top_p       | p in (0, 1], or None       | float  |
| probs       | softmax(l / tau), filtered | (B, V) |

Where tokens tie at a cut, torch.topk and torch.sort choose which of them to keep. Any choice
that keeps the required number is correct.
"""

from __future__ import annotations

import torch


def _validate(temperature: float, top_k: int | None, top_p: float | None) -> None:
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be None or an int of at least 1, got {top_k!r}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p must be None or in (0, 1], got {top_p}")


def keep_top_k(scaled: torch.Tensor, top_k: int) -> torch.Tensor:
    """Return a mask (B, V) of exactly min(top_k, V) largest entries per row."""
    count = min(top_k, scaled.shape[-1])
    indices = torch.topk(scaled, count, dim=-1).indices  # (B, count)
    return torch.zeros_like(scaled, dtype=torch.bool).scatter(-1, indices, True)  # (B, V)


def keep_top_p(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Return a mask (B, V) of the smallest set of most probable tokens whose total reaches top_p.

    A token is kept when the probability of the tokens sorted before it is still below top_p, so the
    token that crosses the threshold is kept, and so is the most probable token (nothing comes before it).
    """
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)  # (B, V), (B, V)
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs  # (B, V)
    keep_sorted = mass_before < top_p  # (B, V)
    keep_sorted[..., 0] = True
    return torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)  # (B, V)


def next_token_probs(
    logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> torch.Tensor:
    """Return the filtered next-token distribution (B, V), in which removed tokens are exactly 0."""
    _validate(temperature, top_k, top_p)
    scaled = logits / temperature  # (B, V)
    if top_k is not None:
        scaled = scaled.masked_fill(~keep_top_k(scaled, top_k), float("-inf"))  # (B, V)
    if top_p is not None:
        renormalized = torch.softmax(scaled, dim=-1)  # (B, V), over the top-k tokens only
        scaled = scaled.masked_fill(~keep_top_p(renormalized, top_p), float("-inf"))  # (B, V)
    return torch.softmax(scaled, dim=-1)  # (B, V)
