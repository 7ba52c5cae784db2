"""The fused nn ops have two code paths for backward: plain arrays (first order) and Tensor ops
(``create_graph=True``). gradgradcheck only checks that the second is differentiated correctly;
these tests check that both paths give the same first-order gradient."""

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np.nn.primitives import col2im, windows

RNG = np.random.default_rng(1)


def t64(*shape, low=-2.0, high=2.0):
    return tg.Tensor(RNG.uniform(low, high, shape), requires_grad=True)


def distinct(*shape):
    return tg.Tensor(RNG.permutation(int(np.prod(shape))).reshape(shape) * 0.1, requires_grad=True)


CASES = {
    "linear": (lambda x, w, b: F.linear(x, w, b), lambda: (t64(3, 4), t64(2, 4), t64(2))),
    "linear-3d": (lambda x, w: F.linear(x, w), lambda: (t64(2, 3, 4), t64(2, 4))),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
               lambda: (t64(2, 2, 5, 5), t64(3, 2, 3, 3), t64(3))),
    "conv2d-groups": (lambda x, w: F.conv2d(x, w, groups=2, dilation=2), lambda: (t64(1, 4, 6, 6), t64(4, 2, 2, 2))),
    "windows": (lambda x: windows(x, (2, 3), (2, 1), (1, 1)), lambda: (t64(2, 3, 5, 6),)),
    "col2im": (lambda g: col2im(g, (1, 2, 5, 6), (2, 3), (2, 1), (1, 1)), lambda: (t64(1, 2, 2, 4, 2, 3),)),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), lambda: (distinct(2, 2, 4, 6),)),
    "max_pool2d-overlap": (lambda x: F.max_pool2d(x, 3, stride=1, padding=1), lambda: (distinct(1, 2, 5, 4),)),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
                   lambda: (t64(2, 2, 5, 6),)),
    "softplus": (lambda x: F.softplus(x), lambda: (t64(3, 4, low=-30, high=30),)),
    "bce": (lambda x, t: F.binary_cross_entropy(x, t, reduction="none"),
            lambda: (t64(3, 4, low=0.05, high=0.95), t64(3, 4, low=0, high=1))),
    "bce-logits": (lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=np.array([1.0, 2.0, 3.0, 0.5])),
                   lambda: (t64(3, 4), t64(3, 4, low=0, high=1))),
}

Y = np.array([0, 2, 1, 2, 1])
for reduction in ("mean", "sum", "none"):
    CASES[f"cross_entropy-{reduction}"] = (
        lambda x, r=reduction: F.cross_entropy(x, Y, reduction=r), lambda: (t64(5, 3),))
    CASES[f"cross_entropy-{reduction}-weighted-smoothed-ignored"] = (
        lambda x, r=reduction: F.cross_entropy(x, np.array([0, 2, -100, 2, 1]), weight=np.array([1.0, 2.0, 0.5]),
                                               reduction=r, label_smoothing=0.2),
        lambda: (t64(5, 3),))
Y2 = RNG.integers(0, 3, (2, 2, 2))
CASES["cross_entropy-spatial"] = (lambda x: F.cross_entropy(x, Y2), lambda: (t64(2, 3, 2, 2),))


@pytest.mark.parametrize("name", list(CASES))
def test_create_graph_gradient_equals_plain_gradient(name):
    fn, make = CASES[name]
    inputs = make()
    out = fn(*inputs)
    u = RNG.standard_normal(out.shape)
    plain = tg.grad(fn(*inputs), inputs, grad_outputs=u)
    graphed = tg.grad(fn(*inputs), inputs, grad_outputs=tg.Tensor(u, requires_grad=True), create_graph=True)
    for a, b in zip(plain, graphed):
        assert b.requires_grad  # recorded: differentiable again
        np.testing.assert_allclose(b.data, a.data, rtol=1e-10, atol=1e-12)
