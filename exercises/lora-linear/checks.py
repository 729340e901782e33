"""Cases, reference and evaluation for lora-linear.

The probe records the adapter's parameter shapes and flags about its state. This module turns
them into messages that name the rule broken, and compares the forward pass, the gradients and
the merged layer with the reference's within the dtype's tolerance.
"""

import types

import torch

from grader.checking import Case, shape_problem, value_problem
from grader.verdict import CheckResult, Stage

# Flags that a correct LoRALinear sets to True, by stage, with one message per element of the flag tensor.
FLAG_MESSAGES = {
    "state.base_no_grad": (
        Stage.GRADIENT,
        ["The base layer's weight or bias received a gradient: the base must be frozen (requires_grad_(False)) so "
         "that only lora_A and lora_B train."],
    ),
    "state.merged_is_linear": (Stage.VALUE, ["merged() did not return an nn.Linear."]),
    "state.lora_init": (
        Stage.BEHAVIOUR,
        ["lora_A starts as all zeros. It must start random (for example with nn.init.kaiming_uniform_ or "
         "torch.randn), or lora_B gets no gradient.",
         "lora_B does not start at zero. It must be zero-initialised so that the adapted layer starts out equal to "
         "the base layer."],
    ),
    "state.lora_trainable": (
        Stage.BEHAVIOUR,
        ["lora_A and lora_B must be trainable nn.Parameter attributes with requires_grad=True, so that an optimizer "
         "over model.parameters() updates them."],
    ),
    "state.base_frozen": (
        Stage.BEHAVIOUR,
        ["The base layer is not frozen: its weight and bias still have requires_grad=True. Call "
         "base.requires_grad_(False) in the constructor."],
    ),
    "state.merged_own_storage": (
        Stage.BEHAVIOUR,
        ["merged() returns a layer whose weight shares storage with the base layer (or the base layer itself). Build "
         "a new nn.Linear and copy the merged weight into it.",
         "merged() returns a layer whose bias shares storage with the base layer's bias. Copy the bias into the new "
         "layer, so that changing one layer cannot change the other."],
    ),
}
VALUE_OUTPUTS = ("out", "merged.weight", "merged.bias")
GRADIENT_OUTPUTS = ("grad.lora_A", "grad.lora_B", "grad.x")
UNCHANGED_OUTPUTS = ("after.x", "after.base.weight", "after.base.bias")


def reference():
    from reference_models import lora

    return types.SimpleNamespace(LoRALinear=lora.LoRALinear)


def _case(case_id, title, *, in_features, out_features, r, alpha, input_shape, seed, bias=True, visible=True):
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape, scale=1.0):
        return (scale * torch.randn(shape, generator=generator, dtype=torch.float64)).float()

    tensors = {
        "weight": draw(out_features, in_features, scale=0.5),
        "lora_A": draw(r, in_features, scale=0.5),
        "lora_B": draw(out_features, r, scale=0.5),
        "x": draw(*input_shape, in_features),
        "cotangent": draw(*input_shape, out_features),
    }
    if bias:
        tensors["bias"] = draw(out_features, scale=0.5)
    return Case(case_id, title, visible, tensors, params={"r": r, "alpha": alpha}, seed=seed)


def build_cases(variant_seed):
    cases = [
        _case("scale-two", "in=5, out=4, r=3, alpha=6 (scale 2), x of shape (6, 5)", in_features=5, out_features=4,
              r=3, alpha=6.0, input_shape=(6,), seed=101),
        _case("scale-one", "alpha = r = 2 (scale 1), in=7, out=3", in_features=7, out_features=3, r=2, alpha=2.0,
              input_shape=(4,), seed=102),
        _case("rank-one", "rank 1, alpha=8, x of shape (2, 3, 6), in=6, out=9", in_features=6, out_features=9, r=1,
              alpha=8.0, input_shape=(2, 3), seed=103),
        _case("no-bias", "a base layer without bias, in=4, out=6, r=2, alpha=3", in_features=4, out_features=6, r=2,
              alpha=3.0, input_shape=(5,), seed=104, bias=False),
        _case("small-scale", "alpha < r (scale 0.25), in=10, out=8, r=4, alpha=1", in_features=10, out_features=8,
              r=4, alpha=1.0, input_shape=(3,), seed=105),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(3):
        in_features, out_features = (int(size) for size in torch.randint(2, 24, (2,), generator=rng))
        r = int(torch.randint(1, min(in_features, out_features) + 1, (1,), generator=rng))
        alpha = float(torch.randint(1, 33, (1,), generator=rng))
        batch = int(torch.randint(1, 9, (1,), generator=rng))
        cases.append(
            _case(f"hidden-{index + 1}", f"hidden check {index + 1}", in_features=in_features,
                  out_features=out_features, r=r, alpha=alpha, input_shape=(batch,), seed=variant_seed * 10 + index,
                  bias=bool(index % 2 == 0), visible=False)
        )
    return cases


def _parameter_shape_problems(case, tensors):
    problems = []
    in_features = case.inputs["weight"].shape[1]
    out_features = case.inputs["weight"].shape[0]
    r = case.params["r"]
    expected_shapes = {
        "lora_A": ((r, in_features), "(r, in_features)"),
        "lora_B": ((out_features, r), "(out_features, r)"),
    }
    for name, (shape, formula) in expected_shapes.items():
        got = tensors.get(f"state.{name}_shape")
        got_shape = tuple(got.tolist()) if got is not None else None
        if got_shape != shape:
            problems.append(f"{name} has shape {got_shape}; expected {formula} = {shape}.")
    return problems


def _shape_problems(case, outcome, expected):
    tensors = outcome.tensors
    problems = _parameter_shape_problems(case, tensors)
    if problems:
        return problems + ["forward(x) and the gradients were not checked, since the copied values need those shapes."]
    if "forward_error" in outcome.values:
        problems.append(f"forward(x) raised {outcome.values['forward_error']}")
    if "merged_error" in outcome.values:
        problems.append(f"merged() raised {outcome.values['merged_error']}")
    for name in VALUE_OUTPUTS + GRADIENT_OUTPUTS:
        if name not in expected:
            continue
        if name == "out" and "forward_error" in outcome.values:
            continue
        if name.startswith("merged.") and ("merged_error" in outcome.values or "merged.weight" not in tensors):
            continue
        if name.startswith("grad.") and "out" not in tensors:
            continue
        problem = shape_problem(name, tensors.get(name), expected[name])
        if problem:
            problems.append(problem)
    if "merged.bias" not in expected and "merged.bias" in tensors:
        problems.append("merged() has a bias, but the base layer has none.")
    return problems


def _compare(names, tensors, expected, case):
    problems = []
    for name in names:
        if name not in expected:
            continue
        got = tensors.get(name)
        if got is None or shape_problem(name, got, expected[name]):
            problems.append(f"{_describe(name)} cannot be checked until it exists with the right shape.")
            continue
        problem = value_problem(name, got, expected[name], case.tolerance(name, expected[name].dtype))
        if problem:
            problems.append(problem)
    return problems


def _describe(name):
    if name.startswith("grad."):
        return f"The gradient of `{name[5:]}`"
    return {"out": "forward(x)", "merged.weight": "merged().weight", "merged.bias": "merged().bias"}[name]


def _flag_problems(stage, tensors):
    problems = []
    for name, (flag_stage, messages) in FLAG_MESSAGES.items():
        if flag_stage is not stage or name not in tensors:
            continue
        flags = tensors[name].reshape(-1).tolist()
        problems += [message for flag, message in zip(flags, messages) if not flag]
    return problems


def _unchanged_problems(case, tensors, expected):
    problems = []
    for name in UNCHANGED_OUTPUTS:
        if name not in expected:
            continue
        got = tensors.get(name)
        if got is not None and not torch.equal(got, expected[name]):
            target = "the base layer's " + name.rsplit(".", 1)[1] if name.startswith("after.base.") else "the input x"
            problems.append(f"{target[0].upper() + target[1:]} changed during the calls, but it must stay as it was.")
    return problems


def evaluate_case(case, outcome, expected):
    """Grade one case stage by stage, with messages that name the LoRA rule each failure breaks."""
    from grader.checking import compare_case

    if outcome is None or outcome.error is not None:
        return compare_case(case, outcome, expected)
    tensors = outcome.tensors
    stages = [(Stage.SHAPE, _shape_problems(case, outcome, expected))]
    merged = _compare(VALUE_OUTPUTS[1:], tensors, expected, case) + _flag_problems(Stage.VALUE, tensors)
    if _parameter_shape_problems(case, tensors):
        blocked = "Not checked until lora_A and lora_B have the right shapes."
        stages += [(Stage.VALUE, [blocked] + merged), (Stage.GRADIENT, [blocked])]
    elif "forward_error" in outcome.values:
        value = ["forward(x) raised an error, so its output cannot be checked."] + merged
        stages += [(Stage.VALUE, value), (Stage.GRADIENT, ["forward(x) raised an error, so no gradient can be checked."])]
    else:
        value = _compare(VALUE_OUTPUTS[:1], tensors, expected, case) + merged
        gradient = _compare(GRADIENT_OUTPUTS, tensors, expected, case) + _flag_problems(Stage.GRADIENT, tensors)
        stages += [(Stage.VALUE, value), (Stage.GRADIENT, gradient)]
    behaviour = _flag_problems(Stage.BEHAVIOUR, tensors) + _unchanged_problems(case, tensors, expected)
    stages.append((Stage.BEHAVIOUR, behaviour))

    rows = []
    for stage, problems in stages:
        passed = not problems
        if case.visible:
            message = " ".join(problems[:4]) or "Passed."
        else:
            message = "Passed." if passed else f"Wrong {stage.value} on a hidden input."
        rows.append(CheckResult(f"{case.title}: {stage.value}", case.visible, passed, message, stage, case.id))
    return rows


def diagnose(cases, outcomes, expected, rows):
    """Name order-reversed when forward(x) fails with a matrix-product shape error, which leaves no output to match."""
    for case in cases:
        outcome = outcomes.get(case.id)
        if outcome is None or outcome.error is not None:
            continue
        if "cannot be multiplied" in str(outcome.values.get("forward_error", "")):
            return ["order-reversed"]
    return []
