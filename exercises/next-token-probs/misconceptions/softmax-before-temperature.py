"""Misconception: the softmax comes first and the probabilities are divided by the temperature, which renormalization then cancels."""
import torch


def next_token_probs(logits, temperature=1.0, top_k=None, top_p=None):
    probs = torch.softmax(logits, dim=-1) / temperature
    if top_k is not None:
        kth = torch.topk(probs, top_k, dim=-1).indices
        keep = torch.zeros_like(probs, dtype=torch.bool).scatter(-1, kth, True)
        probs = probs * keep
    probs = probs / probs.sum(dim=-1, keepdim=True)
    if top_p is not None:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        keep_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs < top_p
        keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
        probs = probs * keep
    return probs / probs.sum(dim=-1, keepdim=True)
