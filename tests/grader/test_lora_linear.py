"""lora-linear: the reference on the statement's example and its rules, and how a failing constructor is graded."""

import textwrap

import torch
from torch import nn

from grader.verdict import Reason, Status
from reference_models.lora import LoRALinear


def _base(weight, bias):
    base = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    with torch.no_grad():
        base.weight.copy_(weight)
        if bias is not None:
            base.bias.copy_(bias)
    return base


def test_lora_linear_worked_example():
    base = _base(torch.eye(2), torch.tensor([0.5, -0.5]))
    layer = LoRALinear(base, 1, 2.0)
    with torch.no_grad():
        layer.lora_A.copy_(torch.tensor([[1.0, 2.0]]))
        layer.lora_B.copy_(torch.tensor([[0.5], [-1.0]]))
    x = torch.tensor([[1.0, 1.0]])

    merged = layer.merged()

    torch.testing.assert_close(layer(x), torch.tensor([[4.5, -5.5]]))
    torch.testing.assert_close(merged.weight.detach(), torch.tensor([[2.0, 2.0], [-2.0, -3.0]]))
    torch.testing.assert_close(merged(x), layer(x))


def test_lora_linear_starts_equal_to_base_and_frozen():
    torch.manual_seed(0)
    base = _base(torch.randn(3, 5), torch.randn(3))
    x = torch.randn(4, 5)
    layer = LoRALinear(base, 2, 4.0)

    torch.testing.assert_close(layer(x), base(x), rtol=0, atol=0)
    assert torch.all(layer.lora_B == 0)
    assert torch.any(layer.lora_A != 0)
    assert [name for name, parameter in layer.named_parameters() if parameter.requires_grad] == ["lora_A", "lora_B"]


def test_lora_linear_merged_is_independent_of_base():
    torch.manual_seed(1)
    base = _base(torch.randn(3, 4), torch.randn(3))
    original_weight, original_bias = base.weight.detach().clone(), base.bias.detach().clone()
    layer = LoRALinear(base, 2, 3.0)
    with torch.no_grad():
        layer.lora_B.normal_()

    merged = layer.merged()
    with torch.no_grad():
        merged.weight.zero_()
        merged.bias.zero_()

    assert isinstance(merged, nn.Linear) and merged is not base
    torch.testing.assert_close(base.weight.detach(), original_weight, rtol=0, atol=0)
    torch.testing.assert_close(base.bias.detach(), original_bias, rtol=0, atol=0)


def test_lora_linear_merged_without_bias():
    layer = LoRALinear(_base(torch.randn(2, 3), None), 1, 1.0)

    assert layer.merged().bias is None


def test_lora_linear_missing_attribute_is_error(grade_source):
    source = textwrap.dedent(
        """
        import torch
        from torch import nn

        class LoRALinear(nn.Module):
            def __init__(self, base, r, alpha):
                super().__init__()
                self.base = base.requires_grad_(False)
                self.down = nn.Parameter(torch.randn(r, base.in_features))
                self.up = nn.Parameter(torch.zeros(base.out_features, r))

            def forward(self, x):
                return self.base(x)

            def merged(self):
                return self.base
        """
    )

    verdict = grade_source("lora-linear", source)

    assert verdict.status is Status.ERROR
    assert verdict.reason is Reason.EXCEPTION
    assert "has no attribute 'lora_A'" in verdict.message
