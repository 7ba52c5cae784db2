"""RNN, LSTM and GRU: PyTorch's parameter names and equations (checked against NumPy written out
step by step), gradients (gradcheck through time), states, layouts and a small training run."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np import optim
from tinygrad_np.testing import gradcheck


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def reference(kind, params, x, h0, c0, nonlinearity="tanh", directions=1):
    """The layers written out in NumPy: x (seq, batch, features); h0/c0 (layers * directions, batch,
    hidden; h0 has the projection's size when there is a weight_hr). A reverse direction reads the
    sequence backwards; the directions' outputs are concatenated."""
    hs, cs = [], []
    for k in range(h0.shape[0] // directions):
        outs = []
        for d in range(directions):
            out, h, c = direction(kind, params, f"l{k}" + ("_reverse" if d else ""), x[::-1] if d else x,
                                  h0[k * directions + d], c0[k * directions + d], nonlinearity)
            outs.append(out[::-1] if d else out)
            hs.append(h)
            cs.append(c)
        x = np.concatenate(outs, axis=-1)
    return x, np.stack(hs), np.stack(cs)


def direction(kind, params, name, x, h, c, nonlinearity):
    w_ih, w_hh = params[f"weight_ih_{name}"], params[f"weight_hh_{name}"]
    b_ih, b_hh = params.get(f"bias_ih_{name}", 0.0), params.get(f"bias_hh_{name}", 0.0)
    out = []
    for x_t in x:
        gi, gh = x_t @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        if kind == "RNN":
            h = np.tanh(gi + gh) if nonlinearity == "tanh" else np.maximum(gi + gh, 0)
        elif kind == "LSTM":
            i, f, g, o = np.split(gi + gh, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            if f"weight_hr_{name}" in params:
                h = h @ params[f"weight_hr_{name}"].T
        else:
            (r_x, z_x, n_x), (r_h, z_h, n_h) = np.split(gi, 3, axis=-1), np.split(gh, 3, axis=-1)
            r, z = sigmoid(r_x + r_h), sigmoid(z_x + z_h)
            n = np.tanh(n_x + r * n_h)
            h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out), h, c


CASES = [(kind, options) for kind in ("RNN", "LSTM", "GRU")
         for options in ({}, {"num_layers": 2}, {"bias": False}, {"batch_first": True},
                         {"num_layers": 2, "bidirectional": True})]
CASES += [("RNN", {"nonlinearity": "relu"}), ("LSTM", {"proj_size": 3}),
          ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True, "batch_first": True})]


@pytest.mark.parametrize("kind, options", CASES)
def test_matches_the_equations_written_out(kind, options):
    tg.manual_seed(0)
    layer = getattr(nn, kind)(3, 4, **options).double()
    directions = 2 if options.get("bidirectional") else 1
    layers, rows = options.get("num_layers", 1), {"RNN": 1, "LSTM": 4, "GRU": 3}[kind] * 4
    out = options.get("proj_size") or 4  # the size of h
    kinds = [("weight", "ih"), ("weight", "hh")]
    if options.get("bias", True):
        kinds += [("bias", "ih"), ("bias", "hh")]
    if options.get("proj_size"):
        kinds += [("weight", "hr")]
    expected_names = [f"{w}_{part}_l{k}{suffix}" for k in range(layers) for suffix in ("", "_reverse")[:directions]
                      for w, part in kinds]
    assert list(layer.state_dict()) == expected_names  # PyTorch's names and order, so its state dicts load
    assert layer.weight_ih_l0.shape == (rows, 3) and layer.weight_hh_l0.shape == (rows, out)
    if options.get("proj_size"):
        assert layer.weight_hr_l0.shape == (out, 4)
    if layers > 1:
        assert layer.weight_ih_l1.shape == (rows, out * directions)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 2, 3))
    h0, c0 = rng.standard_normal((layers * directions, 2, out)), rng.standard_normal((layers * directions, 2, 4))
    state = (tg.Tensor(h0), tg.Tensor(c0)) if kind == "LSTM" else tg.Tensor(h0)
    given = x.transpose(1, 0, 2) if options.get("batch_first") else x
    output, final = layer(tg.Tensor(given), state)
    params = {k: v for k, v in layer.state_dict().items()}
    ref_out, ref_h, ref_c = reference(kind, params, x, h0, c0, options.get("nonlinearity", "tanh"), directions)
    if options.get("batch_first"):
        ref_out = ref_out.transpose(1, 0, 2)
    assert output.shape[-1] == out * directions
    np.testing.assert_allclose(output.data, ref_out, rtol=1e-12, atol=1e-12)
    h_n = final[0] if kind == "LSTM" else final
    np.testing.assert_allclose(h_n.data, ref_h, rtol=1e-12, atol=1e-12)
    if kind == "LSTM":
        np.testing.assert_allclose(final[1].data, ref_c, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind, options", [("RNN", {}), ("LSTM", {}), ("GRU", {"bidirectional": True}),
                                           ("LSTM", {"proj_size": 2, "bidirectional": True})])
def test_gradients_through_time(kind, options):
    tg.manual_seed(0)
    layer = getattr(nn, kind)(2, 3, num_layers=2, **options).double()
    x = tg.Tensor(np.random.default_rng(2).standard_normal((4, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x: layer(x)[0], (x,))  # backward through time, w.r.t. the input
    out = layer(x)[0]
    out.sum().backward()
    for name, p in layer.named_parameters():  # and every parameter's gradient, by finite differences
        eps, i = 1e-6, (0,) * p.ndim
        saved = p.data[i]
        p.data[i] = saved + eps
        up = layer(x)[0].data.sum()
        p.data[i] = saved - eps
        down = layer(x)[0].data.sum()
        p.data[i] = saved
        assert p.grad.data[i] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8), name


def test_unbatched_input_default_state_and_errors():
    tg.manual_seed(0)
    lstm = nn.LSTM(3, 4)
    out, (h, c) = lstm(tg.randn(6, 3))
    assert out.shape == (6, 4) and h.shape == (1, 4) and c.shape == (1, 4)
    out2, _ = lstm(tg.randn(6, 3).unsqueeze(1), (tg.zeros(1, 1, 4), tg.zeros(1, 1, 4)))
    assert out2.shape == (6, 1, 4)
    assert "LSTM(3, 4, num_layers=2, batch_first=True)" == repr(nn.LSTM(3, 4, num_layers=2, batch_first=True))
    with pytest.raises(ValueError, match="initial state"):
        nn.GRU(3, 4)(tg.randn(5, 2, 3), tg.zeros(2, 2, 4))
    with pytest.raises(ValueError, match="expected input"):
        nn.RNN(3, 4)(tg.randn(5, 2, 2))
    out, (h, c) = nn.LSTM(3, 4, num_layers=2, bidirectional=True)(tg.randn(6, 2, 3))
    assert out.shape == (6, 2, 8) and h.shape == c.shape == (4, 2, 4)  # both directions' features; 2 states a layer
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")


def test_projection_sizes_and_errors():
    tg.manual_seed(0)
    lstm = nn.LSTM(3, 5, num_layers=2, proj_size=2)
    assert repr(lstm) == "LSTM(3, 5, num_layers=2, proj_size=2)"
    out, (h, c) = lstm(tg.randn(6, 4, 3))
    assert out.shape == (6, 4, 2) and h.shape == (2, 4, 2) and c.shape == (2, 4, 5)  # c keeps hidden_size
    out, (h, c) = lstm(tg.randn(6, 3))  # unbatched
    assert out.shape == (6, 2) and h.shape == (2, 2) and c.shape == (2, 5)
    with pytest.raises(ValueError, match=r"expected \(2, 4, 2\)"):  # h_0 has the projection's size
        lstm(tg.randn(6, 4, 3), (tg.zeros(2, 4, 5), tg.zeros(2, 4, 5)))
    with pytest.raises(ValueError, match="h_0, c_0"):
        lstm(tg.randn(6, 4, 3), tg.zeros(2, 4, 2))
    for bad in (5, 7, -1):
        with pytest.raises(ValueError, match="proj_size"):
            nn.LSTM(3, 5, proj_size=bad)
    with pytest.raises(ValueError, match="only supported by LSTM"):
        nn.GRU(3, 5, proj_size=2)


def test_lstm_learns_to_remember_the_first_element():
    # the target is the sequence's first value, read out after 6 steps: needs memory across time
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    lstm, head = nn.LSTM(1, 8, batch_first=True), nn.Linear(8, 1)
    opt = optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.05)
    x = rng.uniform(-1, 1, (64, 6, 1)).astype(np.float32)
    losses = []
    for _ in range(60):
        out, _ = lstm(tg.Tensor(x))
        loss = ((head(out[:, -1]) - tg.Tensor(x[:, 0])) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
