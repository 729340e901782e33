"""Exercises that forbid a library call: logsumexp and causal-attention, graded through ``python -m grader``.

A submission that names a forbidden call is rejected before it runs; one that reaches it
indirectly is stopped by the harness's run-time guard. Both end as ``error`` with the reason
``forbidden_call``, not as ``failed``.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

LOGSUMEXP_SOURCES = {
    "torch-function": """
        import torch

        def logsumexp(x, dim):
            return torch.logsumexp(x, dim)
        """,
    "tensor-method": """
        def logsumexp(x, dim):
            return x.logsumexp(dim=dim)
        """,
    "special-module": """
        from torch import special

        def logsumexp(x, dim):
            return special.logsumexp(x, dim)
        """,
    # The name is assembled at run time, so only the harness's guard can see the call.
    "indirect": """
        import torch

        def logsumexp(x, dim):
            return getattr(torch, "logsum" + "exp")(x, dim)
        """,
}

ATTENTION_SOURCES = {
    "fused-attention": """
        import torch.nn.functional as F

        def causal_attention(q, k, v):
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        """,
    "indirect-fused-attention": """
        import torch

        def causal_attention(q, k, v):
            fused = getattr(torch.nn.functional, "scaled_dot_product_" + "attention")
            return fused(q, k, v, is_causal=True)
        """,
}


def grade_json(slug, source, tmp_path):
    path = tmp_path / "submission.py"
    path.write_text(textwrap.dedent(source))
    result = subprocess.run(
        [sys.executable, "-m", "grader", "grade", slug, str(path), "--json"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
    )
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", sorted(LOGSUMEXP_SOURCES))
def test_logsumexp_forbidden_call_is_error(tmp_path, name):
    verdict = grade_json("logsumexp", LOGSUMEXP_SOURCES[name], tmp_path)

    assert verdict["status"] == "error"
    assert verdict["reason"] == "forbidden_call"
    assert "logsumexp" in verdict["message"]
    assert verdict["score"] == 0.0


@pytest.mark.parametrize("name", sorted(ATTENTION_SOURCES))
def test_causal_attention_forbidden_call_is_error(tmp_path, name):
    verdict = grade_json("causal-attention", ATTENTION_SOURCES[name], tmp_path)

    assert verdict["status"] == "error"
    assert verdict["reason"] == "forbidden_call"
    assert "scaled_dot_product_attention" in verdict["message"]


def test_causal_attention_multihead_module_is_error(tmp_path):
    source = """
        import torch

        def causal_attention(q, k, v):
            layer = torch.nn.MultiheadAttention(q.shape[-1], 1, batch_first=True)
            return layer(q[0, 0:1], k[0, 0:1], v[0, 0:1])[0]
        """

    verdict = grade_json("causal-attention", source, tmp_path)

    assert verdict["status"] == "error"
    assert verdict["reason"] == "forbidden_call"
    assert "MultiheadAttention" in verdict["message"]


def test_logsumexp_own_function_name_is_allowed(tmp_path):
    """The learner's function is itself called logsumexp; defining it and calling it is no forbidden call."""
    source = """
        import torch

        def _shifted(x, dim):
            shift = x.amax(dim=dim, keepdim=True)
            return torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))

        def logsumexp(x, dim):
            shift = _shifted(x, dim)
            return (shift + torch.exp(x - shift).sum(dim=dim, keepdim=True).log()).squeeze(dim)
        """
    path = tmp_path / "submission.py"
    path.write_text(textwrap.dedent(source))

    result = subprocess.run(
        [sys.executable, "-m", "grader", "grade", "logsumexp", str(path), "--json"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
    )

    assert result.returncode == 0, result.stdout[-2000:]
    assert json.loads(result.stdout)["status"] == "passed"
