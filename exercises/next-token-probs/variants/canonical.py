"""Correct variant: masks of -inf on the scaled logits, one softmax per filter."""
import torch


def next_token_probs(logits, temperature=1.0, top_k=None, top_p=None):
    scaled = logits / temperature
    if top_k is not None:
        top = torch.topk(scaled, min(top_k, scaled.shape[-1]), dim=-1).indices
        keep = torch.zeros_like(scaled, dtype=torch.bool).scatter(-1, top, True)
        scaled = scaled.masked_fill(~keep, float("-inf"))
    if top_p is not None:
        probs = torch.softmax(scaled, dim=-1)
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
        keep_sorted = mass_before < top_p
        keep_sorted[:, 0] = True
        keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
        scaled = scaled.masked_fill(~keep, float("-inf"))
    return torch.softmax(scaled, dim=-1)
