"""ModuleDict, ParameterList, ParameterDict and Unflatten (with PyTorch's state-dict names), and
Module.half() / .to(dtype or device)."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np.testing import gradcheck


# ----------------------------------------------------------------------------- ModuleDict
def test_module_dict_registers_in_insertion_order_with_pytorchs_names():
    md = nn.ModuleDict({"b": nn.Linear(2, 3), "a": nn.ReLU()})
    md["c"] = nn.Linear(3, 1)
    assert list(md) == list(md.keys()) == ["b", "a", "c"]
    assert list(md.state_dict()) == ["b.weight", "b.bias", "c.weight", "c.bias"]
    assert len(md) == 3 and "a" in md and "z" not in md
    assert md["b"] is md.b and [k for k, _ in md.items()] == ["b", "a", "c"]
    assert len(list(md.parameters())) == 4
    assert repr(md).startswith("ModuleDict(\n  (b): Linear(in_features=2, out_features=3, bias=True)")


def test_module_dict_pop_delete_update_clear():
    md = nn.ModuleDict(OrderedDict([("x", nn.Tanh()), ("y", nn.Linear(1, 1))]))
    y = md.pop("y")
    assert isinstance(y, nn.Linear) and list(md) == ["x"] and list(md.parameters()) == []
    md.update([("z", nn.Linear(2, 2)), ("w", nn.ReLU())])
    md.update({"x": nn.Sigmoid()})  # replaces in place
    assert list(md) == ["x", "z", "w"] and isinstance(md["x"], nn.Sigmoid)
    del md["z"]
    assert list(md) == ["x", "w"] and list(md.parameters()) == []
    md.update(nn.ModuleDict({"q": nn.Linear(1, 2)}))
    assert list(md.state_dict()) == ["q.weight", "q.bias"]
    md.clear()
    assert len(md) == 0


def test_module_dict_errors():
    md = nn.ModuleDict()
    with pytest.raises(TypeError, match="not a Module"):
        md["x"] = 3
    with pytest.raises(KeyError):
        md["missing"]
    with pytest.raises(KeyError, match="'.'"):
        nn.ModuleDict({"a.b": nn.ReLU()})
    with pytest.raises(KeyError, match="already exists"):
        nn.ModuleDict({"training": nn.ReLU()})
    with pytest.raises(KeyError, match="already exists"):
        nn.ModuleDict({"keys": nn.ReLU()})
    with pytest.raises(TypeError, match="iterable of"):
        md.update(5)
    with pytest.raises(ValueError, match="pair"):
        md.update([("a", nn.ReLU(), 3)])


# ----------------------------------------------------------------------------- ParameterList
def test_parameter_list_wraps_tensors_and_names_them_by_position():
    p0 = nn.Parameter(np.ones(2, dtype=np.float32))
    pl = nn.ParameterList([p0, tg.zeros(3)])
    assert pl[0] is p0 and isinstance(pl[1], nn.Parameter) and pl[1].requires_grad
    pl.append(tg.ones(1)).extend([tg.ones(4)])
    pl += [tg.ones(5)]
    assert len(pl) == 5 and pl[-1].shape == (5,)
    assert list(pl.state_dict()) == ["0", "1", "2", "3", "4"]
    assert [p.shape for p in pl] == [(2,), (3,), (1,), (4,), (5,)]
    assert [p.shape for p in pl.parameters()] == [(2,), (3,), (1,), (4,), (5,)]
    pl[1] = tg.ones(7)
    assert pl[1].shape == (7,) and list(pl.state_dict()) == ["0", "1", "2", "3", "4"]
    mixed = nn.ParameterList([tg.ones(1), "x", tg.ones(1)])
    mixed[1] = tg.ones(2)  # an object replaced by a parameter takes its place
    assert list(mixed.state_dict()) == ["0", "1", "2"]
    sliced = pl[1:3]
    assert isinstance(sliced, nn.ParameterList) and len(sliced) == 2 and sliced[0] is pl[1]


def test_parameter_list_holds_other_objects_outside_the_state_dict():
    pl = nn.ParameterList([tg.ones(2), "note", 3])
    assert pl[1] == "note" and pl[2] == 3 and list(pl.state_dict()) == ["0"]
    assert repr(pl) == ("ParameterList(\n  (0): Parameter containing: [float32 of size 2]\n"
                        "  (1): Object of type: str\n  (2): Object of type: int\n)")


def test_parameter_list_in_a_model_trains_and_errors():
    class Scales(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([tg.ones(3).double(), tg.ones(3).double()])

        def forward(self, x):
            for s in self.scales:
                x = x * s
            return x

    model = Scales()
    assert list(model.state_dict()) == ["scales.0", "scales.1"]
    x = tg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    assert gradcheck(lambda v: model(v), (x,), params=model.named_parameters())
    with pytest.raises(IndexError):
        model.scales[2]
    with pytest.raises(TypeError, match="integers or slices"):
        model.scales["0"]
    with pytest.raises(RuntimeError, match="floating-point"):
        nn.ParameterList([tg.tensor([1, 2])])  # integer parameters cannot require grad, as in PyTorch


# ----------------------------------------------------------------------------- ParameterDict
def test_parameter_dict_orders_like_pytorch():
    assert list(nn.ParameterDict({"w": tg.ones(2), "b": tg.zeros(1)})) == ["b", "w"]  # a plain dict is sorted
    assert list(nn.ParameterDict(OrderedDict([("w", tg.ones(2)), ("b", tg.zeros(1))]))) == ["w", "b"]
    assert list(nn.ParameterDict([("w", tg.ones(2)), ("b", tg.zeros(1))])) == ["w", "b"]
    pd = nn.ParameterDict()
    pd["z"], pd["a"] = tg.ones(1), tg.ones(2)  # assignment keeps insertion order
    assert list(pd.state_dict()) == ["z", "a"]


def test_parameter_dict_access_and_mutation():
    pd = nn.ParameterDict({"w": tg.ones(2)})
    assert isinstance(pd["w"], nn.Parameter) and pd.w is pd["w"] and "w" in pd and len(pd) == 1
    pd["s"] = 5  # any object; only tensors are parameters
    assert pd["s"] == 5 and list(pd.state_dict()) == ["w"]
    pd["s"] = tg.ones(3)
    assert list(pd.state_dict()) == ["w", "s"]
    assert pd.get("missing", 7) == 7 and pd.setdefault("n", tg.zeros(1)).shape == (1,)
    assert pd.pop("w").shape == (2,) and "w" not in pd and list(pd.state_dict()) == ["s", "n"]
    del pd["s"]
    assert pd.keys() == ["n"] and [v.shape for v in pd.values()] == [(1,)] and pd.items()[0][0] == "n"
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    with pytest.raises(KeyError):
        pd["gone"]
    with pytest.raises(KeyError, match="'.'"):
        nn.ParameterDict({"a.b": tg.ones(1)})
    with pytest.raises(KeyError, match="already exists"):
        nn.ParameterDict({"update": tg.ones(1)})


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({"enc": nn.Linear(2, 2)})
        self.ps = nn.ParameterList([tg.ones(2)])
        self.pd = nn.ParameterDict({"s": tg.ones(1)})


def test_containers_nest_with_pytorchs_names_and_survive_copies():
    net = Net()
    assert list(net.state_dict()) == ["layers.enc.weight", "layers.enc.bias", "ps.0", "pd.s"]
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert list(clone.state_dict()) == list(net.state_dict())
        assert len(clone.ps) == 1 and list(clone.pd) == ["s"]
    net.double()
    assert net.ps[0].dtype == np.float64 and net.pd["s"].dtype == np.float64


# ----------------------------------------------------------------------------- Unflatten
def test_unflatten():
    u = nn.Unflatten(1, (2, 5))
    x = tg.Tensor(np.arange(30.0).reshape(3, 10), requires_grad=True)
    out = u(x)
    assert out.shape == (3, 2, 5)
    np.testing.assert_array_equal(out.data, x.data.reshape(3, 2, 5))
    np.testing.assert_array_equal(nn.Flatten()(out).data, x.data)
    assert nn.Unflatten(-1, (2, -1))(x).shape == (3, 2, 5)
    assert nn.Unflatten(0, [1, 3])(x).shape == (1, 3, 10)
    assert repr(u) == "Unflatten(dim=1, unflattened_size=(2, 5))"
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((3, 10)))
    with pytest.raises(ValueError, match="multiply up"):
        nn.Unflatten(1, (3, 4))(x)
    with pytest.raises(ValueError, match="multiply up"):
        nn.Unflatten(1, (-1, -1))(x)
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 5)
    with pytest.raises(IndexError):
        nn.Unflatten(2, (2, 5))(x)


# ----------------------------------------------------------------------------- half() and to()
def test_half_and_to_cast_floating_point_state_only():
    bn = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    bn.half()
    assert bn[0].weight.dtype == np.float16 and bn[1].running_mean.dtype == np.float16
    assert bn[1].num_batches_tracked.dtype == np.int64
    assert bn(tg.ones(4, 2).half()).dtype == np.float16
    assert bn.to(np.float64) is bn and bn[0].weight.dtype == np.float64
    assert bn.to(tg.float32)[0].bias.dtype == np.float32  # the dtype names are strings
    assert bn.to(dtype="float64")[0].weight.dtype == np.float64
    assert bn.to(tg.zeros(1))[0].weight.dtype == np.float32  # another tensor's dtype
    assert bn.to("cpu", np.float64, False)[0].weight.dtype == np.float64


def test_to_device():
    m = nn.Linear(2, 2)
    w = m.weight.data
    assert m.to("cpu") is m and m.to(device="cpu:0") is m and m.weight.data is w

    class FakeDevice:  # what torch.device looks like: a .type
        type = "cpu"

    assert m.to(FakeDevice()) is m
    for device in ("cuda", "cuda:0", "mps"):
        with pytest.raises(ValueError, match="CPU only"):
            m.to(device)
    with pytest.raises(ValueError, match="CPU only"):
        m.to(device="cuda", dtype=np.float64)
    assert m.weight.dtype == np.float32  # nothing changed on error
    with pytest.raises(TypeError, match="floating-point"):
        m.to(np.int64)
