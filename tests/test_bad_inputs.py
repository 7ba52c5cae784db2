"""The bad-input catalogue: the ways to misuse tinygrad_np that we know of, as one table of tests.

Each entry of ``BAD`` is a :class:`Bad`:

- ``area``: where the bad input goes: "tensor", "engine" (backward, custom rules, anomaly mode,
  autograd.functional), "data", "save/load", "optim", "nn", "functional", "viz"; entries are grouped
  by area.
- ``what``: a short description; ``"{area}: {what}"`` is the test id, so it must be unique.
- ``do``: a callable taking the :class:`World` that does the bad thing.
- ``error``: the exception class it must raise, or None for a fault that must be survived without
  an error (another process killed mid-save).
- ``problem`` and ``way_out``: regexes (``re.search``, ``.`` matches newlines) the error message must
  match: one naming what is wrong, the other what to do about it. Both are required with an error.
- ``setup``: optional, ``setup(world)`` runs before the snapshot (to plant a hostile file, set a bad
  ``.grad``, ...); what it does is the "before".
- ``creates``: glob patterns (relative to ``world.dir``) of files the bad call is documented to
  leave behind; each must appear, and nothing else may change.

For every entry a fresh :class:`World` is built (a small model after one training step, so that
parameters, gradients, running statistics and the optimizer's state are all populated; a saved
checkpoint; a dataset), ``setup`` runs, the world is snapshotted, the bad thing is done, the error
class and message are checked, and the post-check demands that nothing changed: every parameter,
buffer and gradient (bit for bit), ``requires_grad``, the optimizer's state and hyperparameters,
the modules' train/eval modes, the files under ``world.dir`` (names, bytes, permission bits, symlink
targets), grad mode and anomaly mode are exactly as before.

To add an entry, append to ``BAD`` in its area's block, e.g.::

    Bad("engine", "backward twice", lambda w: twice(w), RuntimeError, r"second time", r"retain_graph=True"),

using the world's objects (``w.model``, ``w.opt``, ``w.x``, ``w.ckpt``, ...) or new ones; Tensors
that ``setup`` stores as attributes of the world are snapshotted too.

Fault injection while saving lives here too: a writer raising mid-file, ``fsync`` failing and a
process killed mid-write. ``Ctrl-C`` mid-write (a KeyboardInterrupt, whose message is the user's,
not ours) is ``test_crash_mid_save_leaves_the_old_file_and_no_temp_file`` in test_serialization.py,
which also checks the later save; the serialization tests cover the same files in more depth.
"""

from __future__ import annotations

import fnmatch
import os
import pickle
import re
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import hostile_files as hostile
import numpy as np
import pytest
from faulty_ops import BuggyRule, WrongCount, WrongShape

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn, optim, serialization
from tinygrad_np.data import DataLoader, TensorDataset, default_collate
from tinygrad_np.nn.module import Module
from tinygrad_np.optim import lr_scheduler
from tinygrad_np.viz import GraphvizNotFoundError, draw_graph, render

AREAS = ("tensor", "engine", "data", "save/load", "optim", "nn", "functional", "viz")


@dataclass(frozen=True)
class Bad:
    area: str
    what: str
    do: Callable
    error: type[BaseException] | None
    problem: str = ""
    way_out: str = ""
    setup: Callable | None = None
    creates: tuple = ()

    @property
    def id(self) -> str:
        return f"{self.area}: {self.what}"


# ============================================================================ the world a bad input could damage
class World:
    """What a user has at hand mid-training, made fresh for each entry inside the folder ``dir``."""

    def __init__(self, dir: Path):
        tg.manual_seed(0)
        self.dir = dir
        dir.mkdir(parents=True, exist_ok=True)
        self.model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        self.params = list(self.model.parameters())
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.emb = nn.Embedding(10, 4)
        self.ln = nn.LayerNorm(4)
        self.x = tg.randn(5, 4, requires_grad=True)  # an input leaf
        self.y = tg.tensor([0, 1, 1, 0, 1])
        self.opt = optim.Adam(self.params, lr=1e-2)
        loss = F.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()  # state exists; the grads stay, as they would before the next zero_grad()
        self.bn(tg.randn(6, 3))  # running statistics that are not the initial ones
        self.data = TensorDataset(self.x.detach(), self.y)
        self.ckpt = dir / "model.npz"
        tg.save(self.model.state_dict(), self.ckpt)

    # ------------------------------------------------------------------ the snapshot
    def tensors(self) -> dict:
        """Every Tensor the world holds, by name: attributes, and modules' parameters and buffers."""
        out = {}
        for attr, value in vars(self).items():
            if isinstance(value, tg.Tensor):
                out[attr] = value
            elif isinstance(value, Module):
                out.update({f"{attr}.{k}": t for k, t in value.named_parameters()})
                out.update({f"{attr}.{k}": t for k, t in value.named_buffers()})
        return out

    def snapshot(self) -> dict:
        state = {}
        for name, t in self.tensors().items():
            state[name] = (_bits(t.data), t.requires_grad, None if t.grad is None else _bits(t.grad.data))
        optimizers = {}
        for attr, value in vars(self).items():
            if isinstance(value, optim.Optimizer):
                sd = value.state_dict()
                buffers = {k: {n: _bits(np.asarray(v)) for n, v in s.items()} for k, s in sd["state"].items()}
                optimizers[attr] = (repr(sd["param_groups"]), buffers)
        modes = {attr: [m.training for m in value.modules()] for attr, value in vars(self).items()
                 if isinstance(value, Module)}
        return {"tensors": state, "optimizers": optimizers, "modes": modes, "files": _files(self.dir),
                "grad mode": tg.is_grad_enabled(),
                "anomaly mode": (tg.autograd.is_anomaly_enabled(), tg.autograd.is_anomaly_check_nan_enabled())}


def _bits(a: np.ndarray) -> tuple:
    """An array exactly (NaN payloads and -0.0 included)."""
    a = np.asarray(a)
    return a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes()


def _files(root: Path) -> dict:
    out = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir", st.st_mode & 0o7777)
            else:
                out[rel] = ("file", st.st_mode & 0o7777, Path(path).read_bytes())
    return out


def differences(before: dict, after: dict, creates=()) -> list[str]:
    """What changed between two snapshots, in words (empty: nothing). Files matching ``creates`` must
    have appeared and are otherwise ignored."""
    found = []
    new_files = {f for f in after["files"] if f not in before["files"]}
    for pattern in creates:
        made = {f for f in new_files if fnmatch.fnmatch(f, pattern)}
        if not made:
            found.append(f"expected a new file matching {pattern!r}, found none")
        new_files -= made
    after = {**after, "files": {k: v for k, v in after["files"].items() if k in before["files"] or k in new_files}}
    for part in before:
        b, a = before[part], after[part]
        if not isinstance(b, dict):
            if a != b:
                found.append(f"{part}: {b} -> {a}")
            continue
        for key in sorted(b.keys() | a.keys(), key=str):
            if key not in a:
                found.append(f"{part}: {key} disappeared")
            elif key not in b:
                found.append(f"{part}: {key} appeared")
            elif a[key] != b[key]:
                found.append(f"{part}: {key} changed")
    return found


def check(bad: Bad, world: World) -> None:
    """Run one catalogue entry against ``world`` and assert all it promises."""
    if bad.setup is not None:
        bad.setup(world)
    before = world.snapshot()
    if bad.error is None:
        bad.do(world)
    else:
        with pytest.raises(BaseException) as info:
            bad.do(world)
        assert isinstance(info.value, bad.error), f"{bad.id}: raised {info.type.__name__}: {info.value}"
        message = str(info.value)
        assert re.search(bad.problem, message, re.S), f"{bad.id}: the message does not name the problem " \
            f"/{bad.problem}/:\n{message}"
        assert re.search(bad.way_out, message, re.S), f"{bad.id}: the message does not name the way out " \
            f"/{bad.way_out}/:\n{message}"
    changed = differences(before, world.snapshot(), bad.creates)
    assert not changed, f"{bad.id}: the bad input changed things:\n  " + "\n  ".join(changed)


# ============================================================================ helpers for the entries
def _plant(name: str, build) -> Callable:
    """A setup that writes a file ``name`` in the world's folder with ``build(path)``."""
    return lambda w: build(w.dir / name)


def _write(data: bytes) -> Callable:
    return lambda path: path.write_bytes(data)


def _truncated(path: Path) -> None:
    tg.save({"w": np.arange(1000.0)}, path)
    path.write_bytes(path.read_bytes()[:3000])


def _flipped(path: Path) -> None:
    tg.save({"w": np.arange(1000.0)}, path)
    raw = bytearray(path.read_bytes())
    raw[500:600] = bytes(b ^ 0xFF for b in raw[500:600])  # inside the array's bytes: the zip's CRC-32 notices
    path.write_bytes(bytes(raw))


def _zip_bomb(path: Path) -> None:
    hostile.npz_with_members(path, {"w.npy": np.zeros(100)})
    hostile.declare_size(path, 2**32 - 1)  # 4 GiB declared for a stored entry of ~900 bytes


def _torch_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"w": [1.0]}))


def _newer(path: Path) -> None:
    hostile.npz_with_record(path, hostile.record({"dict": []}, version=2))


def _safetensors_declaring(header: dict, size: int) -> Callable:
    return lambda path: hostile.safetensors_file(path, header, bytes(size))


def _load(name: str) -> Callable:
    return lambda w: tg.load(w.dir / name)


def _save_while(make_patch: Callable) -> Callable:
    """Save over the world's checkpoint while the patch ``make_patch()`` is active (a fault injected)."""
    def do(w):
        with make_patch():
            tg.save({"w": np.zeros(3)}, w.ckpt)
    return do


def _half_then(error: OSError) -> Callable:
    def writer(f, *args):
        f.write(b"the first half of a file")
        raise error
    return writer


def _fsync_fails(fd):
    raise OSError(5, "Input/output error")


def _writer_fails(error: OSError) -> Callable:
    return lambda: mock.patch.object(serialization, "_write_npz", _half_then(error))


def _killed_mid_save(w: World) -> None:
    """Another process saves over the checkpoint and is killed (SIGKILL) halfway through writing."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(tg.__file__)))
    code = textwrap.dedent("""
        import sys, time
        import numpy as np
        from tinygrad_np import serialization

        def stall(f, *args):
            f.write(b"the first half of a file")
            f.flush()
            print("writing", flush=True)
            time.sleep(60)

        serialization._write_npz = stall
        serialization.save({"w": np.zeros(3)}, sys.argv[1])
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", code, str(w.ckpt)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode != 0


def _no_write_permission(tmp_prefix: str):
    """os.open raising EACCES for the temporary file, as in a read-only folder (root ignores real permissions)."""
    real_open = os.open

    def fake(path, *args, **kwargs):
        if os.path.basename(path).startswith(tmp_prefix):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)
    return fake


def _self_containing() -> dict:
    d = {"w": np.ones(1)}
    d["again"] = d
    return d


def _stepped(opt_cls, params, **kwargs):
    opt = opt_cls(params, **kwargs)
    for p in params:
        p.grad = tg.ones_like(p)
    opt.step()
    return opt


def _other_params(*shapes):
    return [tg.zeros(*s, requires_grad=True) for s in shapes]


def _used_up_generator(w):
    gen = w.model.parameters()
    list(gen)
    optim.SGD(gen, lr=0.1)


def _set_grad(index: int, shape) -> Callable:
    def setup(w):
        w.params[index].grad = tg.ones(*shape)
    return setup


def _nan_grad(w):
    w.params[0].grad.data[0, 0] = np.nan


def _iterate(loader_kwargs: dict) -> Callable:
    return lambda w: list(DataLoader(w.data, **loader_kwargs))


def _no_dot(w):
    with mock.patch("tinygrad_np.viz.draw.shutil.which", lambda name: None):
        render(draw_graph(w.model(w.x).sum()), w.dir / "graph.svg")


def _assign_array_as_weight(w):
    w.model[0].weight = np.ones((3, 4))


# ---------------------------------------------------------------- for the tensor and engine entries
def _without_grad(do: Callable) -> Callable:
    def run(w):
        with tg.no_grad():
            do(w)
    return run


def _leaf_graph(w):
    """A fresh leaf and a scalar computed from it (Mul saves the leaf; Exp its output)."""
    w.leaf = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w.out = (w.leaf * w.leaf).exp().sum()


def _after_backward(w):
    _leaf_graph(w)
    w.out.backward()


def _after_backward_and_step(w):
    """The classic case: backward keeping the graph, then an optimizer step changes the weights it saved."""
    w.loss = F.cross_entropy(w.model(w.x), w.y)
    w.loss.backward(retain_graph=True)
    w.opt.step()


def _changed_through_detach(w):
    _leaf_graph(w)
    w.leaf.detach().add_(1)


def _after_a_failed_backward(w):
    w.leaf = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w.out = BuggyRule.apply(w.leaf).exp().sum()  # Exp's saved output is freed before the bug raises
    with pytest.raises(ValueError, match="a bug in this rule"):
        w.out.backward()


def _log_of_zero_in_anomaly_mode(w):
    with tg.autograd.detect_anomaly():
        tg.tensor([1.0, 0.0], requires_grad=True).log()


def _nan_gradient_in_anomaly_mode(w):
    with tg.autograd.detect_anomaly():
        w.leaf.sqrt().sum().backward()


def _zero_leaf(w):
    w.leaf = tg.tensor([0.0, 4.0], requires_grad=True)


def _loss_without_grad(w):
    with tg.no_grad():
        return F.cross_entropy(w.model(w.x), w.y)


def _set_item_past_the_end(w):
    with tg.no_grad():
        w.x[7] = 0.0


# ============================================================================ the catalogue
BAD: list[Bad] = [
    # ---------------------------------------------------------------- tensor
    Bad("tensor", "strings as data", lambda w: tg.tensor(["1.5", "2"]), TypeError,
        r"must be numeric \(bool, int or float\), got dtype <U3", r"float\(s\) for a string"),
    Bad("tensor", "ragged nested lists", lambda w: tg.tensor([[1.0, 2.0], [3.0]]), TypeError,
        r"inhomogeneous shape", r"must be rectangular \(every row of the same length\)"),
    Bad("tensor", "None as data", lambda w: tg.tensor(None), TypeError,
        r"got dtype object from NoneType", r"convert it to numbers first"),
    Bad("tensor", "adding shapes that do not broadcast", lambda w: w.x + tg.ones(3), ValueError,
        r"Add: operands could not be broadcast.*input shapes \(5, 4\), \(3,\)", r"reshape or unsqueeze an operand"),
    Bad("tensor", "matmul of shapes that do not align", lambda w: w.x @ w.x, ValueError,
        r"shapes \(5, 4\) and \(5, 4\) do not align \(4 != 5\)", r"transpose one \(b\.T\)"),
    Bad("tensor", "requires_grad on an int tensor", lambda w: tg.tensor([1, 2], requires_grad=True), RuntimeError,
        r"only floating-point tensors can require gradients, got dtype int64", r"convert it first with \.float\(\)"),
    Bad("tensor", "requires_grad_() on integer targets", lambda w: w.y.requires_grad_(), RuntimeError,
        r"got dtype int64", r"\.float\(\)"),
    Bad("tensor", "reshape to a size that does not fit", lambda w: w.x.reshape(3, 7), ValueError,
        r"shape \(5, 4\) \(20 elements\) into \(3, 7\)", r"must hold 20 elements"),
    Bad("tensor", "index past the end", lambda w: w.x[5], IndexError,
        r"index 5 is out of bounds for axis 0 with size 5", r"run from -n to n-1"),
    Bad("tensor", "negative index before the start", lambda w: w.x[-6], IndexError,
        r"index -6 is out of bounds for axis 0 with size 5", r"run from -n to n-1"),
    Bad("tensor", "float index", lambda w: w.x[1.0], IndexError,
        r"only integers, slices .* are valid indices", r"convert float indices with \.long\(\)"),
    Bad("tensor", "indexing a 0-d tensor", lambda w: tg.tensor(1.0)[0], IndexError,
        r"array is 0-dimensional", r"use \.item\(\) for its value"),
    Bad("tensor", "item assignment past the end", _set_item_past_the_end, IndexError,
        r"index 7 is out of bounds for axis 0 with size 5", r"run from -n to n-1"),
    Bad("tensor", "item() of many elements", lambda w: w.x.item(), ValueError,
        r"only one-element tensors can be converted, this one has shape \(5, 4\)", r"t\[0\]\.item\(\)"),
    Bad("tensor", "max() of an empty tensor", lambda w: tg.ones(0, 3).max(), ValueError,
        r"max\(\) of an empty tensor \(shape \(0, 3\)\)", r"check where it became empty"),
    Bad("tensor", "sum over a dim that does not exist", lambda w: w.x.sum(dim=2), IndexError,
        r"axis 2 is out of range for a tensor with 2 dimensions", r"valid dims run from -2 to 1"),
    Bad("tensor", "transpose of a dim that does not exist", lambda w: w.x.transpose(0, 2), IndexError,
        r"axis 2 is out of range", r"valid dims run from -2 to 1"),
    Bad("tensor", "len() of a 0-d tensor", lambda w: len(tg.tensor(1.0)), TypeError,
        r"len\(\) of a 0-d tensor", r"\.numel\(\) for the number of elements"),
    Bad("tensor", "if on a tensor of many elements", lambda w: bool(w.x > 0), RuntimeError,
        r"truth value of a tensor with shape \(5, 4\) is ambiguous", r"\.any\(\) or \.all\(\)"),
    Bad("tensor", "int() of NaN", lambda w: int(tg.tensor(float("nan"))), ValueError,
        r"holds nan, which has no integer value", r"t\.isnan\(\)"),
    Bad("tensor", "a float added in place to integer targets", lambda w: w.y.add_(0.5), TypeError,
        r"add_: Cannot cast ufunc 'add' output from dtype\('float64'\) to dtype\('int64'\)",
        r"compute a new tensor \(t = t \+ x\)"),
    Bad("tensor", "add_ of a shape that does not broadcast", _without_grad(lambda w: w.params[0].add_(tg.ones(5))),
        ValueError, r"add_: operands could not be broadcast", r"broadcasts to that shape"),
    Bad("tensor", "copy_ from another shape", _without_grad(lambda w: w.params[1].copy_(tg.ones(4))), ValueError,
        r"copy_: could not broadcast input array from shape \(4,\) into shape \(3,\)",
        r"which an in-place change keeps"),
    Bad("tensor", "in-place change of a leaf that requires grad, while recording", lambda w: w.x.add_(1),
        RuntimeError, r"add_: no in-place change of a leaf tensor that requires grad", r"no_grad\(\)"),
    Bad("tensor", "in-place change of a computed tensor", _without_grad(lambda w: w.out.mul_(2)), RuntimeError,
        r"mul_: no in-place change of a tensor computed by a recorded op \(grad_fn=<Sum>\)",
        r"Write t = t \+ x", setup=_leaf_graph),
    Bad("tensor", "stack of different shapes", lambda w: tg.stack([w.x, w.x[:, :3]]), ValueError,
        r"got \[\(5, 4\), \(5, 3\)\]", r"pad them to one shape"),
    Bad("tensor", "cat of shapes that differ outside the dim", lambda w: tg.cat([w.x, w.x.T]), ValueError,
        r"differ outside dimension 0", r"all dimensions but the one joined along \(dim=0\) must match"),
    Bad("tensor", "expand a dim that is not 1", lambda w: w.x.expand(10, 4), ValueError,
        r"cannot broadcast shape \(5, 4\) to \(10, 4\)", r"only dimensions of size 1 can be expanded"),

    # ---------------------------------------------------------------- engine
    Bad("engine", "backward twice", lambda w: w.out.backward(), RuntimeError,
        r"backward through the graph a second time", r"retain_graph=True", setup=_after_backward),
    Bad("engine", "backward after an optimizer step (the classic case)", lambda w: w.loss.backward(), RuntimeError,
        r"modified by an in-place operation: .* shape \(2, 3\) .*changed by Adam\.step",
        r"Change a copy instead \(t = t\.clone\(\)\)", setup=_after_backward_and_step),
    Bad("engine", "backward after x.detach().add_()", lambda w: w.out.backward(), RuntimeError,
        r"saved by Mul, was changed by add_", r"make the change before the op or after backward\(\)",
        setup=_changed_through_detach),
    Bad("engine", "backward after a custom rule raised", lambda w: w.out.backward(), RuntimeError,
        r"failed with ValueError: a bug in this rule; Exp's values are gone", r"run the forward again",
        setup=_after_a_failed_backward),
    Bad("engine", "a custom rule returning a gradient of the wrong shape",
        lambda w: WrongShape.apply(w.leaf).sum().backward(), RuntimeError,
        r"WrongShape\.backward returned a gradient of shape \(2,\)", r"for an input of shape \(3,\)",
        setup=_leaf_graph),
    Bad("engine", "a custom rule returning too few gradients",
        lambda w: WrongCount.apply(w.leaf, w.leaf).sum().backward(), RuntimeError,
        r"WrongCount\.backward returned 1 gradients", r"expected 2", setup=_leaf_graph),
    Bad("engine", "backward of a non-scalar without a gradient", lambda w: w.model(w.x).backward(), RuntimeError,
        r"implicitly created only for scalar outputs; this tensor has shape \(5, 2\)",
        r"pass gradient= with that shape"),
    Bad("engine", "backward with a gradient of the wrong shape",
        lambda w: w.model(w.x).backward(gradient=tg.ones(5)), RuntimeError,
        r"gradient has shape \(5,\) but the tensor has shape \(5, 2\)", r"shaped like the tensor"),
    Bad("engine", "backward of a tensor that needs no gradient", lambda w: tg.ones(3).sum().backward(), RuntimeError,
        r"does not require grad and has no grad_fn", r"requires_grad=True"),
    Bad("engine", "backward of a loss computed under no_grad", lambda w: _loss_without_grad(w).backward(), RuntimeError,
        r"does not require grad", r"outside no_grad\(\)"),
    Bad("engine", "grad() of an unused input", lambda w: tg.grad((w.x * 2).sum(), [w.x, w.params[0]]),
        RuntimeError, r"input 1 was not used to compute the outputs", r"pass allow_unused=True"),
    Bad("engine", "retain_grad() on a tensor that needs no gradient", lambda w: tg.ones(3).retain_grad(),
        RuntimeError, r"retain_grad\(\) on a tensor that does not require grad", r"requires_grad=True"),
    Bad("engine", "register_hook on a tensor that needs no gradient", lambda w: tg.ones(3).register_hook(print),
        RuntimeError, r"doesn't require gradient", r"requires_grad=True"),
    Bad("engine", "register_hook of a non-function", lambda w: w.x.register_hook(3), TypeError,
        r"got int", r"expected a function of the gradient"),
    Bad("engine", "requires_grad = False on a computed tensor", lambda w: setattr(w.out, "requires_grad", False),
        RuntimeError, r"can only be turned off on leaf tensors", r"use \.detach\(\)", setup=_leaf_graph),
    Bad("engine", "numpy() of a tensor that requires grad", lambda w: w.x.numpy(), RuntimeError,
        r"on a tensor that requires grad", r"call \.detach\(\)\.numpy\(\)"),
    Bad("engine", "log(0) in anomaly mode", _log_of_zero_in_anomaly_mode, RuntimeError,
        r"Function 'Log' returned inf values in its output .* first at index \(1,\)",
        r"Check the values reaching that line"),
    Bad("engine", "an infinite gradient in anomaly mode (sqrt at 0)", _nan_gradient_in_anomaly_mode, RuntimeError,
        r"Function 'Sqrt' returned inf values in its 0th output", r"sqrt\(x \+ eps\)", setup=_zero_leaf),
    Bad("engine", "jacobian of a function returning an array",
        lambda w: tg.autograd.functional.jacobian(lambda x: x.data, w.x), TypeError,
        r"outputs of the function must be a Tensor .* got ndarray", r"wrap arrays with tinygrad_np\.tensor"),
    Bad("engine", "hessian of a function with many outputs", lambda w: tg.autograd.functional.hessian(w.model, w.x),
        RuntimeError, r"should have a single element, it has shape \(5, 2\)", r"reduce it \(e\.g\. \.sum\(\)\)"),
    Bad("engine", "vjp with v of the wrong shape",
        lambda w: tg.autograd.functional.vjp(w.model, w.x, tg.ones(3)), RuntimeError,
        r"v has shape \(3,\) but the output 0 has shape \(5, 2\)", r"v must be shaped like the output"),
    Bad("engine", "jacobian(strict=True) of an unused input",
        lambda w: tg.autograd.functional.jacobian(lambda a, b: a * 2, (w.x, w.params[0]), strict=True),
        RuntimeError, r"output 0 is independent of input 1", r"pass strict=False"),

    # ---------------------------------------------------------------- data
    Bad("data", "batch_size=0", lambda w: DataLoader(w.data, batch_size=0), ValueError,
        r"batch_size must be a positive int, got 0", r"batch_size=32"),
    Bad("data", "negative batch_size", lambda w: DataLoader(w.data, batch_size=-4), ValueError,
        r"batch_size must be a positive int, got -4", r"batch_size=32"),
    Bad("data", "float batch_size", lambda w: DataLoader(w.data, batch_size=2.5), ValueError,
        r"positive int, got 2\.5", r"batch_size=32"),
    Bad("data", "batch_size=None (PyTorch's 'no batching')", lambda w: DataLoader(w.data, batch_size=None),
        ValueError, r"positive int, got None", r"batch_size=32"),
    Bad("data", "shuffle given as a string", lambda w: DataLoader(w.data, shuffle="False"), TypeError,
        r"shuffle must be True or False, got 'False'", r"True or False"),
    Bad("data", "sampler together with shuffle=True", lambda w: DataLoader(w.data, sampler=[0, 1], shuffle=True),
        ValueError, r"sampler is mutually exclusive with shuffle", r"shuffle inside the sampler, or drop sampler="),
    Bad("data", "batch_sampler together with batch_size", lambda w: DataLoader(w.data, batch_size=2,
                                                                               batch_sampler=[[0, 1]]),
        ValueError, r"batch_sampler is mutually exclusive with batch_size", r"pass only batch_sampler="),
    Bad("data", "a sampler that is not iterable", lambda w: DataLoader(w.data, sampler=5), TypeError,
        r"sampler must be an iterable of indices.*got int", r"e\.g\. a list or a range"),
    Bad("data", "a sampler index past the end", _iterate(dict(sampler=[0, 5])), IndexError,
        r"sampler gave index 5, out of range for a dataset of 5 samples", r"must yield ints in \[0, 5\)"),
    Bad("data", "a negative sampler index", _iterate(dict(sampler=[-1])), IndexError,
        r"index -1, out of range", r"must yield ints in \[0, 5\)"),
    Bad("data", "float indices from a batch_sampler", _iterate(dict(batch_sampler=[[0.0, 1.0]])), TypeError,
        r"batch_sampler gave \[0\.0, 1\.0\]", r"must yield int indices"),
    Bad("data", "generator given as a string", lambda w: DataLoader(w.data, shuffle=True, generator="seed"),
        TypeError, r"generator must be .* got 'seed'", r"an int seed"),
    Bad("data", "a dataset without __len__", lambda w: DataLoader(iter(range(3))), TypeError,
        r"needs a dataset with __len__ and __getitem__", r"TensorDataset\(X, y\)"),
    Bad("data", "TensorDataset of different lengths", lambda w: TensorDataset(np.ones((5, 2)), np.ones(4)),
        ValueError, r"same first dimension .* got sizes \[5, 4\]", r"same number of samples"),
    Bad("data", "TensorDataset of nothing", lambda w: TensorDataset(), ValueError,
        r"needs at least one tensor", r"TensorDataset\(X, y\)"),
    Bad("data", "TensorDataset of a 0-d tensor", lambda w: TensorDataset(tg.tensor(1.0)), ValueError,
        r"tensor 0 is 0-d", r"x\.reshape\(1\)"),
    Bad("data", "collating samples of different shapes", lambda w: default_collate([np.ones(2), np.ones(3)]),
        ValueError, r"different shapes \[\(2,\), \(3,\)\]", r"pad or crop.*collate_fn"),
    Bad("data", "collating objects", lambda w: default_collate([object(), object()]), TypeError,
        r"cannot batch samples of type object", r"pass a collate_fn"),

    # ---------------------------------------------------------------- save/load: saving
    Bad("save/load", "save to an unknown suffix", lambda w: tg.save(w.model.state_dict(), w.dir / "model.pt"),
        ValueError, r"model\.pt: unknown file suffix '\.pt'", r"use \.npz or \.safetensors"),
    Bad("save/load", "save a list instead of a dict", lambda w: tg.save(w.params, w.ckpt), TypeError,
        r"expected a dict \(a state dict\), got list", r"e\.g\. save\(model\.state_dict\(\), path\)"),
    Bad("save/load", "save an object that is no array", lambda w: tg.save({"w": object()}, w.ckpt), ValueError,
        r"cannot save 'w': 'object' is not an array", r"convert it to one of those, or leave it out"),
    Bad("save/load", "save a dict that contains itself", lambda w: tg.save(_self_containing(), w.ckpt), ValueError,
        r"nested more than 64 levels deep \(does a dict or list contain itself\?\)", r"flatten the structure"),
    Bad("save/load", "save a key that would unzip outside the folder",
        lambda w: tg.save({"../../escape": np.ones(1)}, w.dir / "new.npz"), ValueError,
        r"'\.\./\.\./escape'.*outside the archive", r"rename the key"),
    Bad("save/load", "save into a folder that does not exist",
        lambda w: tg.save({"w": np.ones(1)}, w.dir / "nope" / "m.npz"), FileNotFoundError,
        r"cannot save '.*nope/m\.npz': No such file", r"create it first \(os\.makedirs"),
    Bad("save/load", "save to a folder", lambda w: tg.save({"w": np.ones(1)}, w.dir), IsADirectoryError,
        r"is a folder", r"name a file in it, e\.g\. '.*model\.npz'"),
    Bad("save/load", "save where the folder is not writable",
        _save_while(lambda: mock.patch.object(serialization.os, "open", _no_write_permission(".model.npz."))),
        PermissionError,
        r"cannot save '.*model\.npz': Permission denied", r"the folder must be writable"),
    Bad("save/load", "save over a read-only file",
        _save_while(lambda: mock.patch.object(serialization.os, "access", lambda path, mode: False)), PermissionError,
        r"the file is read-only", r"chmod u\+w\) or save under another name"),
    Bad("save/load", "fault: the writer fails mid-file (disk full)",
        _save_while(_writer_fails(OSError(28, "No space left on device"))), OSError,
        r"cannot save '.*model\.npz': No space left on device", r"free some space.*previous file is unchanged"),
    Bad("save/load", "fault: fsync fails",
        _save_while(lambda: mock.patch.object(serialization.os, "fsync", _fsync_fails)), OSError,
        r"cannot save '.*model\.npz': Input/output error", r"save again\. Any previous file is unchanged"),
    Bad("save/load", "fault: another process is killed mid-write", _killed_mid_save, None,
        creates=(".model.npz.*.tmp",)),

    # ---------------------------------------------------------------- save/load: loading
    Bad("save/load", "load a file that does not exist", _load("nope.npz"), FileNotFoundError,
        r"no such file: '.*nope\.npz'", r"relative path starts in the working folder"),
    Bad("save/load", "load a truncated .npz", _load("cut.npz"), ValueError,
        r"cut\.npz: not a valid \.npz file \(corrupt or truncated\?\)", r"save it again or use an intact copy",
        setup=_plant("cut.npz", _truncated)),
    Bad("save/load", "load bytes flipped in an .npz", _load("flip.npz"), ValueError,
        r"flip\.npz: not a valid \.npz file.*CRC", r"save it again or use an intact copy",
        setup=_plant("flip.npz", _flipped)),
    Bad("save/load", "load an empty file", _load("empty.npz"), ValueError,
        r"empty\.npz: not a valid \.npz file", r"intact copy", setup=_plant("empty.npz", _write(b""))),
    Bad("save/load", "load text named .npz (wrong magic)", _load("text.npz"), ValueError,
        r"text\.npz: not a valid \.npz file", r"intact copy", setup=_plant("text.npz", _write(b"hello " * 20))),
    Bad("save/load", "load a single .npy named .npz", _load("one.npz"), ValueError,
        r"not an \.npz archive but a single \.npy array", r"read it with np\.load",
        setup=_plant("one.npz", lambda p: np.save(open(p, "wb"), np.ones(3)))),
    Bad("save/load", "load a pickle named .npz (a torch.save file?)", _load("pickle.npz"), ValueError,
        r"a Python pickle .*refusing to unpickle \(that can run code", r"Convert it to \.npz",
        setup=_plant("pickle.npz", _write(pickle.dumps({"w": [1.0]}, protocol=4)))),
    Bad("save/load", "load torch.save's zip layout (a .pkl entry)", _load("torch.npz"), ValueError,
        r"'archive/data\.pkl' holds pickled Python objects", r"Convert it to \.npz",
        setup=_plant("torch.npz", _torch_zip)),
    Bad("save/load", "load an object array (np.savez pickles it)", _load("objects.npz"), ValueError,
        r"contains pickled Python objects \(entry 'w'\)", r"If you trust the file, read it with np\.load\(path, "
                                                           r"allow_pickle=True\)",
        setup=_plant("objects.npz", lambda p: np.savez(p, w=np.array([{"a": 1}], dtype=object)))),
    Bad("save/load", "load strings", _load("strings.npz"), ValueError,
        r"entry 's' has dtype <U1; only numeric arrays", r"np\.load reads the others",
        setup=_plant("strings.npz", lambda p: np.savez(p, s=np.array(["x"])))),
    Bad("save/load", "load an entry declaring (10**10,) over 64 bytes", _load("big.npz"), ValueError,
        r"declares shape \(10000000000,\).*holds only 64 bytes", r"nothing was allocated\. Save it again",
        setup=_plant("big.npz", lambda p: hostile.npz_with_header(
            p, {"descr": "<f8", "fortran_order": False, "shape": (10**10,)}, bytes(64)))),
    Bad("save/load", "load a zip bomb by declared size", _load("bomb.npz"), ValueError,
        r"declares 4,294,967,295 bytes .*zip bomb", r"nothing was allocated\. Get an intact copy",
        setup=_plant("bomb.npz", _zip_bomb)),
    Bad("save/load", "load an entry named ../../escape.npy (path traversal)", _load("escape.npz"), ValueError,
        r"'\.\./\.\./escape\.npy' is a path outside the archive", r"source you trust",
        setup=_plant("escape.npz", lambda p: hostile.npz_with_members(p, {"../../escape.npy": np.ones(1)}))),
    Bad("save/load", "load a structure record nested 5000 deep", _load("deep.npz"), ValueError,
        r"structure record nests containers thousands of levels deep", r"save it again or use an intact copy",
        setup=_plant("deep.npz", lambda p: hostile.npz_with_record(p, hostile.deep_record(5000)))),
    Bad("save/load", "load a file from a newer tinygrad_np", _load("newer.npz"), ValueError,
        r"written by a newer tinygrad_np \(format version 2\)", r"upgrade tinygrad_np",
        setup=_plant("newer.npz", _newer)),
    Bad("save/load", "load a truncated .safetensors", _load("cut.safetensors"), ValueError,
        r"not a valid \.safetensors file \(corrupt or truncated\?\)", r"save it again or use an intact copy",
        setup=_plant("cut.safetensors", lambda p: (tg.save({"w": np.ones(100)}, p),
                                                   p.write_bytes(p.read_bytes()[:-50])))),
    Bad("save/load", ".safetensors header declaring 10**10 floats over 64 bytes", _load("big.safetensors"),
        ValueError, r"not a valid \.safetensors file", r"intact copy",
        setup=_plant("big.safetensors", _safetensors_declaring(
            {"w": {"dtype": "F32", "shape": [10**10], "data_offsets": [0, 64]}}, 64))),
    Bad("save/load", ".safetensors of float8 (no NumPy dtype; a valid file)", _load("f8.safetensors"), ValueError,
        r"dtype F8_E4M3, which NumPy cannot hold", r"Convert it to float32",
        setup=_plant("f8.safetensors", _safetensors_declaring(
            {"w": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}, 4))),

    # ---------------------------------------------------------------- save/load: into a model
    Bad("save/load", "load_state_dict with a missing key", lambda w: w.model.load_state_dict(
        {k: v for k, v in w.model.state_dict().items() if k != "2.bias"}), RuntimeError,
        r"nothing was loaded.*missing keys: '2\.bias'", r"strict=False"),
    Bad("save/load", "load_state_dict with an unexpected key", lambda w: w.model.load_state_dict(
        {**w.model.state_dict(), "3.weight": np.ones(2)}), RuntimeError,
        r"unexpected keys: '3\.weight'", r"strict=False"),
    Bad("save/load", "load_state_dict with a wrong shape", lambda w: w.model.load_state_dict(
        {**w.model.state_dict(), "0.weight": np.ones((5, 4))}), RuntimeError,
        r"size mismatch for '0\.weight': got shape \(5, 4\), the model has \(3, 4\)", r"build it with the saved sizes"),
    Bad("save/load", "strict=False does not excuse a wrong shape (and loads nothing)",
        lambda w: w.model.load_state_dict({"0.weight": np.ones((5, 4)), "0.bias": np.zeros(3)}, strict=False),
        RuntimeError, r"size mismatch for '0\.weight'", r"strict=False does not skip mismatched sizes"),
    Bad("save/load", "load_state_dict with strings", lambda w: w.model.load_state_dict(
        {**w.model.state_dict(), "0.bias": np.array(["a", "b", "c"])}), RuntimeError,
        r"'0\.bias': expected numeric values, got dtype <U1", r"convert it to a float array"),
    Bad("save/load", "an optimizer's state dict into a model", lambda w: w.model.load_state_dict(w.opt.state_dict()),
        RuntimeError, r"missing keys", r"This is an optimizer's state dict: pass it to optimizer\.load_state_dict"),
    Bad("save/load", "load_state_dict of a list", lambda w: w.model.load_state_dict(w.params), TypeError,
        r"expected a dict, got list", r"pass what model\.state_dict\(\) or tinygrad_np\.load\(\) returns"),

    # ---------------------------------------------------------------- optim
    Bad("optim", "negative lr", lambda w: optim.SGD(w.params, lr=-0.1), ValueError,
        r"Invalid learning rate: lr=-0\.1", r"must be >= 0"),
    Bad("optim", "SGD without lr", lambda w: optim.SGD(w.params), ValueError,
        r"required hyperparameter 'lr'", r"SGD\(params, lr=0\.01\)"),
    Bad("optim", "lr as a string", lambda w: optim.Adam(w.params, lr="0.1"), TypeError,
        r"got '0\.1'", r"learning rate \(lr\) must be a number"),
    Bad("optim", "negative momentum", lambda w: optim.SGD(w.params, lr=0.1, momentum=-0.5), ValueError,
        r"Invalid momentum value: momentum=-0\.5", r"must be >= 0"),
    Bad("optim", "Nesterov without momentum", lambda w: optim.SGD(w.params, lr=0.1, nesterov=True), ValueError,
        r"Nesterov momentum requires", r"momentum > 0 and zero dampening"),
    Bad("optim", "betas not a pair", lambda w: optim.Adam(w.params, betas=0.9), ValueError,
        r"betas must be a pair \(beta1, beta2\), got 0\.9", r"betas=\(0\.9, 0\.999\)"),
    Bad("optim", "beta2 = 1", lambda w: optim.Adam(w.params, betas=(0.9, 1.0)), ValueError,
        r"Invalid beta parameter at index 1: 1\.0", r"must be in \[0, 1\)"),
    Bad("optim", "NumPy arrays as parameters", lambda w: optim.SGD([np.ones(3)], lr=0.1), TypeError,
        r"parameter 0 is ndarray", r"requires_grad=True, e\.g\. model\.parameters\(\)"),
    Bad("optim", "an empty parameter list", lambda w: optim.Adam([]), ValueError,
        r"empty parameter list", r"model\.parameters\(\)"),
    Bad("optim", "a used-up parameters() generator", _used_up_generator, ValueError,
        r"empty parameter list", r"used up after one pass: call it again"),
    Bad("optim", "a single Tensor instead of a list", lambda w: optim.SGD(w.params[0], lr=0.1), TypeError,
        r"got a single Tensor", r"pass \[tensor\] instead"),
    Bad("optim", "an integer parameter", lambda w: optim.SGD([tg.zeros(2, dtype="int64")], lr=0.1), TypeError,
        r"floating-point Tensors, parameter 0 is int64", r"create it with a float dtype"),
    Bad("optim", "a non-leaf parameter", lambda w: optim.SGD([w.params[0] * 2], lr=0.1), ValueError,
        r"can't optimize a non-leaf Tensor", r"\.detach\(\)\.requires_grad_\(\)"),
    Bad("optim", "the same parameter twice", lambda w: optim.SGD([w.params[0], w.params[0]], lr=0.1), ValueError,
        r"the same Tensor more than once", r"pass each Tensor once"),
    Bad("optim", "a parameter in two groups", lambda w: optim.SGD([{"params": w.params}, {"params": w.params[:1]}],
                                                                  lr=0.1),
        ValueError, r"more than one parameter group", r"put each parameter in one group"),
    Bad("optim", "an SGD state dict into Adam",
        lambda w: w.opt.load_state_dict(_stepped(optim.SGD, _other_params((3, 4), (3,), (2, 3), (2,)), lr=0.1,
                                                 momentum=0.9).state_dict()),
        ValueError, r"Adam\.load_state_dict\(\): the state dict was saved by another kind of optimizer: .*"
                    r"\['dampening', 'momentum', 'nesterov'\]", r"Load it into the kind of optimizer that saved it"),
    Bad("optim", "an RMSprop state dict into Adam",
        lambda w: w.opt.load_state_dict(_stepped(optim.RMSprop, _other_params((3, 4), (3,), (2, 3), (2,)))
                                        .state_dict()),
        ValueError, r"another kind of optimizer", r"Load it into the kind of optimizer that saved it"),
    Bad("optim", "a state dict for fewer parameters",
        lambda w: w.opt.load_state_dict(_stepped(optim.Adam, _other_params((3, 4), (3,))).state_dict()),
        ValueError, r"parameter group 0 has 2 parameters in the state dict but 4 in this optimizer",
        r"same parameters, in the same order"),
    Bad("optim", "a state dict for parameters of other shapes",
        lambda w: w.opt.load_state_dict(_stepped(optim.Adam, _other_params((4, 3), (3,), (2, 3), (2,))).state_dict()),
        ValueError, r"state 'exp_avg' of parameter 0 has shape \(4, 3\), expected \(3, 4\)",
        r"same parameters \(same shapes, same order\)"),
    Bad("optim", "a state dict with other parameter groups",
        lambda w: w.opt.load_state_dict(optim.Adam([{"params": _other_params((3, 4), (3,))},
                                                    {"params": _other_params((2, 3), (2,))}]).state_dict()),
        ValueError, r"has 2 parameter groups, this optimizer has 1", r"same parameter groups"),
    Bad("optim", "a model's state dict into an optimizer", lambda w: w.opt.load_state_dict(w.model.state_dict()),
        ValueError, r"expected what optimizer\.state_dict\(\) returns", r"model\.load_state_dict"),
    Bad("optim", "step with a grad of the wrong shape", lambda w: w.opt.step(), RuntimeError,
        r"a parameter of shape \(2,\) has a grad of shape \(7,\); nothing was updated",
        r"must have its parameter's shape \(or be None\)", setup=_set_grad(3, (7,))),
    Bad("optim", "clip_grad_norm_ of NaN grads with error_if_nonfinite",
        lambda w: optim.clip_grad_norm_(w.params, 1.0, error_if_nonfinite=True), RuntimeError,
        r"total norm .* is non-finite \(nan\)", r"error_if_nonfinite=False", setup=_nan_grad),
    Bad("optim", "a scheduler given a model", lambda w: lr_scheduler.StepLR(w.model, step_size=1), TypeError,
        r"Sequential is not an Optimizer", r"pass the optimizer, e\.g\. StepLR\(optimizer"),

    # ---------------------------------------------------------------- nn layers
    Bad("nn", "Linear fed the wrong number of features", lambda w: w.model(tg.randn(5, 7)), ValueError,
        r"input of shape \(5, 7\) does not match weight of shape \(3, 4\)", r"expected input\.shape\[-1\] == 4"),
    Bad("nn", "Linear fed strings", lambda w: w.model[0](np.array([["a", "b", "c", "d"]])), TypeError,
        r"got dtype <U1", r"input must be a Tensor or an array of numbers"),
    Bad("nn", "Conv2d fed channels-last images", lambda w: w.conv(tg.randn(2, 8, 8, 3)), ValueError,
        r"input has 8 channels \(axis 1\) but weight of shape \(4, 3, 3, 3\) expects 3",
        r"channels-last .*x\.permute\(0, 3, 1, 2\)"),
    Bad("nn", "Conv2d fed the wrong number of channels", lambda w: w.conv(tg.randn(2, 5, 8, 8)), ValueError,
        r"input has 5 channels", r"build the layer with in_channels=5"),
    Bad("nn", "Conv2d fed a 2-D input", lambda w: w.conv(tg.randn(8, 8)), ValueError,
        r"expected a 3-D \(unbatched\) or 4-D \(batched\) input, got shape \(8, 8\)", r"3-D \(unbatched\) or 4-D"),
    Bad("nn", "Conv2d fed integers", lambda w: w.conv(tg.ones(1, 3, 8, 8).long()), TypeError,
        r"input must be a floating-point tensor, got dtype int64", r"convert it with \.float\(\)"),
    Bad("nn", "Conv2d fed an image smaller than its kernel", lambda w: w.conv(tg.randn(1, 3, 2, 2)), ValueError,
        r"spatial size \(2, 2\) is smaller than the kernel \(3, 3\)",
        r"larger input, more padding or a smaller kernel"),
    Bad("nn", "BatchNorm1d fed the wrong number of channels", lambda w: w.bn(tg.randn(4, 5)), ValueError,
        r"input has 5 channels \(axis 1\), expected num_features=3", r"build the layer with num_features=5"),
    Bad("nn", "BatchNorm1d training on one sample", lambda w: w.bn(tg.randn(1, 3)), ValueError,
        r"expected more than 1 value per channel when training", r"batches of 2 or more samples, or call model\.eval"),
    Bad("nn", "BatchNorm1d fed a 4-D input", lambda w: w.bn(tg.randn(2, 3, 4, 4)), ValueError,
        r"BatchNorm1d: expected 2-D or 3-D input, got shape \(2, 3, 4, 4\)",
        r"for \(N, C, H, W\) images use BatchNorm2d"),
    Bad("nn", "Embedding index past the end", lambda w: w.emb(tg.tensor([[1, 10]])), IndexError,
        r"index out of range: values 1\.\.10 for 10 embeddings", r"indices must be in \[0, 10\)"),
    Bad("nn", "Embedding negative index", lambda w: w.emb(tg.tensor([-1])), IndexError,
        r"values -1\.\.-1 for 10 embeddings", r"indices must be in \[0, 10\)"),
    Bad("nn", "Embedding float indices", lambda w: w.emb(tg.tensor([1.0, 2.0])), TypeError,
        r"input must hold integer indices, got dtype float32", r"convert it with \.long\(\)"),
    Bad("nn", "LayerNorm over the wrong trailing shape", lambda w: w.ln(tg.randn(2, 5)), ValueError,
        r"input of shape \(2, 5\) does not end with normalized_shape \(4,\)", r"must be the input's last dimensions"),
    Bad("nn", "Dropout with p > 1", lambda w: nn.Dropout(1.5), ValueError,
        r"got 1\.5", r"probability p must be between 0 and 1"),
    Bad("nn", "RNN fed the wrong input size", lambda w: nn.RNN(3, 4)(tg.randn(5, 2, 2)), ValueError,
        r"got \(5, 2, 2\)", r"expected input \(seq, batch, 3\)"),
    Bad("nn", "assigning an array as a parameter", _assign_array_as_weight, TypeError,
        r"cannot assign 'ndarray' as parameter 'weight'", r"nn\.Parameter\(value\).*\.data\[\.\.\.\] = value"),
    Bad("nn", "Sequential index out of range", lambda w: w.model[3], IndexError,
        r"index 3 is out of range for Sequential of length 3", r"of length 3"),

    # ---------------------------------------------------------------- nn.functional losses
    Bad("functional", "mse_loss of (N, 1) against (N,)", lambda w: F.mse_loss(w.model(w.x)[:, :1], tg.randn(5)),
        ValueError, r"input of shape \(5, 1\) and target of shape \(5,\) must have the same shape \(they are not "
                    r"broadcast\)", r"target\.reshape\(5, 1\)"),
    Bad("functional", "l1_loss of different sizes", lambda w: F.l1_loss(w.model(w.x), tg.randn(3)), ValueError,
        r"must have the same shape", r"check which one is wrong"),
    Bad("functional", "cross_entropy target past the last class",
        lambda w: F.cross_entropy(w.model(w.x), tg.tensor([0, 1, 2, 0, 1])), IndexError,
        r"target 2 is out of range for 2 classes", r"valid: 0\.\.1"),
    Bad("functional", "cross_entropy target -1 (not the ignore_index)",
        lambda w: F.cross_entropy(w.model(w.x), tg.tensor([0, 1, -1, 0, 1])), IndexError,
        r"target -1 is out of range", r"must equal ignore_index \(-100\)"),
    Bad("functional", "cross_entropy target of the wrong length",
        lambda w: F.cross_entropy(w.model(w.x), tg.tensor([0, 1])), ValueError,
        r"input of shape \(5, 2\) needs a target of shape \(5,\), got \(2,\)", r"needs a target of shape \(5,\)"),
    Bad("functional", "cross_entropy float targets of the wrong shape",
        lambda w: F.cross_entropy(w.model(w.x), tg.rand(5)), ValueError,
        r"class-probability target must have the input's shape \(5, 2\), got \(5,\)",
        r"for class indices use an integer target"),
    Bad("functional", "nll_loss float class indices", lambda w: F.nll_loss(w.model(w.x), tg.tensor([0.0] * 5)),
        TypeError, r"target must hold integer class indices.*got dtype float32",
        r"Convert class indices with \.long\(\)"),
    Bad("functional", "binary_cross_entropy of logits", lambda w: F.binary_cross_entropy(w.model(w.x) * 10,
                                                                                          tg.rand(5, 2)),
        ValueError, r"all elements of input must be between 0 and 1", r"for logits use "
                                                                      r"binary_cross_entropy_with_logits"),
    Bad("functional", "an unknown reduction", lambda w: F.cross_entropy(w.model(w.x), w.y, reduction="avg"),
        ValueError, r"got 'avg'", r"reduction must be one of \('mean', 'sum', 'none'\)"),
    Bad("functional", "class weights of the wrong length",
        lambda w: F.cross_entropy(w.model(w.x), w.y, weight=np.ones(3)), ValueError,
        r"got \(3,\)", r"one entry per class, shape \(2,\)"),

    # ---------------------------------------------------------------- viz
    Bad("viz", "draw_graph of an array", lambda w: draw_graph(np.ones(2)), TypeError,
        r"expects Tensors, got ndarray", r"e\.g\. draw_graph\(loss\)"),
    Bad("viz", "draw_graph of nothing", lambda w: draw_graph(), TypeError,
        r"needs at least one Tensor", r"e\.g\. draw_graph\(loss\)"),
    Bad("viz", "draw_graph of a model", lambda w: draw_graph(w.model), TypeError,
        r"not a Sequential object", r"draw_graph\(model\(x\)\).*model="),
    Bad("viz", "draw_graph of a list", lambda w: draw_graph([w.x, w.x]), TypeError,
        r"not a list", r"draw_graph\(\*outputs\)"),
    Bad("viz", "draw_graph with a negative depth", lambda w: draw_graph(w.model(w.x).sum(), model=w.model, depth=-1),
        ValueError, r"got -1", r"depth must be a non-negative int"),
    Bad("viz", "draw_graph with model= not a Module", lambda w: draw_graph(w.model(w.x).sum(), model=w.params),
        TypeError, r"got list", r"model= must be a Module"),
    Bad("viz", "render without Graphviz's dot program", _no_dot, GraphvizNotFoundError,
        r"`dot` program is not on PATH", r"Install Graphviz.*render it later with `dot -Tsvg",
        creates=("graph.dot",)),
]


# ============================================================================ the tests
@pytest.mark.parametrize("bad", BAD, ids=lambda b: b.id)
def test_bad_input(bad, tmp_path):
    check(bad, World(tmp_path))


def test_the_catalogue_is_well_formed():
    ids = [b.id for b in BAD]
    assert len(ids) == len(set(ids)), "ids must be unique"
    for b in BAD:
        assert b.area in AREAS, b.id
        if b.error is not None:
            assert b.problem and b.way_out and b.problem != b.way_out, b.id
            re.compile(b.problem), re.compile(b.way_out)
        else:
            assert not b.problem and not b.way_out, b.id
    areas = [b.area for b in BAD]
    assert [a for a in AREAS if a in areas] == list(dict.fromkeys(areas)), "keep each area's entries together"


def test_the_catalogue_covers_every_area():
    count = {a: sum(b.area == a for b in BAD) for a in AREAS}
    assert count["tensor"] + count["engine"] >= 25 and count["tensor"] >= 10 and count["engine"] >= 10
    assert count["data"] >= 10 and count["save/load"] >= 20 and count["optim"] >= 10
    assert count["nn"] + count["functional"] >= 15 and count["viz"] >= 5


def test_the_post_check_notices_every_kind_of_change(tmp_path):
    """A deliberately harmful entry must fail: each kind of change the catalogue promises to catch."""
    def touch_file(w):
        (w.dir / "stray.txt").write_text("x")

    harms = {
        "a parameter": lambda w: w.params[0].data.__setitem__((0, 0), 1.0),
        "a gradient": lambda w: w.params[1].grad.data.__setitem__(0, 5.0),
        "a gradient dropped": lambda w: setattr(w.params[1], "grad", None),
        "requires_grad": lambda w: w.x.requires_grad_(False),
        "a buffer": lambda w: w.bn.running_mean.data.__setitem__(0, 9.0),
        "a leaf's value, NaN for NaN": lambda w: w.x.data.__setitem__((0, 0), np.nan),
        "the optimizer's state": lambda w: w.opt.state[w.params[0]]["exp_avg"].__setitem__((0, 0), 1.0),
        "the optimizer's hyperparameters": lambda w: w.opt.param_groups[0].__setitem__("lr", 1.0),
        "a module's mode": lambda w: w.model[1].eval(),
        "a file's bytes": lambda w: tg.save({"w": np.zeros(1)}, w.ckpt),
        "a file's mode": lambda w: os.chmod(w.ckpt, 0o600),
        "a new file": touch_file,
        "anomaly mode": lambda w: tg.autograd.set_detect_anomaly(True),
        "grad mode": lambda w: tg.set_grad_enabled(False).__enter__(),  # (last: a World needs grad mode)
    }
    try:
        for label, harm in harms.items():
            world = World(tmp_path / label.replace(" ", "_").replace("'", ""))
            before = world.snapshot()
            harm(world)
            assert differences(before, world.snapshot()), f"the post-check missed a change to {label}"
    finally:
        tg.set_grad_enabled(True).__enter__()
        tg.autograd.set_detect_anomaly(False)


def test_a_wrong_entry_fails(tmp_path):
    """The message checks and the error class can fail too."""
    good = next(b for b in BAD if b.id == "data: batch_size=0")
    wrong = [
        Bad("data", "wrong class", good.do, TypeError, good.problem, good.way_out),
        Bad("data", "wrong problem", good.do, ValueError, r"no such words", good.way_out),
        Bad("data", "wrong way out", good.do, ValueError, good.problem, r"no such words"),
        Bad("data", "no error at all", lambda w: DataLoader(w.data, batch_size=2), ValueError, "x", "y"),
        Bad("data", "survived, but a file appeared", lambda w: (w.dir / "new.txt").write_text(""), None),
        Bad("data", "a promised file did not appear", lambda w: None, None, creates=("graph.dot",)),
    ]
    for i, bad in enumerate(wrong):
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            check(bad, World(tmp_path / str(i)))
