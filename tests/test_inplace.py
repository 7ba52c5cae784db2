"""In-place safety: every in-place change of a tensor's values is noted, and backward through an op
that saved those values before the change raises instead of returning a wrong gradient (PyTorch's
version counters). Covers Tensor methods, optimizers, gradient clipping, nn.init, load_state_dict,
Embedding(max_norm), BatchNorm's running statistics; views and detach() share the check; a
normal training loop never trips it."""

import gc
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest
from faulty_ops import BuggyRule

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn, optim
from tinygrad_np.nn import init

MODIFIED = "modified by an in-place operation"


def leaf(*values):
    return tg.tensor(list(values), dtype="float64", requires_grad=True)


def expect_stale(y, what, shape, op="Mul"):
    """backward() through ``y`` must refuse, naming the op, the changer and the array's shape."""
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert MODIFIED in message, message
    assert f"saved by {op}" in message and f"was changed by {what} after" in message, message
    assert f"shape {shape}" in message, message
    assert "in the graph" not in message
    return message


# ----------------------------------------------------------------------------- Tensor methods
IN_PLACE = {  # the user's spelling -> the change, on a tensor of shape (2,)
    "+=": lambda t: t.__iadd__(1.0),
    "-=": lambda t: t.__isub__(1.0),
    "*=": lambda t: t.__imul__(2.0),
    "/=": lambda t: t.__itruediv__(2.0),
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0, alpha=2),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "fill_": lambda t: t.fill_(3.0),
    "zero_": lambda t: t.zero_(),
    "copy_": lambda t: t.copy_(tg.tensor([5.0, 6.0])),
    "item assignment": lambda t: t.__setitem__(0, 9.0),
}


@pytest.mark.parametrize("what", IN_PLACE)
def test_each_in_place_method_is_caught_and_named(what):
    w = leaf(1.0, 2.0)
    y = (w * w).sum()
    with tg.no_grad():
        IN_PLACE[what](w)
    expect_stale(y, what, "(2,)")
    assert w.grad is None


@pytest.mark.parametrize("what", IN_PLACE)
def test_a_constant_changed_in_place_is_caught_too(what):
    """A tensor that needs no gradient but was saved by an op (Mul saves both operands)."""
    c = tg.tensor([1.0, 2.0], dtype="float64")
    w = leaf(3.0, 4.0)
    y = (w * c).sum()
    IN_PLACE[what](c)  # allowed: c is outside the graph
    message = expect_stale(y, what, "(2,)")
    assert "its input 1" in message


def test_the_method_the_user_called_is_named_not_its_operator():
    w = leaf(1.0, 2.0)
    y = (w * w).sum()
    with tg.no_grad():
        w.add_(1)
    assert "changed by add_ after" in expect_stale(y, "add_", "(2,)")


def test_a_fresh_leaf_is_not_called_in_the_graph():
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        x.add_(1)
    message = str(info.value)
    assert "in the graph" not in message and "add_" in message and "no_grad" in message
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_a_view_shares_the_check():
    base = tg.tensor([1.0, 2.0, 3.0, 4.0], dtype="float64", requires_grad=True)
    v = base[1:3]
    y = (v * v).sum()  # Mul saved a view of base's memory
    with tg.no_grad():
        base.mul_(2)
    expect_stale(y, "mul_", "(2,)")


def test_detach_shares_the_check():
    w = leaf(1.0, 2.0)
    y = (w * w).sum()
    w.detach().add_(1)  # the same memory, outside the graph
    expect_stale(y, "add_", "(2,)")


def test_a_change_to_a_view_of_a_detached_tensor_is_caught():
    w = leaf(1.0, 2.0, 3.0)
    y = (w.exp()).sum()  # Exp saves its output, not w
    z = (w + 2).sum()  # Add saves nothing...
    q = (w * w).sum()  # ...but Mul saves its operands
    w.detach()[1:].fill_(0.0)
    y.backward()
    z.backward()
    expect_stale(q, "fill_", "(3,)")


def test_a_change_before_the_op_is_fine():
    w = leaf(1.0, 2.0)
    with tg.no_grad():
        w.add_(1)
    y = (w * w).sum()
    y.backward()
    assert w.grad.tolist() == [4.0, 6.0]


def test_a_change_after_backward_without_retain_is_fine():
    w = leaf(1.0, 2.0)
    (w * w).sum().backward()
    with tg.no_grad():
        w.sub_(w.grad * 0.1)
    (w * w).sum().backward()  # a new graph
    np.testing.assert_allclose(w.grad.data, [2.0 + 1.6, 4.0 + 3.2])


def test_a_rule_that_saved_nothing_of_the_changed_tensor_still_runs():
    w = leaf(1.0, 2.0)
    y = (w + 1.0).exp().sum()  # Add saves nothing; Exp saves its own output, a new array
    with tg.no_grad():
        w.add_(1)
    y.backward()
    np.testing.assert_allclose(w.grad.data, np.exp([2.0, 3.0]))  # from the values at the time of the op


def test_memory_owned_by_bytes_or_a_memoryview_is_followed_too():
    """Arrays over a buffer (np.frombuffer, a memory-mapped or loaded file) have no array as their owner."""
    for owner in (np.ones(2).tobytes(), memoryview(bytearray(np.ones(2).tobytes()))):
        c = tg.from_numpy(np.frombuffer(owner, dtype=np.float64))
        w = leaf(1.0, 2.0)
        y = (w * c).sum()
        tg.ones(1).add_(1)  # some change elsewhere: the rule checks its saved arrays
        y.backward()
        assert w.grad.tolist() == [1.0, 1.0]
    writable = tg.from_numpy(np.frombuffer(bytearray(np.ones(2).tobytes()), dtype=np.float64))
    y = (leaf(1.0, 2.0) * writable).sum()
    writable.mul_(2)
    expect_stale(y, "mul_", "(2,)")


# ----------------------------------------------------------------------------- optimizers
OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD(momentum)": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-3),
    "Adam": lambda ps: optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.1),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.1, momentum=0.5, centered=True),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_classic_case_backward_after_a_step(name):
    tg.manual_seed(0)
    model = nn.Linear(3, 2, dtype="float64")
    opt = OPTIMIZERS[name](model.parameters())
    loss = (model(tg.randn(4, 3, dtype="float64")) ** 2).mean()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    message = str(info.value)
    step = f"{name.split('(')[0]}.step"
    assert MODIFIED in message and f"was changed by {step} after" in message, message
    assert re.search(r"saved by \w+", message) and "shape (2, 3)" in message, message


def test_steps_then_a_new_forward_are_fine():
    tg.manual_seed(0)
    model = nn.Linear(3, 2, dtype="float64")
    opt = optim.Adam(model.parameters(), lr=0.1)
    x = tg.randn(4, 3, dtype="float64")
    for _ in range(3):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()


@pytest.mark.parametrize("clip", ["clip_grad_norm_", "clip_grad_value_"])
def test_gradient_clipping_in_place_is_noted(clip):
    """A gradient used as a constant in an op, then clipped in place: that op's backward refuses."""
    w = leaf(3.0, 4.0)
    (w * w).sum().backward()  # w.grad = [6, 8]
    v = leaf(1.0, 1.0)
    y = (v * w.grad).sum()  # Mul saved w.grad's array
    if clip == "clip_grad_norm_":
        nn.utils.clip_grad_norm_([w], max_norm=1.0)
    else:
        nn.utils.clip_grad_value_([w], clip_value=1.0)
    expect_stale(y, clip, "(2,)")


# ----------------------------------------------------------------------------- nn
@pytest.mark.parametrize("fn", ["uniform_", "normal_", "constant_", "zeros_", "ones_", "xavier_uniform_",
                                "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"])
def test_nn_init_names_the_function_called(fn):
    w = tg.ones(2, 2, dtype="float64", requires_grad=True)
    y = (w * w).sum()
    args = {"constant_": (0.5,)}.get(fn, ())
    getattr(init, fn)(w, *args)
    expect_stale(y, f"nn.init.{fn}", "(2, 2)")


def test_load_state_dict_copies_in_place_and_is_noted():
    tg.manual_seed(0)
    model = nn.Linear(2, 2)
    other = nn.Linear(2, 2)
    y = (model(tg.randn(3, 2)) ** 2).sum()
    model.load_state_dict(other.state_dict())
    with pytest.raises(RuntimeError, match=rf"{MODIFIED}.*changed by load_state_dict"):
        y.backward()


def test_embedding_max_norm_renormalising_is_noted_only_when_it_changes_something():
    tg.manual_seed(0)
    emb = nn.Embedding(5, 3, max_norm=100.0)  # no row is that long: nothing changes
    y = (emb.weight * emb.weight).sum()
    emb(tg.tensor([0, 1]))
    y.backward()  # fine
    emb = nn.Embedding(5, 3, max_norm=0.1)  # every row is longer: rows 0 and 1 are scaled down
    y = (emb.weight * emb.weight).sum()
    emb(tg.tensor([0, 1]))
    expect_stale(y, r"embedding(max_norm)", "(5, 3)")


def test_batchnorm_running_statistics_updates_are_noted():
    tg.manual_seed(0)
    bn = nn.BatchNorm1d(3)
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)  # float32, as the statistics: no converted copy
    y = (w * bn.running_mean).sum()  # a running statistic used as a constant
    bn(tg.randn(4, 3))  # training: updates it in place
    expect_stale(y, "batch_norm (running_mean update)", "(3,)")
    y = (w * bn.running_var).sum()
    bn.reset_running_stats()
    expect_stale(y, "reset_running_stats", "(3,)")


# ----------------------------------------------------------------------------- a rule that raised
def test_after_a_rule_raised_the_next_backward_says_what_happened():
    x = leaf(1.0, 2.0)
    y = BuggyRule.apply(x).exp().sum()  # Exp saves its output; the first backward frees it, then the bug
    with pytest.raises(ValueError, match="a bug in this rule"):
        y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert "failed with ValueError: a bug in this rule" in message and "Exp" in message, message
    assert "Build the graph again" in message and "second time" not in message


def test_a_plain_second_backward_still_says_second_time():
    x = leaf(1.0, 2.0)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


# ----------------------------------------------------------------------------- no false positives
def _example(name):
    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"inplace_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["xor", "digits_mlp", "digits_cnn"])
def test_the_examples_training_loops_run_without_a_false_alarm(name, tmp_path):
    pytest.importorskip("matplotlib")
    _example(name).main(["--epochs", "1", "--out", str(tmp_path)])


def test_a_training_loop_with_every_in_place_writer():
    """BatchNorm, Embedding(max_norm), clipping, every optimizer, load_state_dict between steps."""
    tg.manual_seed(0)
    emb = nn.Embedding(10, 4, max_norm=1.0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 3))
    params = [*emb.parameters(), *model.parameters()]
    tokens, target = tg.tensor([1, 2, 3, 4, 5, 6]), tg.tensor([0, 1, 2, 0, 1, 2])
    for make in OPTIMIZERS.values():
        opt = make(params)
        for step in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(model(emb(tokens)), target)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            nn.utils.clip_grad_value_(params, 0.5)
            opt.step()
            if step == 1:
                model.load_state_dict(model.state_dict())
    assert np.isfinite(loss.item())


def test_version_counts_in_place_changes_of_the_memory_as_pytorch():
    t = tg.ones(4)
    assert t._version == 0
    t.add_(1)
    t += 1
    t[0] = 5
    t.zero_()
    assert t._version == 4
    assert t[1:]._version == 4  # a view shares the memory, and so its counter
    assert (t + 1)._version == 0  # a new tensor starts at 0
    w = tg.Tensor(np.ones(3), requires_grad=True)
    before = w._version
    with tg.no_grad():
        w -= 0.1
    assert w._version == before + 1


def test_the_note_of_an_in_place_change_goes_with_the_array():
    from tinygrad_np.autograd import engine

    t = tg.ones(1000)
    t.add_(1)
    key = id(t.data)
    assert key in engine._modified
    del t
    gc.collect()
    assert key not in engine._modified  # no entry for memory that is gone (it would grow without end)
