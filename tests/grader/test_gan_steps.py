"""The GAN training-step exercises: reference updates checked by hand, and checks that judge state, not just the loss.

These run on the trusted side without a sandbox: the probe runs in this process, as it does for the
reference and the misconceptions. test_exercises.py grades every variant and misconception through
the sandbox.
"""

import math
import types

import pytest
import torch
from torch import nn

from grader.checking import CaseOutcome, run_probe
from grader.exercise import get_exercise
from grader.grading import probe_for
from grader.harness.protocol import normalize_outputs
from grader.verdict import Stage
from reference_models import gan


def sigmoid(value):
    return 1.0 / (1.0 + math.exp(-value))


def identity_linear():
    """Linear(1, 1) with weight 1 and bias 0, so a logit equals its input."""
    layer = nn.Linear(1, 1)
    with torch.no_grad():
        layer.weight.fill_(1.0)
        layer.bias.fill_(0.0)
    return layer


def evaluate(slug, module, case):
    """Run the probe over ``module`` and the reference on one case and return the check rows."""
    exercise = get_exercise(slug)
    checks = exercise.checks()
    probe = probe_for(exercise)
    expected = run_probe(probe, checks.reference(), case)
    inputs = {name: tensor.clone() for name, tensor in case.inputs.items()}
    torch.manual_seed(case.seed)
    tensors, values = normalize_outputs(probe.run(module, inputs, case.params))
    outcome = CaseOutcome({name: tensor.detach().clone() for name, tensor in tensors.items()}, values)
    return {row.stage: row for row in checks.evaluate_case(case, outcome, expected)}


def case_named(slug, case_id, variant_seed=0):
    cases = get_exercise(slug).checks().build_cases(variant_seed)
    return next(case for case in cases if case.id == case_id)


def first_hidden(slug, variant_seed=0):
    cases = get_exercise(slug).checks().build_cases(variant_seed)
    return next(case for case in cases if not case.visible)


def test_discriminator_step_matches_hand_computed_update():
    D, G = identity_linear(), identity_linear()
    real = torch.tensor([[2.0], [-0.5]])
    z = torch.tensor([[-1.0], [0.5]])
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1)

    loss = gan.discriminator_step(D, G, real, z, opt_D)

    # Logits equal the inputs: real (2, -0.5), fake (-1, 0.5).
    real_terms = [math.log1p(math.exp(-2.0)), math.log1p(math.exp(0.5))]
    fake_terms = [math.log1p(math.exp(-1.0)), math.log1p(math.exp(0.5))]
    assert isinstance(loss, float)
    assert loss == pytest.approx(sum(real_terms) / 2 + sum(fake_terms) / 2, rel=1e-6)
    # dL/dlogit is (sigmoid - 1) / B for real samples and sigmoid / B for fakes; dlogit/dweight is the input.
    grad_weight = sum((sigmoid(x) - 1) / 2 * x for x in (2.0, -0.5)) + sum(sigmoid(x) / 2 * x for x in (-1.0, 0.5))
    grad_bias = sum((sigmoid(x) - 1) / 2 for x in (2.0, -0.5)) + sum(sigmoid(x) / 2 for x in (-1.0, 0.5))
    assert D.weight.item() == pytest.approx(1.0 - 0.1 * grad_weight, rel=1e-6)
    assert D.bias.item() == pytest.approx(-0.1 * grad_bias, abs=1e-7)
    assert G.weight.grad is None
    assert G.weight.item() == 1.0


def test_generator_step_matches_hand_computed_update():
    D, G = identity_linear(), identity_linear()
    z = torch.tensor([[-1.0], [0.5]])
    opt_G = torch.optim.SGD(G.parameters(), lr=0.1)

    loss = gan.generator_step(D, G, z, opt_G)

    # Logits equal z; the non-saturating loss is the mean of -log sigmoid(logit).
    assert isinstance(loss, float)
    assert loss == pytest.approx((math.log1p(math.exp(1.0)) + math.log1p(math.exp(-0.5))) / 2, rel=1e-6)
    grad_weight = sum((sigmoid(x) - 1) / 2 * x for x in (-1.0, 0.5))
    assert G.weight.item() == pytest.approx(1.0 - 0.1 * grad_weight, rel=1e-6)
    assert D.weight.item() == 1.0
    assert D.bias.item() == 0.0


def test_tensor_loss_fails_value_row_with_type_message():
    case = case_named("gan-discriminator-step", "sgd-momentum")

    def discriminator_step(D, G, real, z, opt_D):
        fake_logits = D(G(z).detach())
        real_logits = D(real)
        loss = (nn.functional.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + nn.functional.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        opt_D.zero_grad()
        loss.backward()
        opt_D.step()
        return loss

    rows = evaluate("gan-discriminator-step", types.SimpleNamespace(discriminator_step=discriminator_step), case)

    assert not rows[Stage.VALUE].passed
    assert rows[Stage.VALUE].message.startswith("discriminator_step returned a value of type torch.Tensor;")
    assert rows[Stage.SHAPE].passed
    assert rows[Stage.BEHAVIOUR].passed


def test_tensor_loss_on_hidden_case_shows_no_detail():
    case = first_hidden("gan-generator-step")

    def generator_step(D, G, z, opt_G):
        return torch.tensor(gan.generator_step(D, G, z, opt_G))

    rows = evaluate("gan-generator-step", types.SimpleNamespace(generator_step=generator_step), case)

    assert not rows[Stage.VALUE].passed
    assert rows[Stage.VALUE].message == "Wrong value on a hidden input."


def test_discriminator_step_may_clear_generator_grad():
    case = case_named("gan-discriminator-step", "adam")

    def discriminator_step(D, G, real, z, opt_D):
        G.zero_grad()
        return gan.discriminator_step(D, G, real, z, opt_D)

    rows = evaluate("gan-discriminator-step", types.SimpleNamespace(discriminator_step=discriminator_step), case)

    assert all(row.passed for row in rows.values()), [row.message for row in rows.values()]


def test_generator_step_fails_when_discriminator_left_frozen():
    case = case_named("gan-generator-step", "sgd-momentum")

    def generator_step(D, G, z, opt_G):
        D.requires_grad_(False)
        return gan.generator_step(D, G, z, opt_G)

    rows = evaluate("gan-generator-step", types.SimpleNamespace(generator_step=generator_step), case)

    assert rows[Stage.VALUE].passed
    assert not rows[Stage.BEHAVIOUR].passed
    assert "state.D.requires_grad" in rows[Stage.BEHAVIOUR].message


@pytest.mark.parametrize("slug", ["gan-discriminator-step", "gan-generator-step"])
def test_hidden_cases_follow_variant_seed(slug):
    checks = get_exercise(slug).checks()

    first, again, other = checks.build_cases(7), checks.build_cases(7), checks.build_cases(8)

    def hidden_setup(cases):
        return [(case.params, {name: tuple(t.shape) for name, t in case.inputs.items()}) for case in cases
                if not case.visible]

    assert hidden_setup(first) == hidden_setup(again)
    assert hidden_setup(first) != hidden_setup(other)
    assert [case.id for case in first if case.visible] == [case.id for case in other if case.visible]


@pytest.mark.parametrize("slug", ["gan-discriminator-step", "gan-generator-step"])
def test_visible_cases_use_distinct_sizes(slug):
    for case in get_exercise(slug).checks().build_cases(0):
        if not case.visible:
            continue
        d_hidden, data_dim = case.inputs["D.0.weight"].shape
        g_hidden, latent_dim = case.inputs["G.0.weight"].shape
        batch = case.inputs["z"].shape[0]
        sizes = [batch, data_dim, latent_dim, d_hidden, g_hidden]

        assert len(set(sizes)) == len(sizes), (case.id, sizes)


@pytest.mark.parametrize("slug", ["gan-discriminator-step", "gan-generator-step"])
def test_visible_cases_cover_optimizers(slug):
    visible = [case for case in get_exercise(slug).checks().build_cases(0) if case.visible]

    assert {case.params["optimizer"] for case in visible} == {"sgd", "adam"}
    assert any(case.params["optimizer"] == "adam" and case.params["steps"] == 2 for case in visible)
    assert any(case.params["optimizer"] == "sgd" and case.params["momentum"] == 0.0 for case in visible)


@pytest.mark.parametrize("slug", ["gan-discriminator-step", "gan-generator-step"])
def test_visible_cases_include_batch_of_one(slug):
    visible = [case for case in get_exercise(slug).checks().build_cases(0) if case.visible]

    assert any(case.inputs["z"].shape[0] == 1 for case in visible)
