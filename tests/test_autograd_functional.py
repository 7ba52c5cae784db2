"""tinygrad_np.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp, as torch.autograd.functional.

Values are checked against central finite differences (float64, smooth functions away from kinks:
the error of a central difference with eps = 1e-6 is about eps² times the third derivative plus
1e-16 / eps of rounding, so 1e-7 is a safe tolerance for these functions of size one) and against
closed forms; return conventions (Tensor or tuple) and errors against PyTorch's documented ones."""

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.autograd.functional
from tinygrad_np.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

EPS, TOL = 1e-6, 1e-7


def t64(values, requires_grad=False):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def numerical_jacobian(f, arrays, j):
    """d f(*arrays) / d arrays[j], shape out.shape + arrays[j].shape, by central differences (f: arrays -> array)."""
    x = arrays[j]
    out = np.asarray(f(*arrays))
    jac = np.zeros(out.shape + x.shape)
    for k in np.ndindex(x.shape):
        plus, minus = [a.copy() for a in arrays], [a.copy() for a in arrays]
        plus[j][k] += EPS
        minus[j][k] -= EPS
        jac[(...,) + k] = (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * EPS)
    return jac


def on_arrays(f, index=None):
    """f on Tensors, as a function of arrays returning an array (output ``index`` if f returns a tuple)."""
    def g(*arrays):
        out = f(*[t64(a) for a in arrays])
        return (out if index is None else out[index]).data
    return g


def f_vector(x, y):
    """A smooth map R^3 x R^2 -> R^(2,2): every entry depends on both inputs."""
    return (x[:2].reshape(2, 1) * y.exp().reshape(1, 2)).tanh() + (x * x).sum() * y.sin().reshape(1, 2)


def f_scalar(x, y):
    return (x.exp() * x).sum() * y.cos().sum() + (x[:2] * y).sum() ** 2


X = np.array([0.3, -0.7, 1.1])
Y = np.array([0.5, -0.2])


# ----------------------------------------------------------------------------- the import forms
def test_import_forms():
    assert tinygrad_np.autograd.functional.jacobian is jacobian
    assert tg.autograd.functional.hessian is hessian
    assert set(tinygrad_np.autograd.functional.__all__) == {"vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"}


# ----------------------------------------------------------------------------- values
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian_of_two_inputs_matches_finite_differences(strategy):
    jx, jy = jacobian(f_vector, (t64(X), t64(Y)), strategy=strategy)
    assert jx.shape == (2, 2, 3) and jy.shape == (2, 2, 2)
    np.testing.assert_allclose(jx.data, numerical_jacobian(on_arrays(f_vector), [X, Y], 0), atol=TOL)
    np.testing.assert_allclose(jy.data, numerical_jacobian(on_arrays(f_vector), [X, Y], 1), atol=TOL)


def test_jacobian_of_tuple_outputs():
    def f(x, y):
        return x * y.sum(), (x ** 2).sum()

    (j00, j01), (j10, j11) = jacobian(f, (t64(X), t64(Y)))
    assert (j00.shape, j01.shape, j10.shape, j11.shape) == ((3, 3), (3, 2), (3,), (2,))
    np.testing.assert_allclose(j00.data, np.eye(3) * Y.sum())
    np.testing.assert_allclose(j01.data, np.repeat(X[:, None], 2, axis=1))
    np.testing.assert_allclose(j10.data, 2 * X)
    np.testing.assert_allclose(j11.data, 0)  # independent of y: zeros (strict=False)


def test_hessian_matches_finite_differences_of_the_gradient():
    h = hessian(f_scalar, (t64(X), t64(Y)))
    grad = [on_arrays(lambda x, y, i=i: tg.grad(f_scalar(x.requires_grad_(), y.requires_grad_()), (x, y))[i])
            for i in range(2)]
    for i in range(2):
        for j in range(2):
            expected = numerical_jacobian(grad[i], [X, Y], j)
            assert h[i][j].shape == expected.shape
            np.testing.assert_allclose(h[i][j].data, expected, atol=1e-6)
    np.testing.assert_allclose(h[0][1].data, h[1][0].data.T, atol=1e-12)  # symmetric


def test_hessian_of_a_quadratic_form_is_exact():
    a = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, -1.0], [4.0, 0.0, 1.0]])
    h = hessian(lambda x: x @ t64(a) @ x, t64(X))
    np.testing.assert_array_equal(h.data, a + a.T)


def test_vjp_and_jvp_are_the_jacobian_products():
    x, y = t64(X), t64(Y)
    jx, jy = jacobian(f_vector, (x, y))
    u = np.array([[1.0, -2.0], [0.5, 3.0]])
    vx, vy = np.array([0.2, -1.0, 0.7]), np.array([1.5, -0.5])
    out, (gx, gy) = vjp(f_vector, (x, y), t64(u))
    np.testing.assert_allclose(out.data, f_vector(x, y).data)
    np.testing.assert_allclose(gx.data, np.einsum("ij,ijk->k", u, jx.data), atol=1e-12)
    np.testing.assert_allclose(gy.data, np.einsum("ij,ijk->k", u, jy.data), atol=1e-12)
    out, jv = jvp(f_vector, (x, y), (t64(vx), t64(vy)))
    np.testing.assert_allclose(jv.data, jx.data @ vx + jy.data @ vy, atol=1e-12)


def test_hvp_and_vhp_are_the_hessian_products():
    x, y = t64(X), t64(Y)
    h = hessian(f_scalar, (x, y))
    vx, vy = np.array([0.2, -1.0, 0.7]), np.array([1.5, -0.5])
    for product in (hvp, vhp):
        value, (px, py) = product(f_scalar, (x, y), (t64(vx), t64(vy)))
        np.testing.assert_allclose(value.data, f_scalar(x, y).data)
        np.testing.assert_allclose(px.data, h[0][0].data @ vx + h[0][1].data @ vy, atol=1e-12)
        np.testing.assert_allclose(py.data, h[1][0].data @ vx + h[1][1].data @ vy, atol=1e-12)


def test_a_wrong_rule_is_caught_by_the_comparison():
    """The negative control: a custom op whose rule is off by a factor gives a Jacobian the check rejects."""
    class WrongSquare(tg.Function):
        formula = "∂/∂x = g·2x (deliberately given as g·3x)"

        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.inputs
            return g * 3 * x

    j = jacobian(WrongSquare.apply, t64(X))
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(j.data, numerical_jacobian(on_arrays(WrongSquare.apply), [X], 0), atol=TOL)


# ----------------------------------------------------------------------------- return conventions
def test_a_tensor_in_a_tensor_out_and_tuples_where_tuples_were_given():
    x = t64(X)
    assert isinstance(jacobian(lambda a: a * 2, x), tg.Tensor)
    assert isinstance(jacobian(lambda a: a * 2, (x,)), tuple) and len(jacobian(lambda a: a * 2, (x,))) == 1
    assert isinstance(jacobian(lambda a: (a * 2,), x), tuple)
    (inner,) = jacobian(lambda a: (a * 2,), (x,))
    assert isinstance(inner, tuple) and isinstance(inner[0], tg.Tensor)
    out, g = vjp(lambda a: (a ** 2).sum(), x)  # v may be None for a single-element output
    assert isinstance(out, tg.Tensor) and isinstance(g, tg.Tensor)
    np.testing.assert_allclose(g.data, 2 * X)
    out, (g,) = vjp(lambda a: (a ** 2).sum(), (x,))
    assert isinstance(g, tg.Tensor)
    assert isinstance(hessian(lambda a: (a ** 3).sum(), x), tg.Tensor)
    ((h,),) = hessian(lambda a: (a ** 3).sum(), (x,))
    np.testing.assert_allclose(h.data, np.diag(6 * X))
    _, jv = jvp(lambda a: a * 3, t64([2.0]))  # v may be None for a single-element input
    assert jv.tolist() == [3.0]


def test_results_are_outside_the_graph_unless_create_graph():
    x = t64(X, requires_grad=True)
    out, g = vjp(lambda a: (a ** 3).sum(), x)
    assert not out.requires_grad and not g.requires_grad
    assert x.grad is None  # .grad is never touched


def test_create_graph_makes_the_results_differentiable_with_respect_to_the_inputs():
    x = t64(X, requires_grad=True)
    v = t64([1.0, 0.0, 2.0])
    _, jv = jvp(lambda a: a ** 3, x, v, create_graph=True)  # 3 x² v
    assert jv.requires_grad
    jv.sum().backward()  # d/dx sum(3 x² v) = 6 x v
    np.testing.assert_allclose(x.grad.data, 6 * X * v.data)
    x.grad = None
    h = hessian(lambda a: (a ** 4).sum(), x, create_graph=True)  # diag(12 x²)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, 24 * X)
    x.grad = None
    _, hv = hvp(lambda a: (a ** 4).sum(), x, v, create_graph=True)
    hv.sum().backward()
    np.testing.assert_allclose(x.grad.data, 24 * X * v.data)
    x.grad = None
    j = jacobian(lambda a: a.sin(), x, create_graph=True, strategy="forward-mode")
    j.sum().backward()
    np.testing.assert_allclose(x.grad.data, -np.sin(X))


def test_vectorize_is_accepted_and_changes_nothing():
    x, y = t64(X), t64(Y)
    for a, b in zip(jacobian(f_vector, (x, y), vectorize=True), jacobian(f_vector, (x, y))):
        np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(hessian(f_scalar, (x, y), vectorize=True)[1][1].data,
                                  hessian(f_scalar, (x, y))[1][1].data)


def test_non_differentiable_and_zero_size_cases():
    x = t64(X)
    np.testing.assert_array_equal(jacobian(lambda a: a.floor(), x).data, np.zeros((3, 3)))
    assert jacobian(lambda a: a[:0], x).shape == (0, 3)
    np.testing.assert_array_equal(jacobian(lambda a: tg.tensor([1.0, 2.0], dtype="float64"), x).data,
                                  np.zeros((2, 3)))


# ----------------------------------------------------------------------------- strict and errors
def test_strict_refuses_an_output_independent_of_an_input():
    x, y = t64(X), t64(Y)
    with pytest.raises(RuntimeError, match=r"output 0 is independent of input 1.*strict=False"):
        jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match=r"independent of input 1.*strict=False"):
        vjp(lambda a, b: (a * 2).sum(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match=r"strict=False"):
        hessian(lambda a: (a * 2).sum(), x, strict=True)  # linear: the Hessian does not depend on x
    with pytest.raises(RuntimeError, match=r"strict=False"):
        jvp(lambda a: tg.tensor([1.0], dtype="float64"), x, t64(X), strict=True)
    _, (gx, gy) = vjp(lambda a, b: (a * 2).sum(), (x, y))
    assert gy.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: jacobian(lambda a: a.data, t64(X)), TypeError, r"outputs of the function must be a Tensor"),
    (lambda: jacobian(lambda a: a, X), TypeError, r"inputs must be a Tensor or a tuple of Tensors.*got ndarray"),
    (lambda: jacobian(lambda a: a, tg.tensor([1, 2])), TypeError, r"dtype int64.*\.float\(\)"),
    (lambda: jacobian(lambda a: a, t64(X), strategy="fwd"), ValueError, r"'forward-mode' or 'reverse-mode'"),
    (lambda: hessian(lambda a: a * 2, t64(X)), RuntimeError, r"single element.*shape \(3,\).*\.sum\(\)"),
    (lambda: hessian(lambda a: (a, a), t64(X)), RuntimeError, r"should return a single Tensor"),
    (lambda: vjp(lambda a: a * 2, t64(X)), RuntimeError, r"v can be None only when"),
    (lambda: vjp(lambda a: a * 2, t64(X), t64([1.0])), RuntimeError, r"v has shape \(1,\).*output 0 has shape \(3,\)"),
    (lambda: jvp(lambda a: a * 2, t64(X)), RuntimeError, r"v can be None only when the input"),
    (lambda: jvp(lambda a, b: a * b, (t64(X), t64(X)), t64(X)), RuntimeError, r"v has 1 Tensors but the input has 2"),
    (lambda: hvp(lambda a: (a * a).sum(), t64(X), t64(Y)), RuntimeError, r"v has shape \(2,\)"),
])
def test_errors_name_the_problem(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
