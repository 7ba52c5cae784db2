"""conv1d / Conv1d, 1-D pooling, max-pool indices and max-unpooling, interpolate / Upsample,
pixel_shuffle and unfold / fold: against loop-by-loop NumPy references written from PyTorch's
definitions, with gradcheck / gradgradcheck in float64 and PyTorch's errors."""

import itertools
import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def t64(*shape):
    return tg.Tensor(RNG.standard_normal(shape), requires_grad=True)


# ----------------------------------------------------------------------------- conv1d
def conv1d_ref(x, w, b=None, stride=1, pad=(0, 0), dilation=1, groups=1):
    n, c, _ = x.shape
    o, cg, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pad))
    length = (xp.shape[2] - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((n, o, length))
    for i, j, t in itertools.product(range(n), range(o), range(length)):
        g = j // (o // groups)
        for ci, kk in itertools.product(range(cg), range(k)):
            out[i, j, t] += w[j, ci, kk] * xp[i, g * cg + ci, t * stride + kk * dilation]
    return out if b is None else out + b[None, :, None]


@pytest.mark.parametrize("kwargs, pad", [({}, (0, 0)), ({"stride": 2, "padding": 1}, (1, 1)),
                                         ({"dilation": 2, "padding": (2,)}, (2, 2)), ({"groups": 2}, (0, 0)),
                                         ({"padding": "same"}, (1, 2)), ({"padding": "valid"}, (0, 0))])
def test_conv1d_matches_the_reference(kwargs, pad):
    groups = kwargs.get("groups", 1)
    x, w, b = RNG.standard_normal((2, 4, 9)), RNG.standard_normal((6, 4 // groups, 4)), RNG.standard_normal(6)
    out = F.conv1d(tg.tensor(x), tg.tensor(w), tg.tensor(b), **kwargs)
    ref = conv1d_ref(x, w, b, kwargs.get("stride", 1), pad, kwargs.get("dilation", 1), groups)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)  # "same" with k=4: total 3, 1 left, 2 right
    unbatched = F.conv1d(tg.tensor(x[0]), tg.tensor(w), tg.tensor(b), **kwargs)
    np.testing.assert_allclose(unbatched.data, ref[0], rtol=1e-12, atol=1e-12)


def test_conv1d_float32_empty_batch_and_gradients():
    x, w = RNG.standard_normal((2, 3, 7)).astype(np.float32), RNG.standard_normal((2, 3, 3)).astype(np.float32)
    assert F.conv1d(tg.tensor(x), tg.tensor(w)).dtype == np.float32
    assert F.conv1d(tg.zeros(0, 3, 7), tg.tensor(w)).shape == (0, 2, 5)
    args = (t64(2, 4, 7), t64(4, 2, 3), t64(4))
    assert gradcheck(lambda a, b, c: F.conv1d(a, b, c, stride=2, padding=1, groups=2), args)
    assert gradgradcheck(lambda a, b, c: F.conv1d(a, b, c, dilation=2), args[:1] + (t64(4, 4, 2), args[2]))


def test_conv1d_errors():
    x = tg.randn(2, 4, 9)
    with pytest.raises(ValueError, match="3-D"):
        F.conv1d(x, tg.randn(6, 4, 1, 3))
    with pytest.raises(ValueError, match="conv1d.*channels"):
        F.conv1d(x, tg.randn(6, 3, 3))
    with pytest.raises(ValueError, match="conv1d.*stride 1"):
        F.conv1d(x, tg.randn(6, 4, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="conv1d.*smaller than the kernel"):
        F.conv1d(x, tg.randn(6, 4, 10))
    with pytest.raises(ValueError, match="conv1d.*2-D.*3-D"):
        F.conv1d(tg.randn(2, 4, 9, 1), tg.randn(6, 4, 3))


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_conv1d_module_padding_modes(mode, np_mode):
    m = nn.Conv1d(3, 2, 3, padding=2, padding_mode=mode).double()
    x = RNG.standard_normal((2, 3, 6))
    ref = conv1d_ref(np.pad(x, ((0, 0), (0, 0), (2, 2)), mode=np_mode), m.weight.data, m.bias.data)
    np.testing.assert_allclose(m(tg.tensor(x)).data, ref, rtol=1e-12)


def test_conv1d_module_layout_init_and_repr():
    m = nn.Conv1d(4, 6, 3, stride=2, groups=2, bias=False)
    assert m.weight.shape == (6, 2, 3) and m.bias is None and list(m.state_dict()) == ["weight"]
    assert np.abs(m.weight.data).max() <= 1 / math.sqrt(2 * 3)  # PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert repr(m) == "Conv1d(4, 6, kernel_size=(3,), stride=(2,), groups=2, bias=False)"
    assert repr(nn.Conv1d(2, 3, 3, padding="same")) == "Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding='same')"
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv1d(2, 3, 3, padding_mode="mirror")


# ----------------------------------------------------------------------------- pooling
def windows_1d(x, k, s, pad, dilation, fill, extra=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad + extra)), constant_values=fill)
    count = (xp.shape[-1] - dilation * (k - 1) - 1) // s + 1
    return np.stack([xp[..., t * s: t * s + dilation * (k - 1) + 1: dilation] for t in range(count)], axis=2)


@pytest.mark.parametrize("k, s, pad, dilation", [(2, 2, 0, 1), (3, 2, 1, 1), (3, 1, 1, 2), (4, 3, 2, 1)])
def test_pool1d_match_the_reference(k, s, pad, dilation):
    x = RNG.standard_normal((2, 3, 10))
    np.testing.assert_allclose(F.max_pool1d(tg.tensor(x), k, s, pad, dilation).data,
                               windows_1d(x, k, s, pad, dilation, -np.inf).max(-1))
    if dilation == 1:
        np.testing.assert_allclose(F.avg_pool1d(tg.tensor(x), k, s, pad).data,
                                   windows_1d(x, k, s, pad, 1, 0.0).mean(-1), rtol=1e-12)
        counted = windows_1d(np.ones_like(x), k, s, pad, 1, 0.0).sum(-1)
        np.testing.assert_allclose(F.avg_pool1d(tg.tensor(x), k, s, pad, count_include_pad=False).data,
                                   windows_1d(x, k, s, pad, 1, 0.0).sum(-1) / counted, rtol=1e-12)


def test_pool1d_ceil_mode_unbatched_float32_and_gradients():
    x = RNG.standard_normal((2, 3, 7))
    np.testing.assert_allclose(F.max_pool1d(tg.tensor(x), 2, ceil_mode=True).data,
                               windows_1d(x, 2, 2, 0, 1, -np.inf, extra=1).max(-1))
    np.testing.assert_allclose(F.avg_pool1d(tg.tensor(x), 2, ceil_mode=True).data[..., -1], x[..., -1])
    assert F.max_pool1d(tg.tensor(x[0]), 2).shape == (3, 3)
    assert F.avg_pool1d(tg.tensor(x.astype(np.float32)), 3).dtype == np.float32
    t = t64(2, 3, 8)
    assert gradcheck(lambda a: F.max_pool1d(a, 3, 2, 1), (t,))
    assert gradcheck(lambda a: F.avg_pool1d(a, 3, 2, 1, count_include_pad=False), (t,))
    assert gradgradcheck(lambda a: F.avg_pool1d(a, 2), (t,))


def test_pool1d_modules_and_errors():
    x = tg.randn(2, 3, 8)
    np.testing.assert_array_equal(nn.MaxPool1d(3, 2, 1)(x).data, F.max_pool1d(x, 3, 2, 1).data)
    np.testing.assert_array_equal(nn.AvgPool1d(2)(x).data, F.avg_pool1d(x, 2).data)
    assert repr(nn.MaxPool1d(2)) == "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    with pytest.raises(ValueError, match="max_pool1d.*half the kernel"):
        F.max_pool1d(x, 2, padding=2)
    with pytest.raises(ValueError, match="avg_pool1d.*2-D.*3-D"):
        F.avg_pool1d(tg.randn(2, 3, 8, 8), 2)
    with pytest.raises(ValueError, match="kernel_size"):
        F.max_pool1d(x, (2, 2))


def argmax_ref(x, kh, kw, sh, sw, ph, pw, dh=1, dw=1):
    """Flat index h * W + w of each window's first maximum, or of its last NaN (PyTorch's rule)."""
    n, c, h, w = x.shape
    oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c, oh, ow), dtype=np.int64)
    for i, j, a, b in itertools.product(range(n), range(c), range(oh), range(ow)):
        best, where = -np.inf, -1
        for u, v in itertools.product(range(kh), range(kw)):
            r, q = a * sh - ph + u * dh, b * sw - pw + v * dw
            if 0 <= r < h and 0 <= q < w and (x[i, j, r, q] > best or np.isnan(x[i, j, r, q]) or where < 0):
                if not np.isnan(best) or np.isnan(x[i, j, r, q]):
                    best, where = x[i, j, r, q], r * w + q
        out[i, j, a, b] = where
    return out


@pytest.mark.parametrize("k, s, p, d", [((2, 2), (2, 2), (0, 0), (1, 1)), ((3, 3), (2, 2), (1, 1), (1, 1)),
                                        ((2, 3), (1, 2), (1, 0), (2, 1))])
def test_max_pool2d_return_indices(k, s, p, d):
    x = np.round(RNG.standard_normal((2, 2, 6, 7)))  # many ties
    x[0, 0, 1, 1] = x[1, 1, 3, 4] = x[1, 1, 3, 5] = np.nan
    out, idx = F.max_pool2d(tg.tensor(x), k, s, p, d, return_indices=True)
    assert idx.dtype == np.int64 and idx.shape == out.shape and not idx.requires_grad
    np.testing.assert_array_equal(idx.data, argmax_ref(x, *k, *s, *p, *d))
    np.testing.assert_array_equal(out.data, F.max_pool2d(tg.tensor(x), k, s, p, d).data)
    picked = np.take_along_axis(x.reshape(2, 2, -1), idx.data.reshape(2, 2, -1), axis=2).reshape(out.shape)
    np.testing.assert_array_equal(picked, out.data)  # the index points at the output value (NaN at a NaN)


def test_max_pool_indices_ceil_mode_unbatched_1d_and_the_module():
    x = RNG.standard_normal((3, 5, 5))
    out, idx = F.max_pool2d(tg.tensor(x), 2, ceil_mode=True, return_indices=True)
    assert out.shape == idx.shape == (3, 3, 3)
    np.testing.assert_array_equal(np.take_along_axis(x.reshape(3, -1), idx.data.reshape(3, -1), 1).reshape(3, 3, 3),
                                  out.data)
    signal = np.array([[[1.0, 3.0, 2.0, 5.0, 4.0]]])
    out, idx = F.max_pool1d(tg.tensor(signal), 2, ceil_mode=True, return_indices=True)
    assert out.tolist() == [[[3.0, 5.0, 4.0]]] and idx.tolist() == [[[1, 3, 4]]]
    out, idx = nn.MaxPool2d(2, return_indices=True)(tg.tensor(x[None]))
    assert idx.shape == (1, 3, 2, 2)
    assert isinstance(nn.MaxPool2d(2)(tg.tensor(x[None])), tg.Tensor)
    assert nn.MaxPool2d(2, 2, 0, 1, False, True).ceil_mode  # PyTorch's positional order: return_indices, ceil_mode


def unpool_ref(x, idx, out_shape):
    out = np.zeros(x.shape[:-2] + out_shape)
    flat, written = out.reshape(-1, out_shape[0] * out_shape[1]), set()
    for plane, (values, where) in enumerate(zip(x.reshape(len(flat), -1), idx.reshape(len(flat), -1))):
        for v, i in zip(values, where):
            if (plane, i) not in written:  # repeated indices: the first value stays
                flat[plane, i] = v
                written.add((plane, i))
    return flat.reshape(out.shape)


def test_max_unpool2d_puts_values_back_where_the_indices_say():
    even = RNG.standard_normal((2, 3, 6, 4))
    pooled, idx = F.max_pool2d(tg.tensor(even), 2, return_indices=True)
    out = F.max_unpool2d(pooled, idx, 2)
    assert out.shape == (2, 3, 6, 4)  # (3 - 1) * 2 + 2 and (2 - 1) * 2 + 2
    np.testing.assert_array_equal(out.data, unpool_ref(pooled.data, idx.data, (6, 4)))
    x = RNG.standard_normal((2, 3, 6, 5))
    x[..., 5, 0] = 10.0  # a maximum at index 5 * 5 + 0 = 25, outside a (6, 4) plane
    pooled, idx = F.max_pool2d(tg.tensor(x), 2, return_indices=True)
    with pytest.raises(IndexError, match="invalid max index"):  # indices into (6, 5) planes: give the size
        F.max_unpool2d(pooled, idx, 2)
    full = F.max_unpool2d(pooled, idx, 2, output_size=(6, 5))
    np.testing.assert_array_equal(full.data, unpool_ref(pooled.data, idx.data, (6, 5)))
    np.testing.assert_array_equal(F.max_unpool2d(pooled, idx, 2, output_size=(2, 3, 6, 5)).data, full.data)
    kept = full.data != 0  # every maximum is back in its place
    np.testing.assert_array_equal(full.data[kept], x[kept])
    np.testing.assert_array_equal(nn.MaxUnpool2d(2)(pooled, idx, output_size=(6, 5)).data, full.data)
    assert F.max_unpool2d(pooled[0], idx[0], 2, output_size=(6, 5)).shape == (3, 6, 5)


def test_max_unpool_repeated_indices_first_value_wins_and_gets_the_gradient():
    values = tg.Tensor(np.array([[[[1.0, 2.0, 3.0]]]]), requires_grad=True)
    idx = np.array([[[[0, 0, 2]]]])
    out = F.max_unpool2d(values, idx, (1, 2), stride=1, output_size=(1, 4))
    assert out.tolist() == [[[[1.0, 0.0, 3.0, 0.0]]]]
    out.backward(np.array([[[[5.0, 6.0, 7.0, 8.0]]]]))
    assert values.grad.tolist() == [[[[5.0, 0.0, 7.0]]]]  # the derivative of the output


def test_max_unpool_gradients_1d_and_errors():
    pooled, idx = F.max_pool2d(tg.randn(2, 2, 4, 4).double(), 2, return_indices=True)
    p = tg.Tensor(pooled.data, requires_grad=True)
    assert gradcheck(lambda a: F.max_unpool2d(a, idx, 2), (p,))
    assert gradgradcheck(lambda a: F.max_unpool2d(a, idx, 2), (p,))
    out = F.max_unpool1d(tg.tensor([[[3.0, 5.0]]]), np.array([[[1, 3]]]), 2)
    assert out.tolist() == [[[0.0, 3.0, 0.0, 5.0]]]
    assert nn.MaxUnpool1d(2)(tg.tensor([[[3.0, 5.0]]]), np.array([[[1, 3]]])).tolist() == out.tolist()
    with pytest.raises(IndexError, match="invalid max index"):
        F.max_unpool2d(pooled, idx.data + 100, 2)
    with pytest.raises(TypeError, match="int64"):
        F.max_unpool2d(pooled, idx.data.astype(np.float64), 2)
    with pytest.raises(ValueError, match="input's shape"):
        F.max_unpool2d(pooled, idx.data[..., :1], 2)
    with pytest.raises(ValueError, match="between 2 and 6"):
        F.max_unpool2d(pooled, idx, 2, output_size=(6, 6))


# ----------------------------------------------------------------------------- interpolate
def nearest_exact_rational(n_in, n_out):
    """floor(dst * n_in / n_out), exactly."""
    return np.array([d * n_in // n_out for d in range(n_out)])


@pytest.mark.parametrize("n_in, n_out", [(4, 8), (4, 12), (6, 3), (5, 7), (7, 3), (13, 8), (3, 10)])
def test_interpolate_nearest_picks_floor_of_dst_times_scale(n_in, n_out):
    x = RNG.standard_normal((1, 2, n_in, n_in + 1))
    out = F.interpolate(tg.tensor(x), size=(n_out, n_in + 1))
    np.testing.assert_array_equal(out.data, x[:, :, nearest_exact_rational(n_in, n_out)])
    signal = x[:, :, 0]
    np.testing.assert_array_equal(F.interpolate(tg.tensor(signal), size=n_out).data,
                                  signal[..., nearest_exact_rational(n_in + 1, n_out)])


def test_interpolate_nearest_scale_factor_and_pytorchs_float32_scale():
    x = RNG.standard_normal((2, 1, 3, 4))
    np.testing.assert_array_equal(F.interpolate(tg.tensor(x), scale_factor=2).data,
                                  x.repeat(2, axis=2).repeat(2, axis=3))
    out = F.interpolate(tg.tensor(x), scale_factor=(1.5, 0.5))  # floor(3 * 1.5) = 4 rows, 2 columns
    np.testing.assert_array_equal(out.data, x[:, :, [0, 0, 1, 2]][..., [0, 2]])
    # 6 -> 74: position 37 maps to exactly 3.0, but PyTorch's float32 scale (6/74 rounded down) gives 2
    six = tg.tensor(np.arange(6.0).reshape(1, 1, 1, 6))
    assert F.interpolate(six, size=(1, 74)).data[0, 0, 0, 37] == 2.0
    np.testing.assert_array_equal(F.interpolate(six, scale_factor=(1, 0.5)).data, [[[[0.0, 2.0, 4.0]]]])


def nearest_exact_ref(n_in, n_out):
    return np.minimum(np.array([math.floor((d + 0.5) * n_in / n_out) for d in range(n_out)]), n_in - 1)


def test_interpolate_nearest_exact():
    x = RNG.standard_normal((1, 1, 5, 7))
    out = F.interpolate(tg.tensor(x), size=(3, 9), mode="nearest-exact")
    np.testing.assert_array_equal(out.data, x[:, :, nearest_exact_ref(5, 3)][..., nearest_exact_ref(7, 9)])


def bilinear_ref(x, out_h, out_w, align_corners, scale=None):
    """PyTorch's bilinear: every output pixel from its four neighbours (not separably)."""
    n, c, h, w = x.shape

    def source(dst, n_in, n_out, sf):
        if align_corners:
            return dst * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return max((dst + 0.5) * (1 / sf if sf else n_in / n_out) - 0.5, 0.0)

    out = np.zeros((n, c, out_h, out_w))
    for i, j in itertools.product(range(out_h), range(out_w)):
        y, z = source(i, h, out_h, scale and scale[0]), source(j, w, out_w, scale and scale[1])
        y0, z0 = min(int(y), h - 1), min(int(z), w - 1)
        y1, z1 = min(y0 + 1, h - 1), min(z0 + 1, w - 1)
        ly, lz = y - y0, z - z0
        out[:, :, i, j] = ((1 - ly) * ((1 - lz) * x[:, :, y0, z0] + lz * x[:, :, y0, z1])
                           + ly * ((1 - lz) * x[:, :, y1, z0] + lz * x[:, :, y1, z1]))
    return out


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(7, 9), (2, 3), (1, 1), (5, 6)])
def test_interpolate_bilinear_matches_the_reference(size, align_corners):
    x = RNG.standard_normal((2, 3, 5, 6))
    out = F.interpolate(tg.tensor(x), size=size, mode="bilinear", align_corners=align_corners)
    np.testing.assert_allclose(out.data, bilinear_ref(x, *size, align_corners), rtol=1e-12, atol=1e-14)


def test_interpolate_bilinear_scale_factor_and_corners():
    x = np.array([[[[1.0, 2.0], [4.0, 5.0]]]])
    np.testing.assert_allclose(F.interpolate(tg.tensor(x), scale_factor=2, mode="bilinear").data,
                               [[[[1.0, 1.25, 1.75, 2.0], [1.75, 2.0, 2.5, 2.75], [3.25, 3.5, 4.0, 4.25],
                                  [4.0, 4.25, 4.75, 5.0]]]])
    aligned = F.interpolate(tg.tensor(x), scale_factor=2, mode="bilinear", align_corners=True)
    np.testing.assert_allclose(aligned.data[0, 0, 0], [1.0, 4 / 3, 5 / 3, 2.0])  # the corners are kept
    y = RNG.standard_normal((1, 2, 4, 5))
    # with scale_factor the sampling step is 1 / scale_factor, unless recompute_scale_factor
    np.testing.assert_allclose(F.interpolate(tg.tensor(y), scale_factor=(1.3, 0.7), mode="bilinear").data,
                               bilinear_ref(y, 5, 3, False, scale=(1.3, 0.7)), rtol=1e-12)
    np.testing.assert_allclose(F.interpolate(tg.tensor(y), scale_factor=(1.3, 0.7), mode="bilinear",
                                             recompute_scale_factor=True).data, bilinear_ref(y, 5, 3, False),
                               rtol=1e-12)


def test_interpolate_linear_and_trilinear_are_separable_bilinear():
    x = RNG.standard_normal((2, 3, 5, 6))
    rows = F.interpolate(tg.tensor(x.transpose(0, 1, 3, 2).reshape(2, 18, 5)), size=8, mode="linear")
    np.testing.assert_allclose(rows.data.reshape(2, 3, 6, 8).transpose(0, 1, 3, 2),
                               bilinear_ref(x, 8, 6, False), rtol=1e-12)
    v = RNG.standard_normal((1, 2, 3, 4, 5))
    out = F.interpolate(tg.tensor(v), size=(3, 7, 2), mode="trilinear", align_corners=True)
    ref = np.stack([bilinear_ref(v[:, :, d], 7, 2, True) for d in range(3)], axis=2)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12)


def test_interpolate_dtypes_gradients_and_upsample():
    x = RNG.standard_normal((1, 2, 3, 4)).astype(np.float32)
    assert F.interpolate(tg.tensor(x), scale_factor=2, mode="bilinear").dtype == np.float32
    assert F.interpolate(tg.zeros(0, 2, 3, 4), size=(5, 5)).shape == (0, 2, 5, 5)
    t = t64(1, 2, 3, 4)
    for kwargs in ({"size": (5, 3), "mode": "bilinear"}, {"scale_factor": 1.7, "mode": "bilinear",
                   "align_corners": True}, {"size": (7, 2)}):
        assert gradcheck(lambda a, kw=kwargs: F.interpolate(a, **kw), (t,))
        assert gradgradcheck(lambda a, kw=kwargs: F.interpolate(a, **kw), (t,))
    up = nn.Upsample(scale_factor=2, mode="bilinear")
    np.testing.assert_array_equal(up(tg.tensor(x)).data, F.interpolate(tg.tensor(x), scale_factor=2,
                                                                       mode="bilinear").data)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='bilinear')"
    assert repr(nn.Upsample(size=(3, 4))) == "Upsample(size=(3, 4), mode='nearest')"
    np.testing.assert_array_equal(nn.UpsamplingBilinear2d(scale_factor=2)(tg.tensor(x)).data,
                                  F.interpolate(tg.tensor(x), scale_factor=2, mode="bilinear", align_corners=True).data)
    np.testing.assert_array_equal(nn.UpsamplingNearest2d(size=5)(tg.tensor(x)).data,
                                  F.interpolate(tg.tensor(x), size=5).data)


def test_interpolate_errors():
    x = tg.randn(1, 2, 3, 4)
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="not both"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, size=4, align_corners=True)
    with pytest.raises(NotImplementedError, match="bilinear mode needs 4-D"):
        F.interpolate(tg.randn(1, 2, 3), size=4, mode="bilinear")
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, size=4, mode="bicubic")
    with pytest.raises(ValueError, match="unknown mode"):
        F.interpolate(x, size=4, mode="cubic")
    with pytest.raises(ValueError, match="one entry per spatial dimension"):
        F.interpolate(x, size=(2, 3, 4))
    with pytest.raises(ValueError, match="positive"):
        F.interpolate(x, scale_factor=0.2)
    with pytest.raises(ValueError, match="3-D, 4-D or 5-D"):
        F.interpolate(tg.randn(3, 4), size=2)


# ----------------------------------------------------------------------------- pixel shuffle
def test_pixel_shuffle_moves_channel_blocks_into_pixels():
    r, x = 2, RNG.standard_normal((2, 3 * 4, 3, 5))
    out = F.pixel_shuffle(tg.tensor(x), r)
    ref = np.zeros((2, 3, 6, 10))
    for c, h, w, i, j in itertools.product(range(3), range(3), range(5), range(r), range(r)):
        ref[:, c, h * r + i, w * r + j] = x[:, c * r * r + i * r + j, h, w]
    np.testing.assert_array_equal(out.data, ref)
    np.testing.assert_array_equal(F.pixel_unshuffle(out, r).data, x)
    np.testing.assert_array_equal(nn.PixelShuffle(r)(tg.tensor(x)).data, ref)
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(out).data, x)
    assert F.pixel_shuffle(tg.tensor(x[0]), 2).shape == (3, 6, 10)  # any number of leading axes
    assert F.pixel_shuffle(tg.zeros(4, 0, 2, 9, 3, 5), 3).shape == (4, 0, 2, 1, 9, 15)
    assert F.pixel_shuffle(tg.tensor(np.arange(4).reshape(1, 4, 1, 1)), 2).dtype == np.int64
    t = t64(1, 8, 2, 3)
    assert gradcheck(lambda a: F.pixel_shuffle(a, 2), (t,))
    assert gradcheck(lambda a: F.pixel_unshuffle(a, 2), (t64(1, 2, 4, 6),))


def test_pixel_shuffle_errors():
    with pytest.raises(ValueError, match="divisible by upscale_factor"):
        F.pixel_shuffle(tg.randn(1, 8, 2, 2), 3)
    with pytest.raises(ValueError, match="at least 3"):
        F.pixel_shuffle(tg.randn(4, 2), 2)
    with pytest.raises(ValueError, match="positive"):
        F.pixel_shuffle(tg.randn(1, 4, 2, 2), 0)
    with pytest.raises(ValueError, match="divisible by downscale_factor"):
        F.pixel_unshuffle(tg.randn(1, 2, 5, 6), 2)


# ----------------------------------------------------------------------------- unfold / fold
def unfold_ref(x, k, d, p, s):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c * k[0] * k[1], oh * ow))
    for ch, i, j, a, b in itertools.product(range(c), range(k[0]), range(k[1]), range(oh), range(ow)):
        out[:, (ch * k[0] + i) * k[1] + j, a * ow + b] = xp[:, ch, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    return out


UNFOLD_CASES = [((2, 2), (1, 1), (0, 0), (1, 1)), ((2, 3), (1, 1), (1, 1), (2, 1)), ((3, 2), (2, 1), (2, 0), (1, 2)),
                ((2, 2), (1, 1), (3, 3), (2, 2))]


@pytest.mark.parametrize("k, d, p, s", UNFOLD_CASES)
def test_unfold_matches_the_reference_and_fold_is_its_transpose(k, d, p, s):
    x = RNG.standard_normal((2, 3, 5, 6))
    cols = F.unfold(tg.tensor(x), k, d, p, s)
    np.testing.assert_array_equal(cols.data, unfold_ref(x, k, d, p, s))
    y = RNG.standard_normal(cols.shape)
    back = F.fold(tg.tensor(y), (5, 6), k, d, p, s)
    assert back.shape == x.shape
    np.testing.assert_allclose((cols.data * y).sum(), (x * back.data).sum(), rtol=1e-12)  # <unfold x, y> = <x, fold y>
    ones = F.fold(F.unfold(tg.ones(1, 1, 5, 6), k, d, p, s), (5, 6), k, d, p, s)
    counts = unfold_ref(np.ones((1, 1, 5, 6)), k, d, p, s).sum(axis=(0, 2))  # fold(unfold(1)) counts the windows
    assert ones.data.sum() == counts.sum()


def test_unfold_fold_unbatched_modules_dtypes_and_gradients():
    x = RNG.standard_normal((3, 4, 4))
    np.testing.assert_array_equal(F.unfold(tg.tensor(x), 2).data, unfold_ref(x[None], (2, 2), (1, 1), (0, 0),
                                                                              (1, 1))[0])
    assert F.fold(tg.randn(12, 9), (4, 4), 2).shape == (3, 4, 4)
    assert F.unfold(tg.tensor(x.astype(np.float32)), 2).dtype == np.float32
    np.testing.assert_array_equal(nn.Unfold(2, padding=1)(tg.tensor(x)).data, F.unfold(tg.tensor(x), 2, padding=1).data)
    cols = tg.randn(12, 9)
    np.testing.assert_array_equal(nn.Fold((4, 4), 2)(cols).data, F.fold(cols, (4, 4), 2).data)
    assert repr(nn.Fold(4, 2)) == "Fold(output_size=4, kernel_size=2, dilation=1, padding=0, stride=1)"
    assert not isinstance(nn.Fold(4, 2), nn.Unfold)
    t = t64(1, 2, 4, 5)
    assert gradcheck(lambda a: F.unfold(a, (2, 3), padding=1, stride=2), (t,))
    assert gradgradcheck(lambda a: F.unfold(a, 2, dilation=2), (t,))
    c = t64(1, 8, 6)
    assert gradcheck(lambda a: F.fold(a, (3, 4), 2), (c,))
    assert gradgradcheck(lambda a: F.fold(a, (3, 4), 2), (c,))


def test_unfold_fold_errors():
    with pytest.raises(ValueError, match="smaller than the kernel"):
        F.unfold(tg.randn(1, 2, 4, 5), 6)
    with pytest.raises(ValueError, match="non-negative"):
        F.unfold(tg.randn(1, 2, 4, 5), 2, padding=-1)
    with pytest.raises(ValueError, match="positive"):
        F.unfold(tg.randn(1, 2, 4, 5), 0)
    with pytest.raises(ValueError, match="3-D.*4-D"):
        F.unfold(tg.randn(4, 5), 2)
    with pytest.raises(ValueError, match="windows, but the input has 15 columns"):
        F.fold(tg.randn(1, 8, 15), (4, 5), 2)
    with pytest.raises(ValueError, match="divisible"):
        F.fold(tg.randn(1, 7, 12), (4, 5), 2)
    with pytest.raises(ValueError, match="2-D.*3-D"):
        F.fold(tg.randn(1, 1, 8, 12), (4, 5), 2)
