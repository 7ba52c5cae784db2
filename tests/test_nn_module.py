"""nn.Module, Parameter, Sequential, ModuleList: registration, traversal, state, repr, modes."""

import copy
import pickle

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np import autograd


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class WithBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.bn = nn.BatchNorm1d(3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.bn(self.fc(x)))


# ----------------------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_tensor_requiring_grad():
    p = nn.Parameter(np.ones((2, 3), dtype=np.float32))
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf and p.grad_fn is None
    assert nn.Parameter(tg.zeros(2), requires_grad=False).requires_grad is False
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32
    assert "Parameter containing" in repr(p)
    (p * 2).sum().backward()
    np.testing.assert_array_equal(p.grad.data, np.full((2, 3), 2, np.float32))
    assert type(p * 2) is tg.Tensor  # results of ops are plain tensors


def test_parameter_shares_the_array_it_wraps():
    a = np.zeros(3, dtype=np.float32)
    p = nn.Parameter(a)
    a[0] = 5
    assert p.data[0] == 5


def test_parameter_rejects_integer_data():
    with pytest.raises(RuntimeError, match="floating"):
        nn.Parameter(np.arange(3))


# ----------------------------------------------------------------------------- registration
def test_registration_order_and_dotted_names():
    m = MLP()
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]
    assert list(m.children()) == [m.fc1, m.act, m.fc2]
    assert len(list(m.modules())) == 4
    assert [p.shape for p in m.parameters()] == [(3, 4), (3,), (2, 3), (2,)]
    assert all(isinstance(p, nn.Parameter) for p in m.parameters())
    assert "fc1" in dir(m)


def test_sequential_names_and_nesting():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Sequential(nn.Linear(3, 1)))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1", "2", "2.0"]


def test_reassignment_and_deletion():
    m = MLP()
    m.fc1 = nn.Linear(4, 3, bias=False)
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc2.weight", "fc2.bias"]
    m.fc2.bias = None
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc2.weight"]
    del m.fc2
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight"]
    with pytest.raises(AttributeError):
        _ = m.fc2
    m.extra = nn.Parameter(np.zeros(1, np.float32))
    assert [n for n, _ in m.named_parameters()] == ["extra", "fc1.weight"]  # own parameters first, as in PyTorch
    m.extra = nn.Linear(1, 1)  # a name switches kind cleanly
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "extra.weight", "extra.bias"]


def test_assigning_a_plain_tensor_to_a_parameter_name_is_an_error():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="nn.Parameter or None expected"):
        m.weight = tg.zeros(2, 2)


def test_plain_tensor_attributes_are_not_parameters():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = tg.ones(1)
            self.w = nn.Parameter(np.ones(1, np.float32))

    assert [n for n, _ in M().named_parameters()] == ["w"]


def test_forgetting_super_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Bad()


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias"]


def test_parameter_cache_sees_structural_changes():
    seq = nn.Sequential(nn.Linear(2, 2))
    assert len(list(seq.parameters())) == 2
    seq.append(nn.Linear(2, 1))
    assert len(list(seq.parameters())) == 4
    seq[0].bias = None
    assert len(list(seq.parameters())) == 3
    del seq[1]
    assert len(list(seq.parameters())) == 1
    seq[0].register_parameter("extra", nn.Parameter(np.ones(1, np.float32)))
    assert len(list(seq.parameters())) == 2


def test_register_buffer_and_errors():
    m = nn.Module()
    m.register_buffer("stats", tg.zeros(3))
    m.register_buffer("tmp", np.ones(2, np.float32), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["stats", "tmp"]
    assert list(m.state_dict()) == ["stats"]
    assert isinstance(m.tmp, tg.Tensor)
    m.stats = np.full(3, 2.0, np.float32)  # assigning to a buffer name keeps it a buffer
    assert list(m.state_dict()) == ["stats"] and m.stats.data[0] == 2
    with pytest.raises(KeyError):
        m.register_buffer("a.b", tg.zeros(1))
    with pytest.raises(TypeError):
        m.register_buffer("c", "not a tensor")
    with pytest.raises(TypeError):
        m.register_parameter("d", tg.zeros(1))


def test_apply_visits_children_first_then_self():
    seen = []
    m = MLP()
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "ReLU", "Linear", "MLP"]


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


# ----------------------------------------------------------------------------- module stack
def test_ops_record_the_innermost_module_and_stack_is_restored():
    m = MLP()
    out = m(tg.randn(5, 4))
    assert out.grad_fn.module is m.fc2
    relu_node = out.grad_fn.next[0]
    assert relu_node.module is m.act
    assert autograd.module_stack == []

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    with pytest.raises(ValueError):
        nn.Sequential(Boom())(tg.ones(1))
    assert autograd.module_stack == []


# ----------------------------------------------------------------------------- modes, grads, dtype
def test_train_eval_recursive():
    m = WithBN()
    assert m.training and m.bn.training
    assert m.eval() is m
    assert not m.training and not m.bn.training and not m.drop.training
    m.train()
    assert m.drop.training
    with pytest.raises(ValueError):
        m.train("yes")


def test_zero_grad_sets_none():
    m = MLP()
    m(tg.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_requires_grad_():
    m = MLP().requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    assert not m(tg.randn(2, 4)).requires_grad


def test_double_and_float_cast_parameters_and_buffers():
    m = WithBN().double()
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m.bn.running_mean.dtype == np.float64
    assert m.bn.num_batches_tracked.dtype == np.int64
    assert m(tg.randn(4, 3, dtype=np.float64)).dtype == np.float64
    m.float()
    assert all(p.dtype == np.float32 for p in m.parameters())


# ----------------------------------------------------------------------------- state_dict
def test_state_dict_contents_order_and_copies():
    m = WithBN()
    sd = m.state_dict()
    assert list(sd) == ["fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                        "bn.num_batches_tracked"]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    sd["fc.weight"][...] = 123  # a copy: the model is unchanged
    assert not np.any(m.fc.weight.data == 123)


def test_state_dict_round_trip_restores_outputs():
    tg.manual_seed(0)
    a, b = WithBN(), WithBN()
    x = tg.randn(8, 3)
    a(x)  # update the running stats so buffers differ from a fresh module
    a.eval()
    b.eval()
    assert not np.allclose(a(x).data, b(x).data)
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(a(x).data, b(x).data)
    np.testing.assert_array_equal(a.bn.num_batches_tracked.data, b.bn.num_batches_tracked.data)


def test_load_state_dict_never_aliases():
    m = nn.Linear(2, 2)
    array = m.weight.data
    sd = {"weight": np.ones((2, 2), np.float32), "bias": np.zeros(2, np.float32)}
    m.load_state_dict(sd)
    assert m.weight.data is array  # copied in place, like PyTorch's copy_
    sd["weight"][0, 0] = 7
    assert m.weight.data[0, 0] == 1
    t = tg.ones(2, 2)
    m.load_state_dict({"weight": t, "bias": np.zeros(2)})  # Tensors and other dtypes are copied and cast
    t.data[0, 0] = 9
    assert m.weight.data[0, 0] == 1 and m.bias.dtype == np.float32


def test_load_state_dict_strict_errors_name_the_keys():
    m = MLP()
    sd = m.state_dict()
    del sd["fc2.bias"]
    sd["fc3.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    assert "missing keys: 'fc2.bias'" in str(e.value) and "unexpected keys: 'fc3.weight'" in str(e.value)
    before = m.fc1.weight.data.copy()
    sd["fc1.weight"] = np.zeros((3, 4), np.float32)
    with pytest.raises(RuntimeError):
        m.load_state_dict(sd)
    np.testing.assert_array_equal(m.fc1.weight.data, before)  # nothing changed on failure


def test_load_state_dict_non_strict_returns_the_lists():
    m = MLP()
    sd = m.state_dict()
    del sd["fc2.bias"]
    sd["fc3.weight"] = np.zeros(1)
    sd["fc1.weight"] = np.zeros((3, 4), np.float32)
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert missing == ["fc2.bias"] and unexpected == ["fc3.weight"]
    assert np.all(m.fc1.weight.data == 0)


def test_load_state_dict_shape_mismatch_names_key_and_shapes():
    m = MLP()
    sd = m.state_dict()
    sd["fc1.weight"] = np.zeros((4, 3))
    message = r"size mismatch for 'fc1.weight': got shape \(4, 3\), the model has \(3, 4\)"
    with pytest.raises(RuntimeError, match=message):
        m.load_state_dict(sd, strict=False)
    with pytest.raises(TypeError):
        m.load_state_dict([1, 2])


def test_pickle_and_deepcopy():
    m = MLP()
    x = tg.randn(3, 4)
    for clone in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        np.testing.assert_allclose(clone(x).data, m(x).data)
        assert clone.fc1.weight is not m.fc1.weight
        assert [n for n, _ in clone.named_parameters()] == [n for n, _ in m.named_parameters()]
        clone.fc1 = nn.Linear(4, 3, bias=False)
        assert len(list(clone.parameters())) == 3


# ----------------------------------------------------------------------------- repr
def test_repr_nested_like_pytorch():
    m = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Sequential(nn.Dropout(0.2), nn.Linear(256, 10, bias=False)))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=256, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.2)\n"
        "    (1): Linear(in_features=256, out_features=10, bias=False)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Conv2d(1, 16, 3, padding=1)) == "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.BatchNorm2d(4)).startswith("BatchNorm2d(4, eps=1e-05, momentum=0.1")


def test_custom_extra_repr():
    class Scale(nn.Module):
        def __init__(self, s):
            super().__init__()
            self.s = s

        def extra_repr(self):
            return f"s={self.s}"

    assert repr(Scale(2)) == "Scale(s=2)"
    assert repr(nn.Sequential(Scale(3))) == "Sequential(\n  (0): Scale(s=3)\n)"


# ----------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_append():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and seq[0] is layers[0] and seq[-1] is layers[2]
    assert list(seq) == layers
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert head(tg.ones(1, 2)).shape == (1, 3)
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    with pytest.raises(IndexError):
        seq[10]
    with pytest.raises(TypeError):
        nn.Sequential(nn.ReLU(), "relu")
    x = tg.randn(4, 2)
    np.testing.assert_allclose(seq(x).data, seq[3](seq[2](seq[1](seq[0](x)))).data)


def test_sequential_from_ordered_dict():
    from collections import OrderedDict

    seq = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert [n for n, _ in seq.named_parameters()] == ["hidden.weight", "hidden.bias"]
    assert seq.hidden is seq[0]


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.Linear(2, 1))
    ml.insert(0, nn.ReLU())
    assert isinstance(ml[0], nn.ReLU) and len(ml) == 5
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2", "3", "4"]
    del ml[0]
    assert [type(m).__name__ for m in ml] == ["Linear"] * 4
    assert len(list(ml.parameters())) == 8
    ml += [nn.Tanh()]
    assert len(ml) == 5 and isinstance(ml[1:3], nn.ModuleList)

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    assert [n for n, _ in Stack().named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]


def test_module_attribution_is_per_thread():
    # the main thread enters `plain`, then a worker enters `waits`; each records an op while the
    # other's module is the most recently entered one: each op must still name its own thread's module
    import threading

    plain_entered, worker_inside, plain_done = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    class Waits(nn.Module):
        def forward(self, x):
            worker_inside.set()
            plain_done.wait(5)
            return x * 2

    class Plain(nn.Module):
        def forward(self, x):
            plain_entered.set()
            worker_inside.wait(5)
            out = x * 3
            plain_done.set()
            return out

    waits, plain = Waits(), Plain()

    def work():
        plain_entered.wait(5)
        seen["a"] = waits(tg.ones(1, requires_grad=True))

    worker = threading.Thread(target=work)
    worker.start()
    b = plain(tg.ones(1, requires_grad=True))
    worker.join()
    assert b.grad_fn.module is plain and seen["a"].grad_fn.module is waits
    assert autograd.module_stack == []


def test_forward_hooks_see_and_may_replace_activations():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = tg.randn(5, 3)
    seen = []
    handle = model[1].register_forward_hook(lambda m, args, out: seen.append((type(m).__name__, args[0].shape, out)))
    y = model(x)
    assert len(seen) == 1 and seen[0][:2] == ("ReLU", (5, 4))
    np.testing.assert_array_equal(seen[0][2].data, np.maximum(model[0](x).data, 0))
    handle.remove()
    model(x)
    assert len(seen) == 1  # removed: not called again
    with model[1].register_forward_hook(lambda m, args, out: out * 0):  # a returned value replaces the output
        np.testing.assert_array_equal(model(x).data, np.broadcast_to(model[2].bias.data, (5, 2)))
    np.testing.assert_array_equal(model(x).data, y.data)  # the with-block took the hook off again


def test_forward_pre_hook_may_replace_the_arguments_and_gradients_flow_through_hooks():
    tg.manual_seed(0)
    lin = nn.Linear(2, 1)
    lin.register_forward_pre_hook(lambda m, args: args[0] * 2)  # a single value: the one argument
    x = tg.Tensor(np.array([[1.0, 3.0]]), requires_grad=True)
    out = lin(x)
    np.testing.assert_allclose(out.data, 2 * x.data @ lin.weight.data.T + lin.bias.data, rtol=1e-6, atol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * lin.weight.data, rtol=1e-6)  # the hook's * 2 is in the graph
    calls = []
    lin.register_forward_pre_hook(lambda m, args: calls.append(len(args)))  # returns None: arguments unchanged
    lin(x)
    assert calls == [1]
    clone = copy.deepcopy(lin)  # hooks travel with a copy, as in PyTorch
    clone(x)
    assert calls == [1, 1] and lin.state_dict().keys() == clone.state_dict().keys()
