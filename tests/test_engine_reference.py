"""The engine against the plain backward pass of tinygrad_np.testing.reference_grad, on random
programs: the gradients must be equal bit for bit (same sums in the same order), through
``grad()``, through ``backward()`` into ``.grad``, and with ``retain_graph`` a second time."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
from tinygrad_np.testing import reference_grad

# ops over float64 values of shape (2, 3); some broadcast a (3,) or (2, 1) operand, reduce and
# re-expand, reshape or index, so the engine's summing back to an input's shape is exercised
OPS = {
    "add": (2, lambda a, b: a + b),
    "mul": (2, lambda a, b: a * b),
    "sub_row": (2, lambda a, b: a - b[0]),  # b[0] has shape (3,): broadcast over rows
    "div_col": (2, lambda a, b: a / (b[:, :1] ** 2 + 1)),  # (2, 1) column
    "tanh": (1, lambda a: a.tanh()),
    "exp": (1, lambda a: (a * 0.3).exp()),
    "sin": (1, lambda a: a.sin()),
    "relu": (1, lambda a: a.relu()),
    "sum_back": (1, lambda a: a.sum(0, keepdims=True) * 0.5 + a),
    "mean_rows": (1, lambda a: a.mean(1, keepdims=True).expand(2, 3)),
    "reshape": (1, lambda a: a.reshape(3, 2).T),
    "flip": (1, lambda a: a[:, ::-1]),
    "matmul": (2, lambda a, b: (a @ b.T) @ a * 0.1),
    "max": (1, lambda a: a.amax(1, keepdims=True) + a),
    "where": (2, lambda a, b: tg.where(a > 0, a, b)),
    "stack_mean": (3, lambda a, b, c: tg.stack([a, b, c]).mean(0)),
    "leaky": (1, lambda a: a.leaky_relu(0.1)),
}


@st.composite
def programs(draw):
    n_leaves = draw(st.integers(1, 3), label="leaves")
    program = []
    for i in range(draw(st.integers(1, 14), label="ops")):
        name = draw(st.sampled_from(sorted(OPS)))
        picks = st.integers(0, n_leaves + i - 1)
        program.append((name, [draw(picks) for _ in range(OPS[name][0])]))
    outputs = draw(st.lists(st.integers(0, n_leaves + len(program) - 1), min_size=1, max_size=3))
    constant = draw(st.lists(st.booleans(), min_size=n_leaves, max_size=n_leaves), label="constant leaves")
    return n_leaves, program, outputs, constant, draw(st.integers(0, 2**16), label="seed")


def build(n_leaves, program, outputs, constant, seed):
    rng = np.random.default_rng(seed)
    leaves = [tg.tensor(rng.uniform(-2, 2, size=(2, 3)), requires_grad=not c) for c in constant]
    values = list(leaves)
    for name, picks in program:
        values.append(OPS[name][1](*(values[k] for k in picks)))
    outs = [values[k] for k in outputs]
    upstream = [rng.standard_normal(out.shape) for out in outs]
    return leaves, outs, upstream


def same(a, b):
    return a is None and b is None or a is not None and b is not None and np.array_equal(a, b, equal_nan=True)


@settings(deadline=None)
@given(programs())
def test_engine_equals_the_plain_walk_bit_for_bit(case):
    leaves, outs, upstream = build(*case)
    wanted = [x for x in leaves if x.requires_grad]
    if not wanted or not any(out.requires_grad for out in outs):
        return
    roots = [(out, g) for out, g in zip(outs, upstream) if out.requires_grad]
    expected = reference_grad([o for o, _ in roots], wanted, [g for _, g in roots])
    found = tg.grad([o for o, _ in roots], wanted, [g for _, g in roots], retain_graph=True, allow_unused=True)
    for e, f in zip(expected, found):
        assert same(e, None if f is None else f.data)
    tg.autograd.backward([o for o, _ in roots], [g for _, g in roots], retain_graph=True)  # into .grad
    for e, x in zip(expected, wanted):
        assert same(e, None if x.grad is None else x.grad.data)
    for x in wanted:
        x.grad = None
    tg.autograd.backward([o for o, _ in roots], [g for _, g in roots])  # the retained graph, freed this time
    for e, x in zip(expected, wanted):
        assert same(e, None if x.grad is None else x.grad.data)


def test_a_wrong_sum_order_would_be_seen():
    # the comparison is exact: adding the same three gradients in another order changes the bits
    rng = np.random.default_rng(1)
    a, b, c = (rng.standard_normal(1000) for _ in range(3))
    assert not np.array_equal((a + b) + c, a + (b + c))


def test_the_reference_catches_a_wrong_rule():
    class Twice(tg.Function):  # its rule forgets the factor 2 of its forward
        saves_inputs = saves_output = False

        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return g

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = reference_grad([Twice.apply(x).sum()], [x])
    assert not np.array_equal(g, [2.0, 2.0])  # the oracle runs the rules as they are: it checks the engine,
    with pytest.raises(AssertionError):  # and gradcheck checks the rules
        assert tg.testing.gradcheck(lambda t: Twice.apply(t).sum(), (x.detach().double().requires_grad_(),),
                                    raise_exception=False)
