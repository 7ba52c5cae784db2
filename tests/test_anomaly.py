"""Anomaly mode (tinygrad_np.autograd.detect_anomaly / set_detect_anomaly), as in PyTorch: it finds
the op that made a NaN or an infinity and the user's line that called it; off, it does nothing."""

import sys

import numpy as np
import pytest
from faulty_ops import BuggyRule

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import autograd, nn, optim
from tinygrad_np.autograd import anomaly, engine

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's divide-by-zero warnings


@pytest.fixture(autouse=True)
def anomaly_off_after():
    assert not autograd.is_anomaly_enabled(), "a previous test left anomaly mode on"
    yield
    autograd.set_detect_anomaly(False)


def x64(*values, requires_grad=True):
    return tg.tensor(list(values), dtype="float64", requires_grad=requires_grad)


# ----------------------------------------------------------------------------- switching
def test_off_by_default_and_the_module_surface():
    assert autograd.is_anomaly_enabled() is False and engine._anomaly_mode is False
    assert tg.autograd.detect_anomaly is anomaly.detect_anomaly
    for name in ("detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
                 "grad", "backward", "Function", "functional"):
        assert name in autograd.__all__ and hasattr(tg.autograd, name)


def test_detect_anomaly_is_a_nestable_context_manager():
    with autograd.detect_anomaly():
        assert autograd.is_anomaly_enabled() and autograd.is_anomaly_check_nan_enabled()
        with autograd.detect_anomaly(check_nan=False):
            assert autograd.is_anomaly_enabled() and not autograd.is_anomaly_check_nan_enabled()
        assert autograd.is_anomaly_check_nan_enabled()
        with autograd.set_detect_anomaly(False):
            assert not autograd.is_anomaly_enabled()
        assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()


def test_the_mode_comes_back_after_an_error():
    with pytest.raises(KeyError), autograd.detect_anomaly():
        raise KeyError("x")
    assert not autograd.is_anomaly_enabled()


def test_decorators_with_and_without_parentheses():
    @autograd.detect_anomaly
    def bare():
        return autograd.is_anomaly_enabled(), autograd.is_anomaly_check_nan_enabled()

    @autograd.detect_anomaly(check_nan=False)
    def called():
        return autograd.is_anomaly_enabled(), autograd.is_anomaly_check_nan_enabled()

    assert not autograd.is_anomaly_enabled()  # decorating switches nothing on
    assert bare() == (True, True) and called() == (True, False)
    assert not autograd.is_anomaly_enabled()


def test_set_detect_anomaly_as_a_plain_call_and_as_a_decorator():
    autograd.set_detect_anomaly(True)
    assert autograd.is_anomaly_enabled()
    autograd.set_detect_anomaly(False)
    assert not autograd.is_anomaly_enabled()

    @autograd.set_detect_anomaly(True)
    def on():
        return autograd.is_anomaly_enabled()

    assert not autograd.is_anomaly_enabled()  # decorating must not leave the mode switched
    assert on() and not autograd.is_anomaly_enabled()


def test_off_the_engine_calls_no_hook(monkeypatch):
    """Free when off: neither record nor backward touches anomaly mode's code."""
    def boom(*args):
        raise AssertionError("an anomaly hook ran while anomaly mode was off")

    monkeypatch.setattr(engine, "_anomaly_recorded", boom)
    monkeypatch.setattr(engine, "_anomaly_observe", boom)
    x = x64(0.0, 1.0)
    y = x.log().sum()  # -inf: no check
    y.backward()
    assert np.isinf(x.grad.data[0])
    assert not hasattr(y.grad_fn, "_anomaly_frames")


# ----------------------------------------------------------------------------- forward: check_nan
def test_log_of_zero_is_caught_at_the_log_naming_the_users_line():
    x = x64(1.0, 0.0, 2.0)
    with pytest.raises(RuntimeError) as info, autograd.detect_anomaly():
        y = x.log()  # the line the error must show
    message = str(info.value)
    assert "Function 'Log' returned inf values in its output" in message
    assert "first at index (1,)" in message
    assert __file__ in message and "y = x.log()  # the line the error must show" in message
    assert "test_log_of_zero_is_caught_at_the_log_naming_the_users_line" in message
    assert "tinygrad_np/" not in message.replace("tinygrad_np/autograd", "")  # no library frame is shown
    assert "y" not in locals()


def test_zero_over_zero_names_nan_and_the_op():
    a, b = x64(0.0), x64(0.0)
    with pytest.raises(RuntimeError, match=r"Function 'Div' returned nan values"), autograd.detect_anomaly():
        a / b


def test_no_error_when_an_input_already_held_nan_or_inf():
    x = x64(np.nan, 1.0)
    with autograd.detect_anomaly():
        y = x.exp()  # NaN in, NaN out: not this op's doing
        z = (y * 2).sqrt()  # through a recorded node: its result was flagged as not finite
        w = x64(1.0, 2.0) + float("inf")  # an infinite constant
        m = tg.where(x64(1.0, -1.0) > 0, x64(1.0, 2.0), tg.tensor([-np.inf, -np.inf], dtype="float64"))
    assert np.isnan(z.data[0]) and np.isinf(w.data).all() and np.isinf(m.data[1])


def test_check_nan_false_records_where_but_checks_nothing():
    x = x64(0.0)
    with autograd.detect_anomaly(check_nan=False):
        y = x.log()
    assert np.isinf(y.data[0])
    where = anomaly.creation_traceback(y.grad_fn)
    assert "y = x.log()" in where and __file__ in where


def test_creation_traceback_is_none_for_ops_recorded_while_off():
    y = x64(1.0).exp()
    assert anomaly.creation_traceback(y.grad_fn) is None


def test_overflow_of_exp_is_caught():
    x = tg.tensor([100.0], requires_grad=True)  # float32: exp(100) overflows
    with pytest.raises(RuntimeError, match=r"(?s)Function 'Exp' returned inf.*float32 ends at 3\.4e\+38"), \
            autograd.detect_anomaly():
        x.exp()


# ----------------------------------------------------------------------------- backward
def test_a_nan_gradient_names_the_op_the_input_and_the_line():
    x = x64(0.0, 4.0)
    with pytest.raises(RuntimeError) as info, autograd.detect_anomaly():
        y = x.sqrt()  # sqrt is finite at 0, its derivative is not
        (y * 3).sum().backward()
    message = str(info.value)
    assert "Function 'Sqrt' returned inf values in its 0th output: the gradient for its input 0" in message
    assert "y = x.sqrt()  # sqrt is finite at 0, its derivative is not" in message
    assert "The gradient Sqrt received was finite" in message
    assert x.grad is None  # stopped before the gradient reached the leaf


def test_without_anomaly_mode_the_same_backward_silently_gives_inf():
    """The negative control: the check above is what catches it."""
    x = x64(0.0, 4.0)
    (x.sqrt() * 3).sum().backward()
    assert np.isinf(x.grad.data[0])


def test_which_input_the_bad_gradient_was_for():
    a = tg.tensor([1e-20], requires_grad=True)
    b = tg.tensor([1e-30], requires_grad=True)  # a / b is finite in float32; d/db = -a/b² overflows
    with pytest.raises(RuntimeError, match=r"'Div' returned inf values in its 1st output: the gradient for its "
                                           r"input 1"), autograd.detect_anomaly():
        (a / b).sum().backward()


def test_the_first_bad_rule_is_blamed_not_those_after_it():
    x = x64(1.0)
    with pytest.raises(RuntimeError) as info, autograd.detect_anomaly():
        y = (x - 1).sqrt().exp().sum()
        y.backward()
    assert "Function 'Sqrt'" in str(info.value)


def test_a_nan_gradient_given_to_backward_is_named_as_such():
    x = x64(1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"received already held NaN or Inf \(the gradient given to backward"), \
            autograd.detect_anomaly():
        (x * 2).backward(gradient=np.array([np.nan, 1.0]))


def test_an_op_recorded_before_the_mode_was_on_is_still_named():
    x = x64(0.0)
    y = x.sqrt().sum()
    with pytest.raises(RuntimeError, match=r"(?s)'Sqrt' returned inf.*recorded before anomaly mode was turned on"), \
            autograd.detect_anomaly():
        y.backward()


def test_set_detect_anomaly_true_catches_too():
    x = x64(0.0)
    autograd.set_detect_anomaly(True)
    with pytest.raises(RuntimeError, match="Function 'Log'"):
        x.log()


def test_gradients_of_inputs_that_need_none_are_not_checked():
    c = tg.tensor([0.0], dtype="float64")  # a constant: Mul's rule may return anything for it
    w = x64(1.0)
    with autograd.detect_anomaly():
        (w * c).sum().backward(gradient=np.array(1.0))
    assert w.grad.data.tolist() == [0.0]


def test_double_backward_is_checked_too():
    x = x64(0.0, 1.0)
    with pytest.raises(RuntimeError, match="returned inf"), autograd.detect_anomaly():
        (g,) = tg.grad((x ** 1.5).sum(), x, create_graph=True)  # 1.5 sqrt(x): finite
        g.sum().backward()  # 0.75 / sqrt(x): infinite at 0


# ----------------------------------------------------------------------------- errors from rules get a note
@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+ (3.10 prints them)")
def test_an_error_from_a_rule_gets_a_note_naming_the_op_and_the_line():
    x = x64(1.0)
    with pytest.raises(ValueError, match="a bug in this rule") as info, autograd.detect_anomaly():
        y = BuggyRule.apply(x)  # where the failing op was called
        y.sum().backward()
    note = "\n".join(info.value.__notes__)
    assert "raised in backward by the rule of BuggyRule" in note
    assert "y = BuggyRule.apply(x)  # where the failing op was called" in note


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
def test_an_in_place_error_gets_a_note_naming_where_the_op_was_called():
    w = x64(1.0, 2.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation") as info, autograd.detect_anomaly():
        y = (w * w).sum()  # Mul saves w
        with tg.no_grad():
            w.add_(1)
        y.backward()
    assert "y = (w * w).sum()  # Mul saves w" in "\n".join(info.value.__notes__)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
def test_errors_outside_backward_get_no_note():
    with pytest.raises(KeyError) as info, autograd.detect_anomaly():
        {}["x"]
    assert not getattr(info.value, "__notes__", None)


# ----------------------------------------------------------------------------- no false alarms
def test_training_with_everything_on_raises_nothing():
    """Layers that use -inf or NaN on purpose (masks, max pooling with padding, padded embeddings) and a
    few optimizer steps, all under anomaly mode: no false alarm."""
    tg.manual_seed(0)
    attn = nn.MultiheadAttention(8, 2, batch_first=True)
    conv = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2, padding=1))
    emb = nn.Embedding(10, 8, padding_idx=0, max_norm=1.0)
    lstm = nn.LSTM(8, 4, batch_first=True)
    params = [*attn.parameters(), *conv.parameters(), *emb.parameters(), *lstm.parameters()]
    opt = optim.Adam(params, lr=1e-2)
    tokens = tg.tensor([[1, 2, 0, 0], [3, 4, 5, 0]])
    mask = tokens == 0
    with autograd.detect_anomaly():
        for _ in range(3):
            h = emb(tokens)
            a, _ = attn(h, h, h, key_padding_mask=mask)
            out, _ = lstm(a)
            logits = out.reshape(-1, 4)
            loss = F.cross_entropy(logits, tg.tensor([0, 1, 2, 3, 0, 1, 2, 3]))
            loss = loss + conv(tg.randn(2, 1, 6, 6)).logsumexp(dim=1).mean()
            loss = loss + F.log_softmax(tg.tensor([[0.0, -np.inf]]), dim=1)[:, 0].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert np.isfinite(loss.item())


def test_explain_and_anomaly_mode_both_see_the_rules():
    x = x64(1.0, 4.0)
    with autograd.detect_anomaly():
        steps = tg.explain((x * x).sum(), inputs=[x]).steps  # explain's observer still runs
    assert [s.op for s in steps][-1] == "Mul"
    z = x64(0.0, 4.0)
    with pytest.raises(RuntimeError, match=r"Function 'Sqrt' returned inf"), autograd.detect_anomaly():
        tg.explain(z.sqrt().sum(), inputs=[z])  # and anomaly mode's check runs beside it
