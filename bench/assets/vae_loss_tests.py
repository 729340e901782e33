"""Tests of ``vae_loss`` shared by the nbgrader and otter-grader assignments of the benchmark.

``bench.others`` copies each function below, unchanged, into one graded test cell of each tool's
notebook and calls it with the learner's ``vae_loss``. Every expected value is written out from the
formula in exercises/vae-loss/statement.md, so a reader can check it by hand. Each function imports
what it needs itself because otter-grader runs exception-based tests in their own module, with only
``vae_loss`` passed in from the notebook.
"""


def test_digits_batch_value(vae_loss):
    import math

    import torch

    # Four 8x8 digits ("0", "1", "7", "4") with 32 + 19 + 20 + 23 = 94 ink pixels, counted by hand.
    glyphs = [
        "..####.."
        ".##..##."
        ".##..##."
        ".##..##."
        ".##..##."
        ".##..##."
        ".##..##."
        "..####..",
        "...##..."
        "..###..."
        "...##..."
        "...##..."
        "...##..."
        "...##..."
        "...##..."
        "..####..",
        ".######."
        ".....##."
        "....##.."
        "....##.."
        "...##..."
        "...##..."
        "..##...."
        "..##....",
        "....##.."
        "...###.."
        "..#.##.."
        ".#..##.."
        ".######."
        "....##.."
        "....##.."
        "....##..",
    ]
    x = torch.tensor([[1.0 if pixel == "#" else 0.0 for pixel in glyph] for glyph in glyphs])  # (4, 64)
    assert x.sum().item() == 94, "the digit glyphs no longer have the 94 ink pixels the expected value assumes"
    x_hat = torch.where(x == 1.0, torch.tensor(0.8), torch.tensor(0.1))
    mu = torch.tensor([[0.5, 0.5], [0.0, 0.0], [1.0, -1.0], [0.5, -0.5]])  # (4, 2)
    log_var = torch.zeros(4, 2)

    loss = vae_loss(x, x_hat, mu, log_var)

    # Per image: ink * -log(0.8) + (64 - ink) * -log(0.9), so the batch mean uses 94 / 4 = 23.5 ink
    # pixels. With log_var = 0 the KL of an image is sum(mu^2) / 2: 0.25, 0, 1 and 0.25, mean 0.375.
    expected = 23.5 * -math.log(0.8) + 40.5 * -math.log(0.9) + 0.375
    torch.testing.assert_close(loss, torch.tensor(expected), rtol=1e-5, atol=1e-6)


def test_batch_of_one_value(vae_loss):
    import math

    import torch

    x = torch.tensor([[1.0, 0.0]])
    x_hat = torch.tensor([[0.8, 0.1]])
    mu = torch.tensor([[0.5]])
    log_var = torch.tensor([[0.0]])

    loss = vae_loss(x, x_hat, mu, log_var)

    # The statement's worked example: BCE -log(0.8) - log(0.9), KL -0.5 * (1 + 0 - 0.25 - 1) = 0.125.
    assert loss.shape == (), f"the loss must be a scalar tensor, got shape {tuple(loss.shape)}"
    expected = -math.log(0.8) - math.log(0.9) + 0.125
    torch.testing.assert_close(loss, torch.tensor(expected), rtol=1e-5, atol=1e-6)


def test_beta_weights_kl(vae_loss):
    import math

    import torch

    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    x_hat = torch.tensor([[0.8, 0.1], [0.1, 0.8]])
    mu = torch.tensor([[0.5], [-1.0]])
    log_var = torch.tensor([[0.0], [math.log(2.0)]])

    loss = vae_loss(x, x_hat, mu, log_var, beta=4.0)

    # Both samples have BCE -log(0.8) - log(0.9). Their KLs are 0.125 and
    # -0.5 * (1 + log 2 - 1 - 2) = 1 - 0.5 * log 2, so the batch mean is their average.
    bce = -math.log(0.8) - math.log(0.9)
    kl = (0.125 + (1.0 - 0.5 * math.log(2.0))) / 2
    expected = bce + 4.0 * kl
    torch.testing.assert_close(loss, torch.tensor(expected), rtol=1e-5, atol=1e-6)


def test_float64_gradients(vae_loss):
    import torch

    generator = torch.Generator().manual_seed(0)
    batch_size, beta = 3, 0.5
    x = (torch.rand(batch_size, 5, generator=generator, dtype=torch.float64) > 0.5).double()
    x_hat = (0.05 + 0.9 * torch.rand(batch_size, 5, generator=generator, dtype=torch.float64)).requires_grad_()
    mu = torch.randn(batch_size, 2, generator=generator, dtype=torch.float64).requires_grad_()
    log_var = torch.randn(batch_size, 2, generator=generator, dtype=torch.float64).requires_grad_()

    loss = vae_loss(x, x_hat, mu, log_var, beta=beta)
    loss.backward()

    # Analytic derivatives of the batch mean of BCE + beta * KL.
    assert loss.dtype == torch.float64, f"the loss must keep the float64 dtype of the inputs, got {loss.dtype}"
    with torch.no_grad():
        expected_x_hat_grad = (x_hat - x) / (x_hat * (1 - x_hat)) / batch_size
        expected_mu_grad = beta * mu / batch_size
        expected_log_var_grad = beta * 0.5 * (log_var.exp() - 1) / batch_size
    torch.testing.assert_close(x_hat.grad, expected_x_hat_grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(mu.grad, expected_mu_grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(log_var.grad, expected_log_var_grad, rtol=1e-10, atol=1e-12)
