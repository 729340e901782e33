"""Misconception: top-k keeps every token tied with the k-th largest logit, which can be more than k tokens."""
import torch


def next_token_probs(logits, temperature=1.0, top_k=None, top_p=None):
    scaled = logits / temperature
    if top_k is not None:
        kth_value = torch.topk(scaled, top_k, dim=-1).values[:, -1:]
        scaled = scaled.masked_fill(scaled < kth_value, float("-inf"))
    if top_p is not None:
        probs = torch.softmax(scaled, dim=-1)
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        keep_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs < top_p
        keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
        scaled = scaled.masked_fill(~keep, float("-inf"))
    return torch.softmax(scaled, dim=-1)
