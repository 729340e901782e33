"""Builds a base nn.Linear from the case's weights, wraps it in the learner's LoRALinear, and records its state, forward, gradients and merged layer.

Runs inside the sandbox. The initial lora_A and lora_B are only inspected (zero or not), then
overwritten with the case's values so that the forward pass and the merged weight are
deterministic. A RuntimeError from forward or merged, such as a shape mismatch in a matrix
product, is recorded as text and the remaining checks still run.
"""

import torch
from torch import nn


def _flag(value):
    return torch.tensor(bool(value))


def _storage(tensor):
    return tensor.untyped_storage().data_ptr()


def _call(function, outputs, error_name):
    try:
        return function()
    except NotImplementedError:
        raise
    except RuntimeError as error:
        outputs[error_name] = f"{type(error).__name__}: {error}"[:500]
        return None


def run(module, inputs, params):
    weight, bias = inputs["weight"], inputs.get("bias")
    out_features, in_features = weight.shape
    base = nn.Linear(in_features, out_features, bias=bias is not None)
    with torch.no_grad():
        base.weight.copy_(weight)
        if bias is not None:
            base.bias.copy_(bias)
    base_parameters = list(base.parameters())

    layer = module.LoRALinear(base, params["r"], params["alpha"])
    lora_A, lora_B = layer.lora_A, layer.lora_B
    lora = [lora_A, lora_B]
    outputs = {
        "state.lora_A_shape": torch.tensor(list(lora_A.shape), dtype=torch.int64),
        "state.lora_B_shape": torch.tensor(list(lora_B.shape), dtype=torch.int64),
        # One tensor for both, so that "lora_A zero" and "both zero" give different outputs.
        "state.lora_init": torch.tensor([bool(lora_A.detach().ne(0).any()), bool(lora_B.detach().eq(0).all())]),
        "state.lora_trainable": _flag(all(isinstance(p, nn.Parameter) and p.requires_grad for p in lora)),
        "state.base_frozen": _flag(
            not any(p.requires_grad for p in base_parameters)
            and not any(p.requires_grad for p in layer.parameters() if all(p is not q for q in lora))
        ),
    }

    if lora_A.shape == inputs["lora_A"].shape and lora_B.shape == inputs["lora_B"].shape:
        with torch.no_grad():
            lora_A.copy_(inputs["lora_A"])
            lora_B.copy_(inputs["lora_B"])
        x = inputs["x"].requires_grad_()
        out = _call(lambda: layer(x), outputs, "forward_error")
        if out is not None:
            outputs["out"] = out
        cotangent = inputs["cotangent"]
        if isinstance(out, torch.Tensor) and out.requires_grad and out.shape == cotangent.shape:
            (out * cotangent).sum().backward()
            for name, tensor in (("lora_A", lora_A), ("lora_B", lora_B), ("x", x)):
                if tensor.grad is not None:
                    outputs["grad." + name] = tensor.grad
            outputs["state.base_no_grad"] = _flag(all(p.grad is None for p in base_parameters))
        outputs["after.x"] = x.detach()

    merged = _call(layer.merged, outputs, "merged_error")
    if "merged_error" not in outputs:
        outputs["state.merged_is_linear"] = _flag(isinstance(merged, nn.Linear))
    if isinstance(merged, nn.Linear):
        outputs["merged.weight"] = merged.weight.detach().clone()
        if merged.bias is not None:
            outputs["merged.bias"] = merged.bias.detach().clone()
        outputs["state.merged_has_bias"] = _flag(merged.bias is not None)
        base_storages = {_storage(p) for p in base_parameters}
        # [weight, bias]: whether each has storage of its own (a missing bias counts as its own).
        outputs["state.merged_own_storage"] = torch.tensor([
            _storage(merged.weight) not in base_storages,
            merged.bias is None or _storage(merged.bias) not in base_storages,
        ])
    outputs["after.base.weight"] = base.weight.detach().clone()
    if bias is not None:
        outputs["after.base.bias"] = base.bias.detach().clone()
    return outputs
