"""The vae-train-digits project: scoring on the trusted side, the diagnosis of each misconception, the cached reference.

These run without a sandbox. Most build outcomes by hand, with tensors whose negative ELBO is known,
instead of training; test_exercises.py grades every variant and misconception through the sandbox.
"""

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from grader.checking import CaseOutcome, run_probe
from grader.exercise import exercises_root, load_exercise_folder, load_module_from_path
from grader.verdict import Stage

SLUG = "vae-train-digits"
LATENT = 8


@pytest.fixture(scope="module")
def exercise():
    return load_exercise_folder(exercises_root() / SLUG)


@pytest.fixture(scope="module")
def checks(exercise):
    return exercise.checks()


@pytest.fixture(scope="module")
def probe(exercise):
    return load_module_from_path(exercise.probe_path, "probe_vae_train_digits_tests")


@pytest.fixture(scope="module")
def training_case(checks):
    return next(case for case in checks.build_cases(0) if case.id == "training")


def posterior(rows, mu_value, variance):
    mu = torch.full((rows, LATENT), mu_value)
    log_var = torch.full((rows, LATENT), math.log(variance))
    return mu, log_var


def kl_per_digit(mu_value, variance):
    """The Gaussian KL to N(0, I) of a posterior with the same mean and variance in every latent dimension."""
    return LATENT * 0.5 * (variance + mu_value**2 - 1.0 - math.log(variance))


def outcome_tensors(case, *, x_hat=None, mu_value=0.5, variance=0.5, losses=None):
    """Probe outputs of a model whose held-out negative ELBO is known: BCE of x_hat plus the KL above."""
    x = case.inputs["x_held_out"]
    mu, log_var = posterior(x.shape[0], mu_value, variance)
    if x_hat is None:
        x_hat = x.clamp(0.1, 0.9)
    if losses is None:
        losses = torch.linspace(40.0, 25.0, case.params["epochs"], dtype=torch.float64)
    return {
        "mu": mu,
        "log_var": log_var,
        "x_hat": x_hat,
        "x_prior": torch.full((case.params["prior_samples"], 64), 0.5),
        "losses": losses,
    }


def reconstruction(case, x_hat):
    x = case.inputs["x_held_out"].double()
    return F.binary_cross_entropy(x_hat.double(), x, reduction="none").sum(dim=1).mean().item()


def rows_by_stage(checks, case, tensors, expected):
    rows = checks.evaluate_case(case, CaseOutcome(tensors, {}), expected)
    return {row.stage: row for row in rows}


def test_training_score_is_reconstruction_plus_kl(checks, training_case):
    tensors = outcome_tensors(training_case, mu_value=0.5, variance=0.5)

    terms = checks.training_metrics(training_case, tensors)["terms"]

    # log_var is float32, so log(0.5) is held to about 1e-8: compare to 1e-6.
    assert terms["kl"] == pytest.approx(kl_per_digit(0.5, 0.5), rel=1e-6)
    assert terms["reconstruction"] == pytest.approx(reconstruction(training_case, tensors["x_hat"]), rel=1e-9)
    assert terms["negative_elbo"] == pytest.approx(terms["reconstruction"] + terms["kl"], rel=1e-12)
    assert terms["posterior_variance"] == pytest.approx(0.5, rel=1e-6)


@pytest.mark.parametrize(("excess", "passes"), [(0.04, True), (0.06, False)], ids=["4-percent", "6-percent"])
def test_behaviour_allows_five_percent_above_reference(checks, training_case, excess, passes):
    expected = outcome_tensors(training_case, mu_value=0.5, variance=0.5)
    reference_score = checks.training_metrics(training_case, expected)["terms"]["negative_elbo"]
    # Raising every latent mean raises only the KL: by 0.5 * LATENT * (m^2 - 0.25) nats per digit.
    mu_value = math.sqrt(0.25 + 2 * excess * reference_score / LATENT)

    rows = rows_by_stage(checks, training_case, outcome_tensors(training_case, mu_value=mu_value, variance=0.5), expected)

    assert rows[Stage.SHAPE].passed
    assert rows[Stage.VALUE].passed
    assert rows[Stage.BEHAVIOUR].passed is passes


def test_flat_loss_fails_value_stage(checks, training_case):
    expected = outcome_tensors(training_case)
    flat = torch.full((training_case.params["epochs"],), 45.0, dtype=torch.float64)

    rows = rows_by_stage(checks, training_case, outcome_tensors(training_case, losses=flat), expected)

    assert rows[Stage.SHAPE].passed
    assert not rows[Stage.VALUE].passed
    assert "does not decrease" in rows[Stage.VALUE].message


def test_probabilities_outside_unit_interval_block_the_score(checks, training_case):
    expected = outcome_tensors(training_case)
    logits = torch.full_like(training_case.inputs["x_held_out"], 2.5)

    rows = rows_by_stage(checks, training_case, outcome_tensors(training_case, x_hat=logits), expected)

    assert not rows[Stage.VALUE].passed
    assert "end the decoder with a sigmoid" in rows[Stage.VALUE].message
    assert not rows[Stage.BEHAVIOUR].passed


def test_loss_list_of_wrong_length_fails_shape_stage(checks, training_case):
    expected = outcome_tensors(training_case)
    too_long = torch.linspace(40.0, 25.0, 3 * training_case.params["epochs"], dtype=torch.float64)

    rows = rows_by_stage(checks, training_case, outcome_tensors(training_case, losses=too_long), expected)

    assert not rows[Stage.SHAPE].passed
    assert "450 losses for 150 epochs" in rows[Stage.SHAPE].message


def test_training_rows_carry_no_case_id(checks, training_case):
    expected = outcome_tensors(training_case)

    rows = checks.evaluate_case(training_case, CaseOutcome(outcome_tensors(training_case), {}), expected)

    assert {row.case_id for row in rows} == {checks.UNMATCHED_CASE_ID}


def diagnosis_of(checks, case, tensors, expected):
    outcome = CaseOutcome(tensors, {})
    rows = checks.evaluate_case(case, outcome, expected)
    return checks.diagnose([case], {case.id: outcome}, {case.id: expected}, rows)


def pixel_mean_image(case):
    return case.inputs["x_held_out"].mean(dim=0, keepdim=True).clamp(0.02, 0.98).expand_as(case.inputs["x_held_out"])


def diagnosed_outcomes(case):
    """Hand-made outcomes with the signature of each misconception."""
    epochs = case.params["epochs"]
    return {
        "optimizer-not-stepped": dict(
            x_hat=torch.full_like(case.inputs["x_held_out"], 0.5),
            mu_value=0.0,
            variance=1.0,
            losses=torch.full((epochs,), 44.4, dtype=torch.float64),
        ),
        "loss-per-batch": dict(losses=torch.linspace(45.0, 24.0, 24 * epochs, dtype=torch.float64)),
        "decoder-without-sigmoid": dict(x_hat=torch.full_like(case.inputs["x_held_out"], -3.0)),
        # A far-off posterior with tiny variances: a huge KL, and a training loss (reconstruction only) far below it.
        "kl-dropped": dict(mu_value=3.0, variance=1e-4, losses=torch.linspace(35.0, 15.0, epochs, dtype=torch.float64)),
        # The posterior equals the prior and the decoder draws the mean digit; the loss is per pixel.
        "bce-mean-reduction": dict(
            x_hat=pixel_mean_image(case),
            mu_value=0.0,
            variance=1.0,
            losses=torch.linspace(0.6, 0.42, epochs, dtype=torch.float64),
        ),
        # Unit variances and a decoder that fails on sampled z: the held-out score is far above the training loss.
        "z-without-noise": dict(
            x_hat=torch.full_like(case.inputs["x_held_out"], 0.02),
            mu_value=0.1,
            variance=1.0,
            losses=torch.linspace(38.0, 16.0, epochs, dtype=torch.float64),
        ),
    }


@pytest.mark.parametrize(
    "misconception_id",
    ["optimizer-not-stepped", "loss-per-batch", "decoder-without-sigmoid", "kl-dropped", "bce-mean-reduction",
     "z-without-noise"],
)
def test_diagnose_names_exactly_one_misconception(checks, training_case, misconception_id):
    expected = outcome_tensors(training_case)
    tensors = outcome_tensors(training_case, **diagnosed_outcomes(training_case)[misconception_id])

    assert diagnosis_of(checks, training_case, tensors, expected) == [misconception_id]


def test_diagnose_names_nothing_for_a_good_model(checks, training_case):
    expected = outcome_tensors(training_case)

    assert diagnosis_of(checks, training_case, outcome_tensors(training_case), expected) == []


def test_every_diagnosed_id_is_a_listed_misconception(exercise, training_case):
    listed = {item.id for item in exercise.misconceptions}

    assert set(diagnosed_outcomes(training_case)) == listed


def test_shapes_case_runs_the_probe_on_untrained_models(checks, probe, exercise):
    case = next(case for case in checks.build_cases(0) if case.id == "shapes")
    canonical = load_module_from_path(exercise.folder / "variants" / "canonical.py", "vae_train_canonical_tests")
    no_sigmoid = load_module_from_path(
        exercise.folder / "misconceptions" / "decoder-without-sigmoid.py", "vae_train_no_sigmoid_tests"
    )
    expected = run_probe(probe, checks.reference(), case)

    good = checks.evaluate_case(case, CaseOutcome(run_probe(probe, canonical, case), {}), expected)
    bad = checks.evaluate_case(case, CaseOutcome(run_probe(probe, no_sigmoid, case), {}), expected)

    assert [row.passed for row in good] == [True, True]
    assert [(row.stage, row.passed) for row in bad] == [(Stage.SHAPE, True), (Stage.VALUE, False)]
    assert {row.case_id for row in good} == {"shapes"}


def test_encoder_returning_one_tensor_fails_shape(checks, probe):
    case = next(case for case in checks.build_cases(0) if case.id == "shapes")

    class OneOutput(torch.nn.Module):
        def encode(self, x):
            return x[:, :3]

        def decode(self, z):
            return torch.sigmoid(z.sum(dim=1, keepdim=True).expand(-1, 64))

    module = type("Learner", (), {"build_vae": staticmethod(lambda latent_dim: OneOutput())})
    tensors = run_probe(probe, module, case)
    outcome = CaseOutcome(tensors, {"problem": "encode(x) returned Tensor, expected a pair (mu, log_var)"})

    rows = checks.evaluate_case(case, outcome, run_probe(probe, checks.reference(), case))

    assert not rows[0].passed
    assert "expected a pair (mu, log_var)" in rows[0].message


def test_reference_training_runs_once(checks, monkeypatch):
    from reference_models import vae_training

    calls = []
    original = vae_training.train_vae

    def counting(model, x_train, epochs):
        calls.append(epochs)
        return original(model, x_train, epochs)

    monkeypatch.setattr(vae_training, "train_vae", counting)
    x_train = vae_training.digits_split()[0][:128]

    def run_once():
        torch.manual_seed(5)
        model = vae_training.build_vae(3)
        losses = checks._train_reference_once(model, x_train, 2)
        return losses, [tensor.clone() for tensor in model.state_dict().values()]

    first_losses, first_weights = run_once()
    second_losses, second_weights = run_once()

    assert calls == [2]
    assert second_losses == first_losses
    for first, second in zip(first_weights, second_weights):
        torch.testing.assert_close(second, first, rtol=0.0, atol=0.0)


def test_reference_loss_decreases_on_a_small_run():
    from reference_models import vae_training

    torch.manual_seed(0)
    model = vae_training.build_vae(4)

    losses = vae_training.train_vae(model, vae_training.digits_split()[0][:256], 5)

    assert len(losses) == 5
    assert losses[-1] < losses[0]


def test_digits_split_is_disjoint_and_fixed():
    from reference_models.vae_training import digits_split

    train, held_out = digits_split()
    again_train, again_held_out = digits_split()

    assert train.shape == (1500, 64)
    assert held_out.shape == (297, 64)
    torch.testing.assert_close(again_train, train, rtol=0.0, atol=0.0)
    torch.testing.assert_close(again_held_out, held_out, rtol=0.0, atol=0.0)
    assert float(train.min()) >= 0.0
    assert float(train.max()) <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_reference_under_other_seeds_passes_the_margin(checks, probe, training_case, seed):
    """The reference trained from other initial weights and batch orders stays within the 5% margin of the graded one."""
    from dataclasses import replace

    from reference_models import vae_training

    expected = run_probe(probe, checks.reference(), training_case)
    reseeded = replace(training_case, seed=seed)
    plain = type("Reference", (), {"build_vae": staticmethod(vae_training.build_vae),
                                   "train_vae": staticmethod(vae_training.train_vae)})
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tensors = run_probe(probe, plain, reseeded)
    finally:
        torch.set_num_threads(threads)

    rows = checks.evaluate_case(training_case, CaseOutcome(tensors, {}), expected)

    assert all(row.passed for row in rows), [row.message for row in rows if not row.passed]
