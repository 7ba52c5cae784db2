"""Gradient hooks: Tensor.register_hook and nn.Module.register_full_backward_hook, with PyTorch's semantics."""

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import gradcheck


def f64(values, requires_grad=True):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- Tensor.register_hook
def test_leaf_hook_sees_the_gradient_and_its_replacement_is_stored():
    x = f64([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])


def test_hook_gets_a_tensor_without_a_graph_and_none_keeps_the_gradient():
    x = f64([1.0, 2.0])
    y = x * x
    kinds = []
    y.register_hook(lambda g: kinds.append((type(g), g.requires_grad, g.dtype)))
    y.sum().backward()
    assert kinds == [(tg.Tensor, False, np.float64)]
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_non_leaf_hook_replacement_flows_upstream():
    x = f64([1.0, -2.0, 3.0])
    h = x.tanh()
    h.register_hook(lambda g: g * 0 + 1)  # as if d(loss)/dh were all ones
    (h * f64([5.0, 6.0, 7.0], False)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh([1.0, -2.0, 3.0]) ** 2, rtol=1e-15)


def test_non_leaf_hook_sees_the_summed_gradient_once():
    x = f64([2.0])
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.item()))
    (y * y + y).sum().backward()  # two consumers: d/dy = 2y + 1 = 13, seen once, summed
    assert seen == [13.0]
    assert x.grad.item() == 39.0


def test_retain_grad_gets_the_hooked_value_whatever_the_order():
    for retain_first in (True, False):
        x = f64([1.0, 2.0])
        y = x * 2
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda g: g + 100)
        if not retain_first:
            y.retain_grad()
        y.sum().backward()
        np.testing.assert_array_equal(y.grad.numpy(), [101.0, 101.0])
        np.testing.assert_array_equal(x.grad.numpy(), [202.0, 202.0])


def test_hooks_run_in_registration_order_each_on_the_previous_result():
    z = f64([1.0])
    w = z * 1
    w.register_hook(lambda g: g * 2)
    w.register_hook(lambda g: g + 1)
    w.sum().backward()
    assert z.grad.item() == 3.0  # (1 * 2) + 1, not (1 + 1) * 2
    z2 = f64([1.0])
    w2 = z2 * 1
    w2.register_hook(lambda g: g + 1)
    w2.register_hook(lambda g: g * 2)
    w2.sum().backward()
    assert z2.grad.item() == 4.0


def test_handle_remove_and_context_manager():
    x = f64([1.0])
    calls = []
    handle = x.register_hook(lambda g: calls.append("a") or g * 5)
    x.register_hook(lambda g: calls.append("b"))
    handle.remove()
    handle.remove()  # a second remove is harmless
    (x * 1).sum().backward()
    assert calls == ["b"] and x.grad.item() == 1.0
    y = f64([1.0])
    with y.register_hook(lambda g: g * 7):
        (y * 1).sum().backward()
    (y * 1).sum().backward()
    assert y.grad.item() == 7.0 + 1.0


def test_hooks_run_on_every_backward():
    x = f64([1.0])
    y = x * 4
    calls = []
    y.register_hook(lambda g: calls.append(g.item()))
    y.sum().backward(retain_graph=True)
    (y * 2).sum().backward()
    assert calls == [1.0, 2.0] and x.grad.item() == 12.0


def test_hooks_apply_to_grad_results_without_touching_grad():
    x = f64([1.0, 2.0])
    x.register_hook(lambda g: g * 10)
    (gx,) = tg.grad((x * 3).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [30.0, 30.0])
    assert x.grad is None
    y = x * 2
    y.register_hook(lambda g: g - 1)
    (gy,) = tg.grad((y * 5).sum(), y)  # the hooked gradient of a non-leaf input
    np.testing.assert_array_equal(gy.numpy(), [4.0, 4.0])


def test_hooks_under_create_graph_are_differentiated_through():
    x = f64([1.0, 2.0])
    y = x**2
    seen = []
    y.register_hook(lambda g: seen.append(g.requires_grad) or g * 3)
    (gx,) = tg.grad(y.sum(), x, create_graph=True)
    np.testing.assert_array_equal(gx.detach().numpy(), [6.0, 12.0])
    assert gx.requires_grad
    gx.sum().backward()  # d/dx of 3 * 2x: the factor 3 the hook put in is part of the graph
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
    x2 = f64([1.0, 2.0])
    y2 = x2**2
    y2.register_hook(lambda g: g * x2)  # the hook itself depends on x2: its graph is kept too
    (g2,) = tg.grad(y2.sum(), x2, create_graph=True)  # 2x * x = 2x²
    g2.sum().backward()
    np.testing.assert_array_equal(x2.grad.numpy(), [4.0, 8.0])


def test_a_hook_returning_the_wrong_shape_raises():
    q = f64([1.0, 2.0])
    r = q * 2
    r.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"hook returned shape \(\) for a gradient of shape \(2,\)"):
        r.sum().backward()
    leaf = f64([1.0, 2.0])
    leaf.register_hook(lambda g: tg.zeros(3))
    with pytest.raises(RuntimeError, match="hook returned shape"):
        (leaf * 1).sum().backward()


def test_register_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="expected a function"):
        f64([1.0]).register_hook(3)


def test_hooks_print_gradients_as_they_flow():
    """The tutorial's use: one hook per layer output, printing in the order the backward pass reaches them."""
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    x = f64([[1.0, 2.0]], False)
    order = []
    h1 = model[0](x)
    h1.register_hook(lambda g: order.append("linear 0"))
    h2 = model[1](h1)
    h2.register_hook(lambda g: order.append("relu"))
    model[2](h2).sum().backward()
    assert order == ["relu", "linear 0"]


# ----------------------------------------------------------------------------- Module.register_full_backward_hook
class Product(nn.Module):
    def forward(self, a, b, scale=1.0):
        return a * b * scale


def test_full_backward_hook_sees_grad_input_and_grad_output():
    lin = nn.Linear(3, 2).double()
    calls = []
    lin.register_full_backward_hook(lambda m, gi, go: calls.append((m, gi, go)))
    x = f64(np.arange(6.0).reshape(2, 3))
    out = lin(x)
    (out * f64([[1.0, 2.0]], False)).sum().backward()
    ((module, grad_input, grad_output),) = calls
    assert module is lin and len(grad_input) == 1 and len(grad_output) == 1
    np.testing.assert_array_equal(grad_output[0].numpy(), [[1.0, 2.0], [1.0, 2.0]])
    np.testing.assert_allclose(grad_input[0].numpy(), grad_output[0].numpy() @ lin.weight.data, rtol=1e-15)
    np.testing.assert_array_equal(x.grad.numpy(), grad_input[0].numpy())


def test_grad_input_is_none_for_arguments_that_need_no_gradient():
    m = Product()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0], False)
    m(a, b, 2.0).sum().backward()
    ((ga, gb, gscale),) = seen
    np.testing.assert_array_equal(ga.numpy(), [6.0, 8.0])
    assert gb is None and gscale is None


def test_several_inputs_of_different_shapes_and_dtypes():
    m = Product()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    a = f64(np.arange(6.0).reshape(2, 3))
    b = tg.tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    out = m(a, b)
    assert out.dtype == np.float64  # the tap does not change what forward computes
    out.sum().backward()
    ((ga, gb),) = seen  # one entry per positional argument of the call
    assert ga.shape == (2, 3) and gb.shape == (3,) and gb.dtype == np.float32
    np.testing.assert_array_equal(ga.numpy(), np.broadcast_to([1.0, 2.0, 3.0], (2, 3)))
    np.testing.assert_array_equal(gb.numpy(), [3.0, 5.0, 7.0])
    np.testing.assert_array_equal(a.grad.numpy(), ga.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), gb.numpy())


def test_a_returned_grad_input_replaces_the_gradients():
    m = Product()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0 + 5, gi[1] * 2))
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    m(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [5.0, 5.0])
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 4.0])


def test_replacement_flows_on_to_earlier_layers():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    model[2].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0,))
    model(f64([[1.0, 2.0]], False)).sum().backward()
    assert not model[0].weight.grad.numpy().any() and model[2].weight.grad.numpy().any()


def test_hooks_chain_in_order_and_remove():
    m = Product()
    order = []
    m.register_full_backward_hook(lambda mod, gi, go: order.append(("first", gi[0].item())) or (gi[0] * 2, None))
    handle = m.register_full_backward_hook(lambda mod, gi, go: order.append(("second", gi[0].item())))
    a = f64([1.0])
    m(a, f64([3.0], False)).sum().backward()
    assert order == [("first", 3.0), ("second", 6.0)] and a.grad.item() == 6.0
    handle.remove()
    order.clear()
    m(a, f64([3.0], False)).sum().backward()
    assert order == [("first", 3.0)]


def test_without_inputs_that_need_gradients_the_hook_gets_none():
    lin = nn.Linear(2, 1).double()
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    lin(f64(np.ones((3, 2)), False)).sum().backward()
    ((gi, go),) = seen
    assert gi == (None,) and go[0].shape == (3, 1)
    assert lin.weight.grad is not None


def test_wrong_replacements_raise():
    m = Product()
    handle = m.register_full_backward_hook(lambda mod, gi, go: (gi[0],))
    with pytest.raises(RuntimeError, match="returned 1 gradients for 3 inputs"):
        m(f64([1.0]), f64([2.0]), 3.0).sum().backward()
    handle.remove()
    m.register_full_backward_hook(lambda mod, gi, go: (tg.zeros(5), None))
    with pytest.raises(RuntimeError, match=r"shape \(5,\) for an input of shape \(1,\)"):
        m(f64([1.0]), f64([2.0])).sum().backward()
    with pytest.raises(TypeError, match="expected a function"):
        m.register_full_backward_hook("nope")


def test_no_tap_without_hooks_or_without_grad():
    """A module without backward hooks records exactly what it did before; under no_grad nothing is tapped."""
    lin = nn.Linear(2, 2).double()
    x = f64([[1.0, 2.0]])
    assert lin(x).grad_fn.next[0] is x  # the input goes straight into the op
    lin.register_full_backward_hook(lambda *a: None)
    assert lin(x).grad_fn.next[0] is not x
    with tg.no_grad():
        assert lin(x).grad_fn is None


def test_gradients_through_a_hooked_module_are_unchanged():
    """A hook that returns nothing changes no gradient, first or second order."""
    m = Product()
    m.register_full_backward_hook(lambda *a: None)
    a, b = f64([0.5, -1.5]), f64([2.0, 0.25])
    gradcheck(lambda a, b: m(a, b).tanh(), (a, b))
    lin = nn.Linear(3, 2).double()
    lin.register_full_backward_hook(lambda *a: None)
    gradcheck(lambda x: F.softplus(lin(x)), (f64(np.linspace(-1, 1, 6).reshape(2, 3)),), params=list(
        lin.named_parameters()))
