"""Tests written against mutants that used to survive (issue 11, section 4): each pins down a behaviour
that a small edit to the engine, the ops, nn or optim could break without any other test noticing.

* ``backward(create_graph=True)`` then a second backward through the gradient, with rules that reuse
  the forward graph (exp saves its output, tanh too), not only x**3;
* the values a custom op keeps with ``save_for_backward`` are released by backward;
* arguments no test passed: einsum with an operand that needs no gradient, ``nn.LayerNorm(eps=...)``,
  ``nn.Embedding(padding_idx=-1)``, state dicts of another dtype and read-only arrays for modules and
  every optimizer. (conv2d/conv_transpose2d with stride equal to the kernel and dilation > 1,
  padding='same' with an odd total and F.embedding(padding_idx=-1) are samples of the op database,
  checked by tests/test_opinfo.py.)
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import Function, nn, optim
from tinygrad_np.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(11)


def t64(*shape, low=-1.5, high=1.5):
    return tg.Tensor(RNG.uniform(low, high, shape), requires_grad=True)


# ============================================================================ second backward through a gradient
# f, f' and f'' of ops whose rule reads the forward graph (their saved output or input)
SECOND_ORDER = {
    "exp": (lambda x: x.exp(), np.exp, np.exp),
    "tanh": (lambda x: x.tanh(), lambda x: 1 - np.tanh(x) ** 2, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,
                lambda x: np.exp(-x) * (np.exp(-x) - 1) / (1 + np.exp(-x)) ** 3),
    "x**3": (lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x),
    "exp(tanh(x))": (lambda x: x.tanh().exp(), lambda x: np.exp(np.tanh(x)) * (1 - np.tanh(x) ** 2),
                     lambda x: np.exp(np.tanh(x)) * (1 - np.tanh(x) ** 2) * (1 - np.tanh(x) ** 2 - 2 * np.tanh(x))),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_backward_with_create_graph_then_backward_through_the_gradient(name):
    f, df, d2f = SECOND_ORDER[name]
    x = t64(5)
    v = RNG.standard_normal(5)
    f(x).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None  # the gradient is itself recorded
    np.testing.assert_allclose(g.data, df(x.data), rtol=1e-12)
    x.grad = None
    (g * v).sum().backward()  # d/dx sum(f'(x) * v) = f''(x) * v
    np.testing.assert_allclose(x.grad.data, d2f(x.data) * v, rtol=1e-10, atol=1e-12)
    assert not x.grad.requires_grad  # the second backward did not ask for a graph


@pytest.mark.parametrize("name", ["exp", "tanh"])
def test_second_backward_accumulates_into_the_first_gradient(name):
    # as in PyTorch: without resetting .grad, the second backward adds f'' * v to the f' already there
    f, df, d2f = SECOND_ORDER[name]
    x = t64(4)
    f(x).sum().backward(create_graph=True)
    (x.grad * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, df(x.data) + 2 * d2f(x.data), rtol=1e-10)


def test_grad_of_a_gradient_through_exp_and_tanh_with_both_inputs():
    x, w = t64(3), t64(3)
    (gx, gw) = tg.grad((x.exp() * w.tanh()).sum(), (x, w), create_graph=True)
    np.testing.assert_allclose(gx.data, np.exp(x.data) * np.tanh(w.data), rtol=1e-12)
    (gxw,) = tg.grad(gx.sum(), w, retain_graph=True)  # mixed second derivative
    np.testing.assert_allclose(gxw.data, np.exp(x.data) * (1 - np.tanh(w.data) ** 2), rtol=1e-12)
    (gww,) = tg.grad(gw.sum(), w)  # (gx's grad above freed only what gw's graph does not need)
    np.testing.assert_allclose(gww.data, np.exp(x.data) * -2 * np.tanh(w.data) * (1 - np.tanh(w.data) ** 2),
                               rtol=1e-10)


def test_the_second_backward_check_can_fail():
    # a rule that leaves the graph under create_graph (np.asarray) gives a zero second derivative
    class DetachedExp(Function):
        @staticmethod
        def forward(ctx, x):
            return np.exp(x)

        @staticmethod
        def backward(ctx, g):
            out = ctx.output
            return g * np.asarray(out.data if isinstance(out, tg.Tensor) else out)

    x = t64(3)
    DetachedExp.apply(x).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.data, np.exp(x.data))  # the first order is right ...
    assert not x.grad.requires_grad  # ... but it is not recorded: the test above fails on its first assert


# ============================================================================ saved values are released
class ScaledByACopy(Function):
    """y = x * c with a fresh array c kept by save_for_backward (nothing else refers to it)."""

    @staticmethod
    def forward(ctx, x):
        c = np.full(x.shape, 3.0)
        ctx.save_for_backward(c)
        ScaledByACopy.saved.append(weakref.ref(c))
        return x * c

    @staticmethod
    def backward(ctx, g):
        (c,) = ctx.saved_tensors
        return g * c


def test_save_for_backward_values_are_released_by_backward():
    ScaledByACopy.saved = []
    x = t64(4)
    y = ScaledByACopy.apply(x)  # the user keeps y (and so its node) alive
    loss = y.sum()
    gc.collect()
    assert ScaledByACopy.saved[0]() is not None  # kept until backward needs it
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, np.full(4, 3.0))
    assert ScaledByACopy.saved[0]() is None  # freed by refcounting, no gc pass needed
    assert y.grad_fn.freed
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_save_for_backward_values_are_kept_with_retain_graph_and_released_with_the_graph():
    ScaledByACopy.saved = []
    x = t64(4)
    y = ScaledByACopy.apply(x)
    y.sum().backward(retain_graph=True)
    assert ScaledByACopy.saved[0]() is not None
    y.sum().backward()  # a second backward works, then frees
    np.testing.assert_array_equal(x.grad.data, np.full(4, 6.0))
    assert ScaledByACopy.saved[0]() is None
    ScaledByACopy.apply(x).sum()  # a graph nobody keeps: freed when dropped
    assert ScaledByACopy.saved[1]() is None


# ============================================================================ arguments no test passed
def test_einsum_with_an_operand_that_needs_no_gradient():
    a, b = t64(2, 3), tg.Tensor(RNG.standard_normal((3, 4)))  # b: a constant
    out = tg.einsum("ij,jk->ik", a, b)
    u = RNG.standard_normal(out.shape)
    out.backward(u)
    np.testing.assert_allclose(a.grad.data, u @ b.data.T, rtol=1e-12)
    assert b.grad is None and not b.requires_grad
    assert gradcheck(lambda a: tg.einsum("ij,jk->ik", a, b), (a,))
    assert gradgradcheck(lambda a: tg.einsum("ij,jk->ik", a, b), (a,))
    (plain,) = tg.grad(tg.einsum("ij,jk", a, b), a, grad_outputs=u)
    (graphed,) = tg.grad(tg.einsum("ij,jk", a, b), a, grad_outputs=tg.Tensor(u, requires_grad=True), create_graph=True)
    np.testing.assert_allclose(graphed.data, plain.data, rtol=1e-12)
    # the constant first, and a repeated letter (a diagonal) on the operand that needs the gradient
    c = t64(3, 3)
    assert gradcheck(lambda c: tg.einsum("ij,jj->i", b.T, c), (c,))
    assert gradcheck(lambda c: tg.einsum("ki,ij->kj", b.T, c), (c,))


@pytest.mark.parametrize("eps", [1e-5, 0.1, 2.0])
def test_layer_norm_module_uses_its_eps(eps):
    ln = nn.LayerNorm(4, eps=eps).double()
    x = t64(2, 3, 4)
    mean, var = x.data.mean(-1, keepdims=True), x.data.var(-1, keepdims=True)
    np.testing.assert_allclose(ln(x).data, (x.data - mean) / np.sqrt(var + eps), rtol=1e-12)
    assert ln.eps == eps and f"eps={eps}" in repr(ln)
    assert gradcheck(lambda x: ln(x), (x,))


@pytest.mark.parametrize("padding_idx", [-1, 4, 0])
def test_embedding_padding_idx_gets_no_gradient(padding_idx):
    emb = nn.Embedding(5, 3, padding_idx=padding_idx).double()
    row = padding_idx % 5
    assert not emb.weight.data[row].any()  # PyTorch zeroes the padding row at init
    index = tg.Tensor(np.array([[0, 4, 4], [1, 2, 0]]))
    u = RNG.standard_normal((2, 3, 3))
    emb(index).backward(u)
    expected = np.zeros((5, 3))
    np.add.at(expected, index.data, u)
    expected[row] = 0
    np.testing.assert_allclose(emb.weight.grad.data, expected, rtol=1e-12)
    w = t64(5, 3)
    out = F.embedding(index, w, padding_idx=padding_idx)
    np.testing.assert_array_equal(out.data, w.data[index.data])  # the padding row is read as it is


def read_only(state):
    """A state dict's arrays as read-only float64 copies (as np.load of a file of another dtype may give)."""
    if isinstance(state, dict):
        return {k: read_only(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(read_only(v) for v in state)
    if isinstance(state, (np.ndarray, tg.Tensor)):
        a = np.array(state.data if isinstance(state, tg.Tensor) else state)
        a = a.astype(np.float64) if a.dtype.kind == "f" else a
        a.setflags(write=False)
        return a
    return state


def test_module_load_state_dict_of_another_dtype_keeps_the_parameters_dtype():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    source = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()
    state = read_only(source.state_dict())
    model.load_state_dict(state)
    for name, value in model.state_dict().items():
        array = value.data if isinstance(value, tg.Tensor) else value
        if np.asarray(state[name]).dtype.kind == "f":
            assert array.dtype == np.float32, name  # the module's dtype, not the file's
            assert array.flags.writeable and not np.shares_memory(array, state[name]), name
            np.testing.assert_allclose(array, np.asarray(state[name]).astype(np.float32), err_msg=name)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(tg.randn(5, 3)).sum().backward()
    opt.step()  # in-place updates work: the loaded arrays are the module's own, writable
    assert all(p.dtype == np.float32 for p in model.parameters())


OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda p: optim.Adam(p, lr=0.1, amsgrad=True),
    "AdamW": lambda p: optim.AdamW(p, lr=0.1),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.1, momentum=0.5, centered=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_load_state_dict_of_another_dtype_keeps_the_parameters_dtype(name):
    model = nn.Linear(3, 2)
    x = tg.randn(4, 3)

    def step(opt):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()

    first = OPTIMIZERS[name](model.parameters())
    step(first)
    state = read_only(first.state_dict())
    second = OPTIMIZERS[name](model.parameters())
    second.load_state_dict(state)
    for param, per_param in second.state.items():
        for key, value in per_param.items():
            if isinstance(value, (np.ndarray, tg.Tensor)) and np.asarray(value.data if isinstance(value, tg.Tensor)
                                                                          else value).dtype.kind == "f":
                array = value.data if isinstance(value, tg.Tensor) else value
                assert array.dtype == param.dtype == np.float32, (key, array.dtype)
                assert array.flags.writeable, key
    before = [p.data.copy() for p in model.parameters()]
    step(second)  # updates its state in place: fails on a read-only array
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert any(not np.array_equal(b, p.data) for b, p in zip(before, model.parameters()))
