"""Correct variant: one row at a time in float64, by plain Python loops over the sorted tokens."""
import torch


def _row(scaled, top_k, top_p):
    order = sorted(range(len(scaled)), key=lambda token: -scaled[token])
    if top_k is not None:
        order = order[:top_k]
    if top_p is not None:
        weights = torch.softmax(scaled[order], dim=0).tolist()
        kept, total = [], 0.0
        for token, weight in zip(order, weights):
            kept.append(token)
            total += weight
            if total >= top_p:
                break
        order = kept
    result = torch.zeros_like(scaled)
    result[order] = torch.softmax(scaled[order], dim=0)
    return result


def next_token_probs(logits, temperature=1.0, top_k=None, top_p=None):
    scaled = (logits / temperature).double()
    rows = [_row(row, top_k, top_p) for row in scaled]
    return torch.stack(rows).to(logits.dtype)
