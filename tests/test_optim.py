"""Optimizers, schedulers and clipping against NumPy re-implementations of PyTorch's documented algorithms."""

import math
import tracemalloc

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import optim
from tinygrad_np.optim import lr_scheduler
from tinygrad_np.serialization import load, save

# ----------------------------------------------------------------------------- a small problem
# loss = sum(0.5 * c * p**2 + d * p) per parameter, so grad = c * p + d (depends on p: the trajectory feeds back)
SHAPES = [(3, 4), (4,)]


def _problem(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    p0 = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    c = [rng.uniform(0.5, 2.0, s).astype(dtype) for s in SHAPES]
    d = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return p0, c, d


def _run_ours(opt_cls, kwargs, steps=6, seed=0):
    p0, c, d = _problem(seed)
    params = [tg.Tensor(p, requires_grad=True) for p in p0]
    opt = opt_cls(params, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss = sum(((tg.Tensor(ci) * p * p) * 0.5 + tg.Tensor(di) * p).sum() for p, ci, di in zip(params, c, d))
        loss.backward()
        opt.step()
    return [p.data for p in params]


def _run_reference(update, kwargs, steps=6, seed=0):
    p0, c, d = _problem(seed)
    params = [p.copy() for p in p0]
    states = [{} for _ in params]
    for t in range(1, steps + 1):
        for i, (p, ci, di) in enumerate(zip(params, c, d)):
            params[i] = update(p, ci * p + di, states[i], t, **kwargs)
    return params


# NumPy re-implementations of PyTorch's documented algorithms (plain expressions, nothing in place)
def ref_sgd(theta, g, st, t, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    if maximize:  # PyTorch's implementation negates the gradient first
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    if momentum != 0:
        st["b"] = g if t == 1 else momentum * st["b"] + (1 - dampening) * g
        g = g + momentum * st["b"] if nesterov else st["b"]
    return theta - lr * g


def ref_adam(theta, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    if maximize:
        g = -g
    if decoupled:
        theta = theta - lr * weight_decay * theta
    elif weight_decay != 0:
        g = g + weight_decay * theta
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g**2
    m_hat = st["m"] / (1 - b1**t)
    if amsgrad:
        st["vmax"] = np.maximum(st.get("vmax", 0), st["v"])
        v_hat = st["vmax"] / (1 - b2**t)
    else:
        v_hat = st["v"] / (1 - b2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(theta, g, st, t, weight_decay=1e-2, **kw):
    return ref_adam(theta, g, st, t, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(theta, g, st, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    st["v"] = alpha * st.get("v", 0) + (1 - alpha) * g**2
    v_tilde = st["v"]
    if centered:
        st["g_ave"] = alpha * st.get("g_ave", 0) + (1 - alpha) * g
        v_tilde = v_tilde - st["g_ave"] ** 2
    if momentum > 0:
        st["b"] = momentum * st.get("b", 0) + g / (np.sqrt(v_tilde) + eps)
        return theta - lr * st["b"]
    return theta - lr * g / (np.sqrt(v_tilde) + eps)


CASES = [
    (optim.SGD, ref_sgd, dict(lr=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9, dampening=0.5)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.SGD, ref_sgd, dict(lr=0.1, weight_decay=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, weight_decay=0.2, nesterov=True)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.2, maximize=True)),
    (optim.SGD, ref_sgd, dict(lr=0.1, maximize=True)),
    (optim.Adam, ref_adam, dict()),
    (optim.Adam, ref_adam, dict(lr=0.1)),
    (optim.Adam, ref_adam, dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3)),
    (optim.Adam, ref_adam, dict(lr=0.1, weight_decay=0.1)),
    (optim.Adam, ref_adam, dict(lr=0.1, amsgrad=True)),
    (optim.Adam, ref_adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1, betas=(0.8, 0.9))),
    (optim.Adam, ref_adam, dict(lr=0.1, maximize=True, weight_decay=0.1)),
    (optim.AdamW, ref_adamw, dict(lr=0.1)),
    (optim.AdamW, ref_adamw, dict(lr=0.1, weight_decay=0.3, amsgrad=True)),
    (optim.AdamW, ref_adamw, dict(lr=0.1, maximize=True)),
    (optim.RMSprop, ref_rmsprop, dict()),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.9)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, maximize=True, eps=1e-2)),
]


@pytest.mark.parametrize("opt_cls, ref, kwargs", CASES, ids=[f"{c.__name__}-{k}" for c, _, k in CASES])
def test_trajectory_matches_pytorch_algorithm(opt_cls, ref, kwargs):
    ours = _run_ours(opt_cls, kwargs, steps=8)
    expected = _run_reference(ref, kwargs, steps=8)
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    # the reference is sensitive: a slightly different hyperparameter gives a different trajectory
    p0, _, _ = _problem()
    assert not all(np.allclose(a, p) for a, p in zip(ours, p0))


def test_reference_check_can_fail():
    """A wrong rule (nesterov ignored) is caught by the trajectory comparison."""
    ours = _run_ours(optim.SGD, dict(lr=0.1, momentum=0.9), steps=4)
    expected = _run_reference(ref_sgd, dict(lr=0.1, momentum=0.9, nesterov=True), steps=4)
    assert not np.allclose(ours[0], expected[0], rtol=1e-6, atol=1e-6)


def test_sgd_momentum_first_step_buffer_is_the_grad():
    p = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    g = np.array([0.5, 3.0])
    p.grad = tg.Tensor(g)
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], g)  # no dampening on the first step
    np.testing.assert_allclose(p.data, [1.0 - 0.05, -2.0 - 0.3])
    p.grad = tg.Tensor(g)
    opt.step()
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], 0.9 * g + 0.5 * g)


def test_parameters_without_grad_are_skipped():
    a = tg.Tensor(np.ones(3), requires_grad=True)
    b = tg.Tensor(np.ones(2), requires_grad=True)
    for opt in [optim.SGD([a, b], lr=0.1, momentum=0.9), optim.Adam([a, b]), optim.RMSprop([a, b])]:
        a.grad, b.grad = tg.Tensor(np.ones(3)), None
        opt.step()
        np.testing.assert_array_equal(b.data, np.ones(2))
        assert b not in opt.state and a in opt.state


@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop])
def test_update_is_in_place_and_records_nothing(opt_cls):
    p = tg.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    data = p.data
    opt = opt_cls([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.data is data and p.dtype == np.float32 and p.is_leaf and p.grad_fn is None
    assert not np.allclose(data, 1.0)
    for v in opt.state.get(p, {}).values():
        assert not isinstance(v, tg.Tensor)
        if isinstance(v, np.ndarray):
            assert v.dtype == np.float32


@pytest.mark.parametrize("opt_cls, kwargs", [
    (optim.SGD, dict(lr=0.1)),
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.Adam, dict()),
    (optim.Adam, dict(amsgrad=True)),
    (optim.AdamW, dict()),
    (optim.RMSprop, dict(momentum=0.9, centered=True)),
])
def test_step_allocates_at_most_one_scratch_array(opt_cls, kwargs):
    n = 1_000_000
    p = tg.Tensor(np.ones(n, np.float32), requires_grad=True)
    p.grad = tg.Tensor(np.full(n, 0.5, np.float32))
    opt = opt_cls([p], **kwargs)
    opt.step()  # creates the state
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * p.data.nbytes, f"{opt_cls.__name__} step peaked at {peak / p.data.nbytes:.2f}x the parameter"


def test_zero_grad():
    p = tg.Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = tg.Tensor(np.ones(3))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, np.zeros(3))
    assert p.grad.dtype == p.dtype
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_called_with_grad_enabled():
    p = tg.Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(p.data, [2.0 - 0.25 * 4.0])


def test_param_groups_with_their_own_hyperparameters():
    a = tg.Tensor(np.ones(2), requires_grad=True)
    b = tg.Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0, "momentum": 0.5}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["lr"] == 1.0 and opt.param_groups[1]["momentum"] == 0.5
    a.grad, b.grad = tg.Tensor(np.ones(2)), tg.Tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 0.0)
    c = tg.Tensor(np.ones(2), requires_grad=True)
    opt.add_param_group({"params": c, "lr": 0.5})
    assert opt.param_groups[2]["params"] == [c] and opt.param_groups[2]["momentum"] == 0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_sgd_lr_only_required_where_a_group_lacks_it():
    a = tg.Tensor(np.ones(2), requires_grad=True)
    optim.SGD([{"params": [a], "lr": 0.1}])
    with pytest.raises(ValueError, match="required hyperparameter 'lr'"):
        optim.SGD([a])


@pytest.mark.parametrize("make, error, match", [
    (lambda p: optim.SGD(p, lr=-0.1), ValueError, "learning rate"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ValueError, "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError, "Nesterov"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "Nesterov"),
    (lambda p: optim.SGD(p, lr=float("nan")), ValueError, "learning rate"),
    (lambda p: optim.SGD(p, lr="fast"), TypeError, "must be a number"),
    (lambda p: optim.Adam(p, lr=-1e-3), ValueError, "learning rate"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), ValueError, "beta parameter at index 0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), ValueError, "beta parameter at index 1"),
    (lambda p: optim.Adam(p, betas=(0.9,)), ValueError, "pair"),
    (lambda p: optim.AdamW(p, eps=-1.0), ValueError, "epsilon"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), ValueError, "alpha"),
    (lambda p: optim.RMSprop(p, momentum=-0.1), ValueError, "momentum"),
])
def test_invalid_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make([tg.Tensor(np.ones(2), requires_grad=True)])


def test_invalid_parameters():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam(iter([]))
    with pytest.raises(TypeError, match="float|floating"):
        optim.SGD([tg.Tensor(np.arange(3))], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.ones(3)], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(tg.Tensor(np.ones(3), requires_grad=True), lr=0.1)
    p = tg.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_generator_of_parameters_is_accepted():
    ps = [tg.Tensor(np.ones(2), requires_grad=True) for _ in range(3)]
    opt = optim.Adam(p for p in ps)
    assert opt.param_groups[0]["params"] == ps


@pytest.mark.parametrize("opt_cls, kwargs", [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.1, amsgrad=True)),
    (optim.AdamW, dict(lr=0.1)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
])
def test_state_dict_round_trip_continues_the_same_trajectory(opt_cls, kwargs, tmp_path):
    p0, c, d = _problem(1)

    def run(params, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            for p, ci, di in zip(params, c, d):
                p.grad = tg.Tensor(ci * p.data + di)
            opt.step()

    a = [tg.Tensor(p, requires_grad=True) for p in p0]
    opt_a = opt_cls(a, **kwargs)
    run(a, opt_a, 3)
    sd = opt_a.state_dict()
    run(a, opt_a, 3)
    assert sd["param_groups"][0]["params"] == [0, 1] and set(sd["state"]) == {0, 1}

    for source in ["dict", "file"]:
        if source == "file":  # through tinygrad_np.save/load: arrays come back as Tensors, tuples as tuples
            save(sd, tmp_path / "opt.npz")
            loaded = load(tmp_path / "opt.npz")
        else:
            loaded = sd
        b = [tg.Tensor(p, requires_grad=True) for p in p0]
        run(b, opt_cls(b, **kwargs), 3)  # bring the parameters to the same point
        opt_b = opt_cls(b, lr=123.0)  # hyperparameters come from the state dict
        opt_b.load_state_dict(loaded)
        assert opt_b.param_groups[0]["lr"] == kwargs["lr"]
        run(b, opt_b, 3)
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa.data, pb.data, rtol=1e-12, atol=0)


def test_state_dict_is_a_copy_and_load_checks_shapes():
    p = tg.Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = tg.Tensor(np.ones(3))
    opt.step()
    sd = opt.state_dict()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"], np.ones(3))
    other = optim.SGD([tg.Tensor(np.ones(3), requires_grad=True), tg.Tensor(np.ones(3), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="parameters"):
        other.load_state_dict(sd)
    two_groups = optim.SGD([{"params": [tg.Tensor(np.ones(3), requires_grad=True)]},
                            {"params": [tg.Tensor(np.ones(3), requires_grad=True)]}], lr=0.1)
    with pytest.raises(ValueError, match="parameter groups"):
        two_groups.load_state_dict(sd)
    wrong_shape = optim.SGD([tg.Tensor(np.ones(4), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="shape"):
        wrong_shape.load_state_dict(sd)
    with pytest.raises(ValueError, match="state"):
        wrong_shape.load_state_dict({"param_groups": []})


KINDS = [
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.Adam, dict(lr=0.1, amsgrad=True)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
]


def _stepped(opt_cls, kwargs, shapes=((3,), (2, 2))):
    params = [tg.Tensor(np.ones(s), requires_grad=True) for s in shapes]
    opt = opt_cls(params, **kwargs)
    for p in params:
        p.grad = tg.Tensor(np.full(p.shape, 0.5))
    opt.step()
    return params, opt


def _snapshot(opt):
    sd = opt.state_dict()
    return repr(sd["param_groups"]), {k: {n: np.copy(v) for n, v in s.items()} for k, s in sd["state"].items()}


def _same(a, b):
    assert a[0] == b[0] and a[1].keys() == b[1].keys()
    for k in a[1]:
        assert a[1][k].keys() == b[1][k].keys()
        for n in a[1][k]:
            np.testing.assert_array_equal(a[1][k][n], b[1][k][n])


@pytest.mark.parametrize("saved", KINDS, ids=lambda k: k[0].__name__)
@pytest.mark.parametrize("target", KINDS, ids=lambda k: k[0].__name__)
@pytest.mark.parametrize("through_file", [False, True])
def test_state_dict_of_another_kind_of_optimizer_is_refused_and_changes_nothing(saved, target, through_file,
                                                                                  tmp_path):
    sd = _stepped(*saved)[1].state_dict()
    if through_file:
        save(sd, tmp_path / "opt.npz")
        sd = load(tmp_path / "opt.npz")
    _, opt = _stepped(*target)
    before = _snapshot(opt)
    if saved is target:
        opt.load_state_dict(sd)
        return
    with pytest.raises(ValueError, match=f"{target[0].__name__}.load_state_dict.*another kind of optimizer.*Load it "
                                         f"into the kind of optimizer that saved it"):
        opt.load_state_dict(sd)
    _same(_snapshot(opt), before)
    opt.step()  # still usable


@pytest.mark.parametrize("opt_cls, kwargs", KINDS, ids=lambda k: getattr(k, "__name__", ""))
def test_state_dict_for_other_parameter_groups_is_refused_and_changes_nothing(opt_cls, kwargs):
    sd = _stepped(opt_cls, kwargs)[1].state_dict()
    others = {
        "more parameters": ((3,), (2, 2), (1,)),
        "fewer parameters": ((3,),),
        "other shapes": ((2, 2), (3,)),
    }
    for label, shapes in others.items():
        _, opt = _stepped(opt_cls, kwargs, shapes)
        before = _snapshot(opt)
        with pytest.raises(ValueError, match="parameters|shape") as info:
            opt.load_state_dict(sd)
        assert "build the optimizer" in str(info.value), label
        _same(_snapshot(opt), before)
    params = [tg.Tensor(np.ones(s), requires_grad=True) for s in ((3,), (2, 2))]
    two_groups = opt_cls([{"params": [params[0]]}, {"params": [params[1]]}], **kwargs)
    with pytest.raises(ValueError, match="1 parameter groups, this optimizer has 2"):
        two_groups.load_state_dict(sd)


def test_damaged_optimizer_state_dicts_are_value_errors():
    _, opt = _stepped(optim.Adam, {})
    good = opt.state_dict()

    def variant(change):
        sd = {"state": {k: dict(v) for k, v in good["state"].items()},
              "param_groups": [dict(g) for g in good["param_groups"]]}
        change(sd)
        return sd

    cases = {
        "a model's state dict": ({"weight": np.ones(3)}, "model.load_state_dict"),
        "not a dict": ([1, 2], "expected what optimizer.state_dict"),
        "a buffer missing": (variant(lambda sd: sd["state"][0].pop("exp_avg_sq")), "lacks.*exp_avg_sq"),
        "a buffer not numeric": (variant(lambda sd: sd["state"][0].update(exp_avg="x")), "not a number"),
        "state for no parameter": (variant(lambda sd: sd["state"].update({7: {}})), "in no parameter group"),
        "a parameter index twice": (variant(lambda sd: sd["param_groups"][0].update(params=[0, 0])), "twice"),
        "a parameter index not an int": (variant(lambda sd: sd["param_groups"][0].update(params=[0, "w"])), "ints"),
        "a bad hyperparameter": (variant(lambda sd: sd["param_groups"][0].update(lr=-1)), "learning rate"),
    }
    before = _snapshot(opt)
    for label, (sd, match) in cases.items():
        with pytest.raises(ValueError, match=match):
            opt.load_state_dict(sd)
        _same(_snapshot(opt), before)
        assert label


def test_load_state_dict_accepts_scheduler_keys_custom_keys_str_indices_and_fills_defaults():
    params, opt = _stepped(optim.SGD, dict(lr=0.1, momentum=0.9))
    lr_scheduler.StepLR(opt, step_size=1)  # adds initial_lr to the groups
    sd = opt.state_dict()
    fresh = optim.SGD([tg.Tensor(np.ones(s), requires_grad=True) for s in ((3,), (2, 2))], lr=1.0)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["initial_lr"] == 0.1
    named = optim.SGD([{"params": params, "name": "body"}], lr=0.1)
    named.load_state_dict(named.state_dict())  # a custom key the group has
    sd = {"state": {"0": {"momentum_buffer": np.ones(3)}},  # str indices, e.g. after JSON
          "param_groups": [{"lr": 0.5, "params": ["0", "1"]}]}  # other hyperparameters missing
    fresh.load_state_dict(sd)
    group = fresh.param_groups[0]
    assert group["lr"] == 0.5 and group["momentum"] == 0 and group["nesterov"] is False
    assert list(fresh.state.values())[0]["momentum_buffer"].dtype == np.float64


@pytest.mark.parametrize("opt_cls, kwargs", [(optim.SGD, dict(lr=0.1)), *KINDS], ids=str)
def test_a_grad_of_the_wrong_shape_changes_no_parameter(opt_cls, kwargs):
    params, opt = _stepped(opt_cls, kwargs)
    before = [p.data.copy() for p in params], _snapshot(opt)
    params[0].grad = tg.Tensor(np.ones(3))
    params[1].grad = tg.Tensor(np.ones(4))  # the second one is wrong: the first must not move either
    with pytest.raises(RuntimeError, match=r"shape \(2, 2\) has a grad of shape \(4,\); nothing was updated"):
        opt.step()
    for p, b in zip(params, before[0]):
        np.testing.assert_array_equal(p.data, b)
    _same(_snapshot(opt), before[1])


# ----------------------------------------------------------------------------- schedulers
def _opt_with_groups(lrs=(0.1, 0.5)):
    return optim.SGD([{"params": [tg.Tensor(np.ones(1), requires_grad=True)], "lr": lr} for lr in lrs], lr=1.0)


@pytest.mark.parametrize("make, closed_form", [
    (lambda o: lr_scheduler.StepLR(o, step_size=3), lambda base, t: base * 0.1 ** (t // 3)),
    (lambda o: lr_scheduler.StepLR(o, 2, gamma=0.5), lambda base, t: base * 0.5 ** (t // 2)),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), lambda base, t: base * 0.9**t),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10),
     lambda base, t: base * (1 + math.cos(math.pi * t / 10)) / 2),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
     lambda base, t: 0.01 + (base - 0.01) * (1 + math.cos(math.pi * t / 7)) / 2),
])
def test_schedulers_follow_their_closed_forms(make, closed_form):
    opt = _opt_with_groups()
    sched = make(opt)
    for epoch in range(25):  # past T_max too: the cosine comes back up
        expected = [closed_form(base, epoch) for base in (0.1, 0.5)]
        np.testing.assert_allclose(sched.get_last_lr(), expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], expected, rtol=1e-10, atol=1e-12)
        opt.step()
        sched.step()
    assert sched.last_epoch == 25


def test_scheduler_respects_a_manual_lr_change_like_pytorch():
    opt = _opt_with_groups((1.0,))
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    sched.step()
    opt.param_groups[0]["lr"] = 10.0
    sched.step()
    assert sched.get_last_lr() == [5.0]


def test_scheduler_state_dict_round_trip(tmp_path):
    opt = _opt_with_groups()
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    for _ in range(4):
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 4
    save({"opt": opt.state_dict(), "sched": sd}, tmp_path / "ckpt.npz")
    ckpt = load(tmp_path / "ckpt.npz")

    opt2 = _opt_with_groups()
    opt2.load_state_dict(ckpt["opt"])
    sched2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(ckpt["sched"])
    for _ in range(5):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == pytest.approx(sched.get_last_lr(), rel=1e-12)


def test_scheduler_errors():
    opt = _opt_with_groups()
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.StepLR(object(), 1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.ExponentialLR(_opt_with_groups(), 0.9, last_epoch=3)


# ----------------------------------------------------------------------------- clipping
def _with_grads(grads):
    params = []
    for g in grads:
        p = tg.Tensor(np.zeros_like(g), requires_grad=True)
        p.grad = tg.Tensor(g.copy())
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_matches_the_norm_of_all_grads_concatenated(norm_type):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5), rng.standard_normal(())]
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.max(np.abs(flat)) if norm_type == float("inf") else np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    params = _with_grads(grads)
    params.append(tg.Tensor(np.ones(2), requires_grad=True))  # no grad: skipped
    out = optim.clip_grad_norm_(params, max_norm=0.5, norm_type=norm_type)
    assert isinstance(out, tg.Tensor) and out.shape == ()
    np.testing.assert_allclose(out.item(), total, rtol=1e-12)
    coef = 0.5 / (total + 1e-6)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.data, g * coef, rtol=1e-12)
    assert params[-1].grad is None


def test_clip_grad_norm_leaves_small_grads_alone():
    grads = [np.array([0.3, 0.4])]
    params = _with_grads(grads)
    grad_array = params[0].grad.data
    total = optim.clip_grad_norm_(params, max_norm=1.0)
    assert total.item() == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.data, grads[0])
    params = _with_grads([np.array([3.0, 4.0])])
    grad_array = params[0].grad.data
    optim.clip_grad_norm_(params[0], max_norm=1.0)
    assert params[0].grad.data is grad_array  # in place
    np.testing.assert_allclose(grad_array, [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_nonfinite_and_empty():
    params = _with_grads([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="non-finite"):
        optim.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert optim.clip_grad_norm_([tg.Tensor(np.ones(2), requires_grad=True)], 1.0).item() == 0.0
    params = _with_grads([np.ones(3, np.float32)])
    assert optim.clip_grad_norm_(params, 1.0).dtype == np.float32


def test_clip_grad_value():
    params = _with_grads([np.array([-3.0, 0.5, 2.0])])
    optim.clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.data, [-1.0, 0.5, 1.0])
