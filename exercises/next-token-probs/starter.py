import torch


def next_token_probs(logits, temperature=1.0, top_k=None, top_p=None):
    """Probabilities (B, V): logits / temperature, then top-k, then top-p on the renormalized top-k distribution.

    Removed tokens get probability exactly 0, at least one token is kept, and each row sums to 1.
    """
    raise NotImplementedError("write temperature, top-k and top-p filtering")
