"""conv2d and pooling against straightforward loop-based NumPy references, plus gradcheck and
gradgradcheck (float64, small sizes)."""

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.nn.primitives import col2im, windows
from tinygrad_np.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def t64(*shape, grad=True):
    return tg.Tensor(RNG.standard_normal(shape), requires_grad=grad)


def distinct(*shape):
    """Well-separated distinct values (no ties, finite differences never swap a maximum)."""
    v = RNG.permutation(int(np.prod(shape))).reshape(shape) * 0.1
    return tg.Tensor(v.astype(np.float64), requires_grad=True)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ----------------------------------------------------------------------------- references
def conv2d_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    per_group = o // groups
    for ni in range(n):
        for oc in range(o):
            g = oc // per_group
            for i in range(oh):
                for j in range(ow):
                    patch = xp[ni, g * cg:(g + 1) * cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                               j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[ni, oc, i, j] = (patch * w[oc]).sum() + (0 if b is None else b[oc])
    return out


def pool_ref(x, kernel, stride=None, padding=0, dilation=1, op="max", count_include_pad=True):
    """Pooling by loops; for max also the gradient of sum(out * g) under the first-maximum rule."""
    (kh, kw), (ph, pw), (dh, dw) = pair(kernel), pair(padding), pair(dilation)
    sh, sw = pair(stride if stride is not None else kernel)
    n, c, h, wd = x.shape
    fill = -np.inf if op == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    inside = np.pad(np.ones((h, wd)), ((ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c, oh, ow))
    argmax = {}
    for ni in range(n):
        for ci in range(c):
            for i in range(oh):
                for j in range(ow):
                    rows = range(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                    cols = range(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                    cells = [(r, q) for r in rows for q in cols]  # row-major order
                    vals = [xp[ni, ci, r, q] for r, q in cells]
                    if op == "max":
                        k = int(np.argmax(vals))  # the first maximum
                        out[ni, ci, i, j] = vals[k]
                        if inside[cells[k]]:  # a window of padding only passes no gradient
                            argmax[ni, ci, i, j] = (cells[k][0] - ph, cells[k][1] - pw)
                    else:
                        count = len(vals) if count_include_pad else sum(inside[r, q] for r, q in cells)
                        out[ni, ci, i, j] = sum(vals) / count
    return out, argmax


# ----------------------------------------------------------------------------- conv2d
CONV_CASES = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(stride=2, padding=1),
    dict(stride=(1, 2), padding=(2, 0)),
    dict(dilation=2, padding=1),
    dict(groups=2),
    dict(groups=2, stride=2, padding=1),
]


@pytest.mark.parametrize("kw", CONV_CASES, ids=str)
def test_conv2d_matches_loop_reference(kw):
    groups = kw.get("groups", 1)
    x = RNG.standard_normal((2, 4, 7, 6))
    w = RNG.standard_normal((6, 4 // groups, 3, 2))
    b = RNG.standard_normal(6)
    out = F.conv2d(tg.tensor(x), tg.tensor(w), tg.tensor(b), **kw)
    np.testing.assert_allclose(out.data, conv2d_ref(x, w, b, **kw), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(F.conv2d(tg.tensor(x), tg.tensor(w), **kw).data, conv2d_ref(x, w, **kw),
                               rtol=1e-10, atol=1e-10)


def test_conv2d_float32_stays_float32():
    conv = nn.Conv2d(3, 4, 3)
    x = tg.randn(2, 3, 8, 8)
    out = conv(x)
    assert out.dtype == np.float32 and out.shape == (2, 4, 6, 6)
    ref = conv2d_ref(x.data.astype(np.float64), conv.weight.data.astype(np.float64), conv.bias.data)
    np.testing.assert_allclose(out.data, ref, rtol=1e-5, atol=1e-5)
    out.sum().backward()
    assert conv.weight.grad.dtype == np.float32 and conv.bias.grad.dtype == np.float32


@pytest.mark.parametrize("kw", CONV_CASES, ids=str)
def test_conv2d_gradcheck(kw):
    groups = kw.get("groups", 1)
    x, w, b = t64(2, 2, 5, 4), t64(4, 2 // groups, 3, 2), t64(4)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=(2, 1), groups=2)], ids=str)
def test_conv2d_gradgradcheck(kw):
    groups = kw.get("groups", 1)
    x, w, b = t64(1, 2, 5, 4), t64(2, 2 // groups, 2, 2), t64(2)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


@pytest.mark.parametrize("h, k, s, p, d", [(28, 3, 1, 1, 1), (28, 3, 2, 1, 1), (28, 5, 1, 0, 1), (7, 3, 3, 0, 1),
                                           (10, 3, 2, 2, 2), (5, 5, 1, 0, 1), (9, 4, 3, 1, 1)])
def test_conv2d_output_shapes(h, k, s, p, d):
    conv = nn.Conv2d(2, 3, k, stride=s, padding=p, dilation=d)
    expected = (h + 2 * p - d * (k - 1) - 1) // s + 1
    assert conv(tg.randn(4, 2, h, h)).shape == (4, 3, expected, expected)


def test_conv2d_same_valid_and_unbatched():
    x = tg.randn(2, 6, 9)
    assert F.conv2d(x, tg.randn(4, 2, 3, 4), padding="same").shape == (4, 6, 9)  # unbatched (C, H, W)
    same = nn.Conv2d(2, 3, (3, 4), padding="same", dilation=2)
    xb = RNG.standard_normal((1, 2, 6, 9)).astype(np.float32)
    out = same(tg.tensor(xb))
    assert out.shape == (1, 3, 6, 9)
    # 'same' with an even effective kernel pads one more on the right/bottom, as PyTorch does
    xp = np.pad(xb, ((0, 0), (0, 0), (2, 2), (3, 3)))
    ref = conv2d_ref(xp.astype(np.float64), same.weight.data.astype(np.float64), same.bias.data, dilation=2)
    np.testing.assert_allclose(out.data, ref, rtol=1e-5, atol=1e-5)
    assert F.conv2d(x, tg.randn(4, 2, 3, 4), padding="valid").shape == (4, 4, 6)
    with pytest.raises(ValueError, match="stride 1"):
        F.conv2d(x, tg.randn(4, 2, 3, 3), stride=2, padding="same")


def test_conv2d_errors():
    with pytest.raises(ValueError, match="input has 3 channels"):
        F.conv2d(tg.randn(1, 3, 5, 5), tg.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        F.conv2d(tg.randn(1, 2, 2, 2), tg.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match="4-D"):
        F.conv2d(tg.randn(5, 5), tg.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match="bias"):
        F.conv2d(tg.randn(1, 2, 5, 5), tg.randn(4, 2, 3, 3), tg.randn(3))
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="positive"):
        F.conv2d(tg.randn(1, 2, 5, 5), tg.randn(4, 2, 3, 3), stride=0)


def test_conv2d_module_init_like_pytorch():
    conv = nn.Conv2d(4, 8, (3, 5))
    bound = 1 / np.sqrt(4 * 3 * 5)
    assert conv.weight.shape == (8, 4, 3, 5)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound


def test_windows_and_col2im_are_adjoint():
    for kernel, stride, dilation in [((3, 2), (1, 1), (1, 1)), ((2, 2), (2, 2), (1, 1)), ((3, 3), (2, 1), (2, 1))]:
        x = RNG.standard_normal((2, 3, 9, 8))
        w = windows(x, kernel, stride, dilation)
        y = RNG.standard_normal(w.shape)
        np.testing.assert_allclose((w * y).sum(), (x * col2im(y, x.shape, kernel, stride, dilation)).sum(), rtol=1e-12)


def test_windows_op_has_gradients_of_any_order():
    def f(x):
        return (windows(x, (2, 3), (1, 2), (1, 1)) ** 2).sum(axis=(-2, -1))

    x = t64(1, 2, 4, 5)
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


# ----------------------------------------------------------------------------- pooling
POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2)),
    dict(kernel_size=2, stride=1, dilation=2),
    dict(kernel_size=(3, 2), stride=2, padding=(1, 1)),
]


@pytest.mark.parametrize("kw", POOL_CASES, ids=str)
def test_max_pool2d_matches_reference_and_routes_gradient(kw):
    x = distinct(2, 3, 7, 6)
    out = F.max_pool2d(x, **kw)
    ref, argmax = pool_ref(x.data, kw["kernel_size"], kw.get("stride"), kw.get("padding", 0),
                           kw.get("dilation", 1), "max")
    np.testing.assert_array_equal(out.data, ref)
    g = RNG.standard_normal(out.shape)
    out.backward(g)
    expected = np.zeros(x.shape)
    for (n, c, i, j), (r, q) in argmax.items():
        expected[n, c, r, q] += g[n, c, i, j]
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)


@pytest.mark.parametrize("kw", POOL_CASES, ids=str)
def test_max_pool2d_gradcheck_and_gradgradcheck(kw):
    x = distinct(1, 2, 6, 5)
    assert gradcheck(lambda x: F.max_pool2d(x, **kw), (x,))
    assert gradgradcheck(lambda x: F.max_pool2d(x, **kw) ** 2, (x,))


def test_max_pool2d_ties_go_to_the_first_maximum():
    x = tg.tensor(np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 0.0, 0.0]]]]), requires_grad=True)
    out = F.max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, [[[[3.0, 3.0]]]])
    out.backward(np.array([[[[10.0, 20.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0, 10, 20, 0], [0, 0, 0, 0]]]])
    # overlapping windows: each window sends its gradient to its own first maximum
    y = tg.tensor(np.array([[[[5.0, 5.0, 5.0]]]]), requires_grad=True)
    F.max_pool2d(y, (1, 2), stride=1).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [[[[1, 1, 0]]]])


def test_max_pool2d_float32_and_module():
    pool = nn.MaxPool2d(2)
    x = tg.randn(2, 3, 8, 8)
    out = pool(x)
    assert out.dtype == np.float32 and out.shape == (2, 3, 4, 4)
    np.testing.assert_array_equal(out.data, x.data.reshape(2, 3, 4, 2, 4, 2).max(axis=(3, 5)))
    assert pool(tg.randn(3, 5, 5)).shape == (3, 2, 2)  # unbatched; the last row/column is dropped


@pytest.mark.parametrize("kw", POOL_CASES[:4] + [dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)],
                         ids=str)
def test_avg_pool2d_matches_reference_and_gradchecks(kw):
    kw = dict(kw)
    kw.pop("dilation", None)
    x = t64(2, 3, 7, 6)
    out = F.avg_pool2d(x, **kw)
    ref, _ = pool_ref(x.data, kw["kernel_size"], kw.get("stride"), kw.get("padding", 0), 1, "avg",
                      kw.get("count_include_pad", True))
    np.testing.assert_allclose(out.data, ref, rtol=1e-12)
    small = t64(1, 2, 5, 4)
    assert gradcheck(lambda x: F.avg_pool2d(x, **kw), (small,))
    assert gradgradcheck(lambda x: F.avg_pool2d(x, **kw) ** 2, (small,))


def test_avg_pool2d_divisor_override_and_module():
    x = tg.ones(1, 1, 4, 4)
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, divisor_override=1).data, np.full((1, 1, 2, 2), 4.0))
    assert nn.AvgPool2d(2)(tg.randn(2, 3, 6, 6)).shape == (2, 3, 3, 3)


def test_pooling_errors():
    with pytest.raises(ValueError, match="at most half"):
        F.max_pool2d(tg.randn(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        F.max_pool2d(tg.randn(1, 1, 2, 2), 3)


def ceil_pool_reference(x, k, s, p, d, kind="max", count_include_pad=True):
    """Pooling with ceil_mode written out: PyTorch's documented output size (rounded up, minus a
    last window that would start in the right padding), windows clipped to the input; an average
    divides by the window's elements inside the padded input (or inside the input only)."""
    out_sizes = []
    for n in x.shape[2:]:
        out = -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1
        out_sizes.append(out - 1 if (out - 1) * s >= n + p else out)
    y = np.full(x.shape[:2] + tuple(out_sizes), -np.inf)
    for i in range(out_sizes[0]):
        for j in range(out_sizes[1]):
            rows = [r for r in range(i * s - p, i * s - p + d * k, d) if 0 <= r < x.shape[2]]
            cols = [c for c in range(j * s - p, j * s - p + d * k, d) if 0 <= c < x.shape[3]]
            window = x[:, :, rows][:, :, :, cols]
            if kind == "max":
                y[:, :, i, j] = window.max(axis=(2, 3))
            else:
                padded = [len(range(max(a * s - p, -p), min(a * s - p + k, n + p))) for a, n in ((i, x.shape[2]),
                                                                                              (j, x.shape[3]))]
                count = padded[0] * padded[1] if count_include_pad else len(rows) * len(cols)
                y[:, :, i, j] = window.sum(axis=(2, 3)) / count
    return y


@pytest.mark.parametrize("size, k, s, p, d", [(5, 2, 2, 0, 1), (7, 3, 2, 1, 1), (6, 3, 3, 0, 1), (8, 3, 2, 1, 2),
                                              (4, 2, 3, 1, 1), (9, 4, 3, 2, 1), (6, 2, 2, 0, 1)])
def test_max_pool2d_ceil_mode(size, k, s, p, d):
    x = t64(2, 2, size, size + 1)
    out = F.max_pool2d(x, k, s, p, d, ceil_mode=True)
    np.testing.assert_array_equal(out.data, ceil_pool_reference(x.data, k, s, p, d))
    assert gradcheck(lambda x: nn.MaxPool2d(k, s, p, d, ceil_mode=True)(x), (x,))


@pytest.mark.parametrize("size, k, s, p", [(5, 2, 2, 0), (7, 3, 2, 1), (6, 3, 3, 0), (4, 2, 3, 1), (9, 4, 3, 2),
                                           (6, 2, 2, 0)])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_ceil_mode(size, k, s, p, count_include_pad):
    x = t64(2, 2, size, size + 1)
    out = F.avg_pool2d(x, k, s, p, ceil_mode=True, count_include_pad=count_include_pad)
    np.testing.assert_allclose(out.data, ceil_pool_reference(x.data, k, s, p, 1, "avg", count_include_pad), rtol=1e-12)
    assert gradcheck(lambda x: nn.AvgPool2d(k, s, p, ceil_mode=True, count_include_pad=count_include_pad)(x), (x,))


def test_cnn_end_to_end_gradcheck():
    w, b, w2 = t64(3, 1, 3, 3), t64(3), t64(2, 12)

    def net(x, w, b, w2):
        h = F.max_pool2d(F.conv2d(x, w, b, padding=1).tanh(), 2)
        return F.linear(h.flatten(1), w2)

    x = t64(2, 1, 4, 4, grad=False)
    assert gradcheck(net, (x, w, b, w2))


# ----------------------------------------------------------------------------- property tests
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def conv_configs(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    c, o = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw, dh, dw = (draw(st.integers(1, 3)) for _ in range(4))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 7))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 7))
    return dict(shape=(draw(st.integers(1, 2)), c, h, w), weight=(o, c // groups, kh, kw),
                kw=dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=groups))


@given(conv_configs(), st.integers(0, 2**32 - 1))
def test_conv2d_property_matches_reference(cfg, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(cfg["shape"]), rng.standard_normal(cfg["weight"])
    b = rng.standard_normal(cfg["weight"][0])
    out = F.conv2d(tg.tensor(x), tg.tensor(w), tg.tensor(b), **cfg["kw"])
    np.testing.assert_allclose(out.data, conv2d_ref(x, w, b, **cfg["kw"]), rtol=1e-9, atol=1e-9)


@st.composite
def pool_configs(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw, dh, dw = (draw(st.integers(1, 3)) for _ in range(4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 7))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 7))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w), dict(
        kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw))


@given(pool_configs(), st.integers(0, 2**32 - 1))
def test_max_pool2d_property_matches_reference(cfg, seed):
    shape, kw = cfg
    rng = np.random.default_rng(seed)
    x = tg.Tensor(rng.integers(0, 4, shape).astype(np.float64), requires_grad=True)  # many ties
    out = F.max_pool2d(x, **kw)
    ref, argmax = pool_ref(x.data, kw["kernel_size"], kw["stride"], kw["padding"], kw["dilation"], "max")
    np.testing.assert_array_equal(out.data, ref)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    expected = np.zeros(shape)
    for (n, c, i, j), (r, q) in argmax.items():
        expected[n, c, r, q] += g[n, c, i, j]
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- padding modes
NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@st.composite
def pad_case(draw):
    shape = tuple(draw(st.lists(st.integers(2, 4), min_size=1, max_size=3)))
    mode = draw(st.sampled_from(sorted(NUMPY_PAD_MODE)))
    limit = (lambda n: n - 1) if mode == "reflect" else (lambda n: n) if mode == "circular" else (lambda n: 4)
    padded = draw(st.integers(1, len(shape)))  # how many trailing dims get padding
    widths = [(0, 0)] * (len(shape) - padded) + [
        (draw(st.integers(0, limit(n))), draw(st.integers(0, limit(n)))) for n in shape[len(shape) - padded:]]
    return shape, mode, widths


def flat_pad(widths):
    return tuple(v for pair in reversed(widths) for v in pair)  # PyTorch's order: last dimension first


@settings(deadline=None)
@given(pad_case(), st.integers(0, 2**31 - 1))
def test_pad_modes_match_numpy_and_gradcheck(case, seed):
    shape, mode, widths = case
    x = tg.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)
    out = F.pad(x, flat_pad(widths), mode=mode)
    np.testing.assert_array_equal(out.data, np.pad(x.data, widths, mode=NUMPY_PAD_MODE[mode]))
    assert gradcheck(lambda x: F.pad(x, flat_pad(widths), mode=mode), (x,))


def test_conv2d_padding_modes():
    tg.manual_seed(0)
    x = t64(2, 3, 5, 6, grad=False)
    for mode in ("reflect", "replicate", "circular"):
        conv = nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode=mode).double()
        expected = F.conv2d(tg.Tensor(np.pad(x.data, ((0, 0), (0, 0), (1, 1), (2, 2)), mode=NUMPY_PAD_MODE[mode])),
                            conv.weight, conv.bias)
        np.testing.assert_allclose(conv(x).data, expected.data, rtol=1e-12)
        assert f"padding_mode='{mode}'" in repr(conv)
    reflected_conv = lambda x, w: F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), w)  # noqa: E731
    assert gradcheck(reflected_conv, (t64(1, 2, 4, 4), t64(3, 2, 3, 3)))
    with pytest.raises(ValueError, match="too wide"):
        F.pad(tg.randn(1, 1, 3, 3), (3, 0, 0, 0), mode="reflect")
    with pytest.raises(ValueError, match="mode must be"):
        F.pad(tg.randn(2, 2), (1, 1), mode="symmetric")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")


# ----------------------------------------------------------------------------- transposed convolution
def conv_transpose_reference(x, w, b, stride, padding, output_padding, groups, dilation):
    """Every input pixel scattered through the kernel, written out with loops."""
    n, c, h, wd = x.shape
    cin, og, kh, kw = w.shape
    full = [(m - 1) * s + d * (k - 1) + 1 + op for m, s, d, k, op in zip((h, wd), stride, dilation, (kh, kw),
                                                                          output_padding)]
    out = np.zeros((n, og * groups, *full))
    cg = c // groups
    for ci in range(c):
        grp = ci // cg
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for bb in range(kw):
                        r, q = i * stride[0] + a * dilation[0], j * stride[1] + bb * dilation[1]
                        out[:, grp * og:(grp + 1) * og, r, q] += x[:, ci, i, j][:, None] * w[ci, :, a, bb][None, :]
    out = out[:, :, padding[0]:full[0] - padding[0], padding[1]:full[1] - padding[1]]
    return out + (0 if b is None else b.reshape(1, -1, 1, 1))


TRANSPOSE_CASES = [  # (C_in, C_out, groups, kernel, stride, padding, output_padding, dilation, H)
    (2, 3, 1, (3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 4), (2, 4, 2, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 3),
    (4, 2, 2, (2, 2), (2, 2), (0, 0), (0, 0), (1, 1), 3), (3, 3, 1, (3, 3), (2, 2), (1, 1), (0, 0), (2, 2), 3),
    (1, 2, 1, (2, 3), (2, 1), (1, 0), (1, 0), (1, 1), 3),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose2d_matches_reference_and_gradchecks(case):
    cin, cout, groups, k, s, p, op, d, h = case
    x, w, b = t64(2, cin, h, h + 1), t64(cin, cout // groups, *k), t64(cout)
    out = F.conv_transpose2d(x, w, b, s, p, op, groups, d)
    np.testing.assert_allclose(out.data, conv_transpose_reference(x.data, w.data, b.data, s, p, op, groups, d),
                               rtol=1e-12, atol=1e-12)
    op_fn = lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, groups, d)  # noqa: E731
    assert gradcheck(op_fn, (x, w, b))
    assert gradgradcheck(op_fn, (x, w, b))


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case):
    # <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>: the defining property of the transpose
    c_out, c_in, groups, k, s, p, _, d, _ = case  # conv2d maps c_in -> c_out; its transpose goes back
    x = t64(2, c_in, 7, 8, grad=False)
    w = t64(c_out, c_in // groups, *k, grad=False)
    y_shape = F.conv2d(x, w, None, s, p, d, groups).shape
    op = tuple((n + 2 * pp - dd * (kk - 1) - 1) % ss for n, pp, dd, kk, ss in zip((7, 8), p, d, k, s))
    y = t64(*y_shape, grad=False)
    left = (F.conv2d(x, w, None, s, p, d, groups).data * y.data).sum()
    right = (x.data * F.conv_transpose2d(y, w, None, s, p, op, groups, d).data).sum()
    assert left == pytest.approx(right, rel=1e-9, abs=1e-9)  # sums of a few hundred O(1) products


def test_conv_transpose2d_module_and_errors():
    tg.manual_seed(0)
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
    assert up.weight.shape == (4, 2, 3, 3) and up(tg.randn(1, 4, 5, 5)).shape == (1, 2, 10, 10)
    assert up(tg.randn(4, 5, 5)).shape == (2, 10, 10)  # unbatched
    assert "output_padding=(1, 1)" in repr(up)
    bound = 1 / np.sqrt(2 * 3 * 3)  # PyTorch's fan_in for the transpose: out_channels/groups * kh * kw
    assert np.abs(up.weight.data).max() <= bound and np.abs(up.bias.data).max() <= bound
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(tg.randn(1, 2, 3, 3), tg.randn(2, 1, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="channels"):
        F.conv_transpose2d(tg.randn(1, 3, 3, 3), tg.randn(2, 1, 3, 3))
