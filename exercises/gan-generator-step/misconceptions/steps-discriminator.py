"""Misconception: the optimizer covers D's parameters as well as G's, so D is updated too."""
import torch
import torch.nn.functional as F


def generator_step(D, G, z, opt_G):
    known = {id(parameter) for group in opt_G.param_groups for parameter in group["params"]}
    missing = [parameter for parameter in D.parameters() if id(parameter) not in known]
    if missing:
        opt_G.add_param_group({"params": missing})
    fake_logits = D(G(z))
    loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return loss.item()
