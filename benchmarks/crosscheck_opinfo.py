"""Cross-check the op database against PyTorch (a script, not a test: PyTorch is never a test dependency).

For every entry with a PyTorch spelling and every sample of every dtype it runs PyTorch and compares

* the table with PyTorch: the dtype the table's rule predicts, and the reference's values
  (a disagreement is a bug in the table: PyTorch is the reference for ops with its names);
* the library with PyTorch: our result's dtype and values (a disagreement is a bug in the library,
  which the table must then list as a ``KnownFailure``);
* error inputs: PyTorch must raise the class the table says.

Samples PyTorch rejects are listed too: a valid sample for us must be valid there.

    python -m benchmarks.crosscheck_opinfo            # all entries
    python -m benchmarks.crosscheck_opinfo exp sum    # some entries
"""

from __future__ import annotations

import operator
import sys
import warnings

import numpy as np

from tinygrad_np.testing import opinfo

TORCH_KWARGS = {"axis": "dim", "keepdims": "keepdim", "ddof": "correction"}


def torch_callable(torch, spelling):
    if spelling == "Tensor.__getitem__":
        return operator.getitem
    if spelling == "Tensor.__setitem__":
        return lambda t, index, value: (operator.setitem(t, index, value), t)[1]
    if spelling == "Tensor.T":
        return lambda t: t.T
    owner = torch
    parts = spelling.split(".")
    if parts[0] == "torch":
        parts = parts[1:]
    elif parts[0] == "Tensor":
        owner, parts = torch.Tensor, parts[1:]
    for p in parts:
        owner = getattr(owner, p)
    return owner


def to_torch(torch, value):
    if isinstance(value, opinfo.Raw):
        value = value.value
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, list):
        return [to_torch(torch, v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_torch(torch, v) for v in value)
    if isinstance(value, (np.dtype, type)) or (isinstance(value, str) and value in np.sctypeDict):
        return getattr(torch, np.dtype(value).name)
    return value


def run_torch(torch, op, sample):
    fn = torch_callable(torch, op.torch)
    args = [to_torch(torch, a) for a in sample.args]
    kwargs = {TORCH_KWARGS.get(k, k): to_torch(torch, v) for k, v in sample.kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = fn(*args, **kwargs)
        except TypeError:
            # torch.maximum(t, 2) wants tensors where we take numbers: a 0-d tensor of a number promotes
            # like the number itself (it is of the same category and never upcasts a dimensioned tensor)
            if not any(isinstance(a, (bool, int, float)) for a in args):
                raise
            out = fn(*[torch.tensor(a) if isinstance(a, (bool, int, float)) else a for a in args], **kwargs)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return tuple(o.detach().numpy() if hasattr(o, "detach") else np.asarray(o) for o in outs)


def ours(op, sample):
    out, _, _ = opinfo._run_variant(op.op, sample)
    return tuple(o.data for o in opinfo._outputs(out))


def same(a, b, dtype, op):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if dtype.kind != "f":
        return np.array_equal(a.astype(np.float64), b.astype(np.float64), equal_nan=True)
    rtol, atol = op.tolerance(dtype)
    with np.errstate(all="ignore"):
        return bool(np.isclose(a.astype(np.float64), b.astype(dtype).astype(np.float64), rtol=rtol, atol=atol,
                               equal_nan=True).all())


def check(torch, op, problems):
    for dtype in op.dtypes:
        for sample in op.samples(dtype):
            if sample.extension:
                continue
            where = f"{op.name} {dtype} {sample.describe()}"
            try:
                theirs = run_torch(torch, op, sample)
            except Exception as e:  # noqa: BLE001
                problems["torch rejects"].append(f"{where}: {type(e).__name__}: {str(e)[:100]}")
                continue
            args = sample.op_args(opinfo._tensor_of)
            rule = op.expected_dtype(args, sample.kwargs)
            rule = rule if isinstance(rule, tuple) else (rule,) * len(theirs)
            if tuple(str(d) for d in rule) != tuple(str(t.dtype) for t in theirs):
                problems["table dtype"].append(f"{where}: rule {[str(d) for d in rule]}, torch "
                                               f"{[str(t.dtype) for t in theirs]}")
            if op.ref is not None:
                try:
                    expected = opinfo.reference(op, sample)
                    if len(expected) != len(theirs) or not all(same(t, e, t.dtype, op) for t, e in
                                                                zip(theirs, expected)):
                        problems["table values"].append(f"{where}: reference {expected}, torch {theirs}")
                except Exception as e:  # noqa: BLE001
                    problems["table values"].append(f"{where}: the reference raised {type(e).__name__}: {e}")
            try:
                mine = ours(op, sample)
            except Exception as e:  # noqa: BLE001
                problems["library raises"].append(f"{where}: {type(e).__name__}: {str(e)[:100]}")
                continue
            if tuple(str(m.dtype) for m in mine) != tuple(str(t.dtype) for t in theirs):
                problems["library dtype"].append(f"{where}: ours {[str(m.dtype) for m in mine]}, torch "
                                                 f"{[str(t.dtype) for t in theirs]}")
            if len(mine) != len(theirs) or not all(same(m, t, t.dtype, op) for m, t in zip(mine, theirs)):
                problems["library values"].append(f"{where}: ours {mine}, torch {theirs}")
    for sample, expected in op.kink_grads:
        where = f"{op.name} kink {sample.describe()}"
        leaves = []

        def leaf(a, leaves=leaves):
            t = torch.from_numpy(a.copy())
            if a.dtype.kind == "f" and len(leaves) not in op.nondiff:
                t.requires_grad_(True)
            leaves.append(t)
            return t

        args = [opinfo._walk(a, leaf) if not isinstance(a, opinfo.Raw) else to_torch(torch, a) for a in sample.args]
        fn = torch_callable(torch, op.torch)
        out = fn(*args, **{TORCH_KWARGS.get(k, k): v for k, v in sample.kwargs.items()})
        out = out[0] if isinstance(out, tuple) else out
        diff = [t for t in leaves if t.requires_grad]
        try:
            grads = torch.autograd.grad(out, diff, grad_outputs=torch.ones_like(out), allow_unused=True)
        except RuntimeError as e:
            problems["table kinks"].append(f"{where}: torch raises {e}")
            continue
        for i, (g, e) in enumerate(zip(grads, opinfo._outputs(expected))):
            got = np.zeros(diff[i].shape) if g is None else g.numpy()
            if not np.allclose(got, e, rtol=1e-7, atol=1e-15, equal_nan=True):  # (some use float32 constants)
                problems["table kinks"].append(f"{where}: input {i}: table {np.asarray(e)}, torch {got}")
    for case in op.errors:
        where = f"{op.name} error {case.sample.describe()}"
        try:
            run_torch(torch, op, case.sample)
        except case.error:
            continue
        except Exception as e:  # noqa: BLE001
            problems["table errors"].append(f"{where}: torch raises {type(e).__name__}, the table says "
                                            f"{case.error}")
            continue
        problems["table errors"].append(f"{where}: torch raises nothing")


def main(names):
    import torch

    torch.set_default_dtype(torch.float32)
    problems = {k: [] for k in ("torch rejects", "table dtype", "table values", "table kinks", "table errors",
                                "library raises",
                                "library dtype", "library values")}
    entries = [op for op in opinfo.op_db() if op.torch and (not names or op.name in names)]
    for op in entries:
        check(torch, op, problems)
    for kind, lines in problems.items():
        print(f"== {kind}: {len(lines)}")
        for line in lines:
            print("  " + line.replace("\n", " ")[:400])
    print(f"{len(entries)} entries checked against PyTorch {torch.__version__}")


if __name__ == "__main__":
    main(sys.argv[1:])
