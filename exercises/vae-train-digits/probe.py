"""Builds and trains the learner's VAE inside the sandbox, then records what the trusted side needs to score it.

Two kinds of case. "shapes" builds an untrained model and records encode and
decode on a small batch. "training" trains the model with the learner's
train_vae and returns its loss list. On held-out digits it then records the
posterior (mu, log_var) and the decoder's probabilities x_hat for z drawn by
reparameterization from a generator seeded by the case. It also decodes a grid
of prior samples. The trusted side computes the score from these tensors.
"""

import types

import torch


def report_progress(text):
    """Show a progress line on the site; the harness replaces this no-op inside the sandbox."""


def _type_name(value):
    return type(value).__qualname__


def _encode(model, x):
    """Call model.encode; return (mu, log_var) or a sentence saying what it returned instead."""
    encoded = model.encode(x)
    if not isinstance(encoded, (tuple, list)) or len(encoded) != 2:
        return None, f"encode(x) returned {_type_name(encoded)}, expected a pair (mu, log_var)"
    return tuple(encoded), None


def _as_tensor(name, value):
    if isinstance(value, torch.Tensor):
        return value.detach(), None
    return None, f"{name} is a {_type_name(value)}, expected a torch.Tensor"


def _shapes(module, inputs, params):
    model = module.build_vae(params["latent_dim"])
    if not isinstance(model, torch.nn.Module):
        return {"problem": f"build_vae returned {_type_name(model)}, expected a torch.nn.Module"}
    model.eval()
    with torch.no_grad():
        encoded, problem = _encode(model, inputs["x"])
        if problem:
            return {"problem": problem}
        x_hat = model.decode(inputs["z"])
    outputs, problems = {}, []
    for name, value in (("mu", encoded[0]), ("log_var", encoded[1]), ("x_hat", x_hat)):
        tensor, problem = _as_tensor(name, value)
        if problem:
            problems.append(problem)
        else:
            outputs[name] = tensor
    if problems:
        outputs["problem"] = "; ".join(problems)
    return outputs


def _count_epochs(model, rows_per_epoch, epochs):
    """Report "epoch k/E" while training, by counting the rows that pass through model.encode.

    The counter is a bound method stored on the instance. It calls the class's
    encode on whichever model it is bound to, and copy.deepcopy rebinds it to
    the copy, so a train_vae that copies the model still trains the right
    weights. Returns a function that removes the counter. A model whose encode
    is not a method of its class, or a train_vae that never calls encode, only
    loses the progress lines.
    """
    if "encode" in vars(model) or not callable(getattr(type(model), "encode", None)):
        return lambda: None
    seen = [0]
    every = max(1, epochs // 20)

    # Named encode, so that pickling the model refers to an attribute that exists.
    def encode(self, x, *args, **kwargs):
        result = type(self).encode(self, x, *args, **kwargs)
        before = seen[0] // rows_per_epoch
        seen[0] += int(x.shape[0]) if hasattr(x, "shape") and len(x.shape) > 0 else 1
        after = seen[0] // rows_per_epoch
        if after != before and (after % every == 0 or after == epochs):
            report_progress(f"epoch {min(after, epochs)}/{epochs}")
        return result

    try:
        model.encode = types.MethodType(encode, model)
    except (AttributeError, TypeError, RuntimeError):
        return lambda: None

    def remove():
        vars(model).pop("encode", None)

    return remove


def _loss_values(losses):
    try:
        return torch.tensor([float(value) for value in losses], dtype=torch.float64), None
    except (TypeError, ValueError, RuntimeError, OverflowError):
        return None, f"train_vae returned {_type_name(losses)}, expected a list of floats (the mean loss per epoch)"


def _training(module, inputs, params):
    epochs = params["epochs"]
    x_train, x_held_out = inputs["x_train"], inputs["x_held_out"]
    model = module.build_vae(params["latent_dim"])
    if not isinstance(model, torch.nn.Module):
        return {"problem": f"build_vae returned {_type_name(model)}, expected a torch.nn.Module"}

    report_progress(f"training for {epochs} epochs on {x_train.shape[0]} digits")
    remove_counter = _count_epochs(model, x_train.shape[0], epochs)
    try:
        losses = module.train_vae(model, x_train, epochs)
    finally:
        remove_counter()
    report_progress("scoring on held-out digits")

    outputs, problems = {}, []
    loss_values, problem = _loss_values(losses)
    if problem:
        problems.append(problem)
    else:
        outputs["losses"] = loss_values

    model.eval()
    generator = torch.Generator().manual_seed(params["noise_seed"])
    with torch.no_grad():
        encoded, problem = _encode(model, x_held_out)
        if problem:
            return {**outputs, "problem": "; ".join(problems + [problem])}
        # Encode other digits in between, so that a model which keeps the last batch
        # it encoded cannot hand the held-out digits back from decode.
        model.encode(x_train[: x_held_out.shape[0]])
        mu, problem_mu = _as_tensor("mu", encoded[0])
        log_var, problem_log_var = _as_tensor("log_var", encoded[1])
        problems += [p for p in (problem_mu, problem_log_var) if p]
        if mu is not None and log_var is not None and mu.shape == log_var.shape:
            outputs["mu"], outputs["log_var"] = mu, log_var
            eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
            z = mu + torch.exp(0.5 * log_var) * eps
            x_hat, problem = _as_tensor("decode(z)", model.decode(z))
            problems += [problem] if problem else []
            if x_hat is not None:
                outputs["x_hat"] = x_hat
            z_prior = torch.randn(params["prior_samples"], mu.shape[-1], generator=generator, dtype=mu.dtype)
            x_prior, problem = _as_tensor("decode(z_prior)", model.decode(z_prior))
            problems += [problem] if problem else []
            if x_prior is not None:
                outputs["x_prior"] = x_prior
        elif mu is not None and log_var is not None:
            problems.append(f"mu has shape {tuple(mu.shape)} but log_var has shape {tuple(log_var.shape)}")
    if problems:
        outputs["problem"] = "; ".join(problems)
    return outputs


def run(module, inputs, params):
    if params["kind"] == "shapes":
        return _shapes(module, inputs, params)
    return _training(module, inputs, params)
