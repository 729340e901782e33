"""Correct variant: probabilities filtered by multiplying, with top-p found from an ascending sort.

Sorted from least to most probable, a token is removed when the tokens up to and including it
total at most 1 - top_p, so that the ones left total at least top_p.
"""
import torch


def next_token_probs(logits, temperature=1.0, top_k=None, top_p=None):
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_k is not None:
        threshold_index = torch.topk(probs, min(top_k, probs.shape[-1]), dim=-1).indices
        probs = probs * torch.zeros_like(probs).scatter(-1, threshold_index, 1.0)
        probs = probs / probs.sum(dim=-1, keepdim=True)
    if top_p is not None:
        ascending, order = probs.sort(dim=-1)
        # Everything at or below this much tail mass can go while the rest still totals top_p.
        remove_sorted = ascending.cumsum(dim=-1) <= 1 - top_p
        remove_sorted[:, -1] = False
        remove = torch.zeros_like(remove_sorted).scatter(-1, order, remove_sorted)
        probs = probs.masked_fill(remove, 0.0)
        probs = probs / probs.sum(dim=-1, keepdim=True)
    return probs
