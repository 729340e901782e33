"""Misconception: removed tokens are zeroed in the full softmax, and nothing is renormalized afterwards."""
import torch


def next_token_probs(logits, temperature=1.0, top_k=None, top_p=None):
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_k is not None:
        kth = torch.topk(probs, top_k, dim=-1).indices
        probs = probs * torch.zeros_like(probs).scatter(-1, kth, 1.0)
    if top_p is not None:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        keep_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs < top_p
        probs = probs * torch.zeros_like(probs).scatter(-1, order, keep_sorted.to(probs.dtype))
    return probs
