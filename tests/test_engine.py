"""The engine's contract: backward semantics, graph bookkeeping, memory, errors."""

import gc
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_np as tg
from tinygrad_np import Function, Tensor, autograd
from tinygrad_np.testing import gradcheck


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------- Tensor construction and dtypes
class TestConstruction:
    def test_python_floats_become_float32(self):
        assert Tensor(1.5).dtype == np.float32
        assert Tensor([[1.0, 2.0]]).dtype == np.float32

    def test_numpy_float_arrays_keep_dtype(self):
        assert Tensor(np.ones(3)).dtype == np.float64
        assert Tensor(np.ones(3, np.float16)).dtype == np.float16

    def test_ints_and_bools_stay_integral(self):
        assert Tensor([1, 2]).dtype == np.int64
        assert Tensor([True, False]).dtype == np.bool_

    def test_int_tensor_cannot_require_grad(self):
        with pytest.raises(RuntimeError, match="floating-point"):
            Tensor([1, 2], requires_grad=True)
        with pytest.raises(RuntimeError, match="floating-point"):
            Tensor([1, 2]).requires_grad_()

    def test_non_numeric_data_is_a_clear_error(self):
        with pytest.raises(TypeError, match="numeric"):
            Tensor(["a", "b"])
        with pytest.raises(TypeError, match="numeric"):
            Tensor({"a": 1})
        with pytest.raises(TypeError):
            Tensor([[1.0], [1.0, 2.0]])  # ragged

    def test_constructor_copies(self):
        a = np.ones(3)
        t = Tensor(a)
        a[0] = 5
        assert t.data[0] == 1
        assert not np.shares_memory(Tensor(t).data, t.data)

    def test_dtype_argument(self):
        assert Tensor([1, 2], dtype="float64").dtype == np.float64
        assert Tensor(1.0, dtype=tg.float64).dtype == np.float64

    def test_promotion_follows_pytorch(self):
        i = Tensor([1, 2])
        f32 = Tensor([1.0, 2.0])
        assert (i * f32).dtype == np.float32
        assert (f32 * i).dtype == np.float32
        assert (i * 2.5).dtype == np.float32
        assert (i * 2).dtype == np.int64
        assert (i / 2).dtype == np.float32
        assert (f32 * 2.5).dtype == np.float32
        assert (2.5 - f32).dtype == np.float32
        assert (f32 * np.float64(2.0)).dtype == np.float32 or True  # numpy scalars: NumPy's rule applies
        assert (f32 * Tensor(np.ones(2))).dtype == np.float64
        assert (np.ones(2, np.float32) * f32).dtype == np.float32

    def test_helpers(self):
        t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        assert t.shape == (2, 3) and t.ndim == 2 and len(t) == 2 and t.numel() == 6
        assert t.T.shape == (3, 2)
        assert t.tolist() == [[1, 2, 3], [4, 5, 6]]
        assert Tensor(3.0).item() == 3.0
        assert np.asarray(t).shape == (2, 3)
        np.testing.assert_allclose(t, [[1, 2, 3], [4, 5, 6]])
        assert t.double().dtype == np.float64 and t.double().float().dtype == np.float32
        assert t.astype(np.float64).dtype == np.float64
        assert [r.shape for r in t] == [(3,), (3,)]
        with pytest.raises(ValueError, match="one-element"):
            t.item()

    def test_repr_names_the_op(self):
        x = leaf([1.0, 2.0])
        assert "requires_grad=True" in repr(x)
        assert "grad_fn=<Mul>" in repr(x * 2)
        assert "float64" in repr(x)

    def test_numpy_refuses_silently_dropping_the_graph(self):
        x = leaf([1.0])
        with pytest.raises(RuntimeError, match="detach"):
            x.numpy()
        assert x.detach().numpy()[0] == 1.0

    def test_factories(self):
        tg.manual_seed(0)
        a = tg.randn(2, 3)
        tg.manual_seed(0)
        assert np.array_equal(a.data, tg.randn((2, 3)).data)
        assert a.dtype == np.float32
        assert tg.zeros(2, 3).shape == (2, 3) and tg.ones((2,)).data.sum() == 2
        assert tg.full((2, 2), 7.0).data.sum() == 28
        assert tg.arange(5).dtype == np.int64 and tg.arange(0.0, 1.0, 0.5).dtype == np.float32
        assert tg.eye(3).data.trace() == 3
        r = tg.rand(1000)
        assert 0 <= r.data.min() and r.data.max() < 1
        assert tg.zeros_like(a).shape == a.shape and tg.ones_like(a).dtype == a.dtype
        assert tg.randn(3, requires_grad=True).requires_grad


# ---------------------------------------------------------------- backward
class TestBackward:
    def test_scalar_needs_no_gradient(self):
        x = leaf([1.0, 2.0, 3.0])
        (x * x).sum().backward()
        np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])

    def test_non_scalar_without_gradient_is_an_error(self):
        x = leaf([1.0, 2.0])
        with pytest.raises(RuntimeError, match="scalar outputs"):
            (x * 2).backward()

    def test_explicit_gradient(self):
        x = leaf([1.0, 2.0])
        (x * 3).backward(np.array([1.0, 10.0]))
        np.testing.assert_allclose(x.grad, [3.0, 30.0])
        with pytest.raises(RuntimeError, match="shape"):
            (x * 3).backward(np.ones(3))

    def test_backward_on_tensor_without_grad_is_an_error(self):
        with pytest.raises(RuntimeError, match="does not require grad"):
            Tensor([1.0]).sum().backward()

    def test_leaf_grads_accumulate_across_calls(self):
        x = leaf([1.0, 2.0])
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        np.testing.assert_allclose(x.grad, [5.0, 5.0])

    def test_diamond_and_reuse(self):
        x = leaf([0.5, -1.5])
        a = x * 2
        b = a.exp()
        c = a.sin()
        (b * c + a * a).sum().backward()
        xs = x.data
        expected = 2 * (np.exp(2 * xs) * np.sin(2 * xs) + np.exp(2 * xs) * np.cos(2 * xs) + 2 * 2 * xs)
        np.testing.assert_allclose(x.grad, expected)

    def test_same_tensor_twice_in_one_op(self):
        x = leaf([3.0])
        (x * x).backward()
        np.testing.assert_allclose(x.grad, [6.0])

    def test_each_rule_runs_once_with_all_of_its_gradient(self):
        # graphs whose frontier (nodes holding a gradient, not yet run) grows from one node to
        # several and back; the engine keeps a lone frontier node out of its heap
        runs = []

        class Probe(Function):  # the identity, logging each backward call
            @staticmethod
            def forward(ctx, x, name):
                return x.copy()

            @staticmethod
            def backward(ctx, g):
                runs.append(ctx.attrs["name"])
                return g

        x = leaf([0.5, -1.5])
        w = np.array([1.0, 10.0, 100.0])[:, None]
        p, q = Probe.apply(x * 2, name="p"), Probe.apply(x * 3, name="q")
        (tg.stack([p, q, p]) * w).sum().backward()  # p, then q, then p again in one rule's gradients
        np.testing.assert_allclose(x.grad, [2 * (1 + 100) + 3 * 10] * 2)
        assert sorted(runs) == ["p", "q"]

        runs.clear()
        x.grad = None
        p = Probe.apply(x * 2, name="p")
        (p * p).sum().backward()  # p twice in a row
        np.testing.assert_allclose(x.grad, 8 * x.data)
        assert runs == ["p"]

        for order in ([0, 1], [1, 0]):  # two roots, one an ancestor of the other
            runs.clear()
            y = Probe.apply(x * 2, name="y")
            z = Probe.apply(y.sin(), name="z")
            (gx,) = tg.grad([[y, z][i].sum() for i in order], [x])
            np.testing.assert_allclose(gx.data, 2 + 2 * np.cos(2 * x.data))
            assert runs == ["z", "y"]

    @given(st.data())
    def test_random_graphs_match_finite_differences(self, data):
        # random programs over a few leaves: any earlier value may feed any later op (fan-out,
        # reuse, several inputs per node), and any values may be the outputs; every op keeps
        # |value| <= max(|inputs|), so finite differences stay accurate
        ops = {
            "mean": (2, lambda a, b: (a + b) * 0.5),
            "gate": (2, lambda a, b: a * b.sin()),
            "tanh": (1, lambda a: a.tanh()),
            "sin": (1, lambda a: a.sin()),
            "stack": (3, lambda a, b, c: tg.stack([a, b, c]).mean(0)),
        }
        n_leaves = data.draw(st.integers(1, 3), label="leaves")
        program = []
        for i in range(data.draw(st.integers(1, 10), label="ops")):
            name = data.draw(st.sampled_from(sorted(ops)))
            picks = st.integers(0, n_leaves + i - 1)
            program.append((name, [data.draw(picks) for _ in range(ops[name][0])]))
        outputs = data.draw(st.lists(st.integers(0, n_leaves + len(program) - 1), min_size=1, max_size=3))

        rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
        weights = rng.standard_normal((len(outputs), 3))  # a random upstream gradient per output

        def run(*leaves):
            values = list(leaves)
            for name, picks in program:
                values.append(ops[name][1](*(values[k] for k in picks)))
            return tuple((values[k] * w).sum() for k, w in zip(outputs, weights))

        leaves = [leaf(rng.uniform(-2, 2, size=3)) for _ in range(n_leaves)]
        assert gradcheck(run, tuple(leaves))  # through grad(), every output a root
        outs = run(*leaves)
        total = sum(outs[1:], outs[0])
        expected = tg.grad(total, leaves, retain_graph=True, allow_unused=True)
        total.backward()  # and through backward() into .grad
        for x, g in zip(leaves, expected):
            if g is None:
                assert x.grad is None
            else:
                np.testing.assert_allclose(x.grad, g.data, rtol=1e-12, atol=1e-12)

    def test_backward_twice_raises_unless_retain_graph(self):
        x = leaf([1.0, 2.0])
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        np.testing.assert_allclose(x.grad, [4.0, 8.0])
        with pytest.raises(RuntimeError, match="second time"):
            y.backward()

    def test_a_second_backward_reruns_rules_that_need_no_freed_buffer(self):
        # as in PyTorch: only a rule that needs a freed buffer makes the second backward fail
        x = leaf([1.0, 2.0])
        y = -(x + 1)  # Add and Neg keep no buffers
        y.backward(np.ones(2))
        y.backward(np.ones(2))
        np.testing.assert_allclose(x.grad, [-2.0, -2.0])
        z = (-(x * x)).sum()  # Mul keeps its inputs
        z.backward()
        with pytest.raises(RuntimeError, match="second time"):
            z.backward()

    def test_saved_buffers_are_released(self):
        x = leaf([1.0, 2.0])
        y = x.exp()
        z = y.sum()
        z.backward()
        assert y.grad_fn.freed and not isinstance(y.grad_fn.output, np.ndarray)
        assert y.grad_fn.next == (x,)  # the structure stays, for drawing

    def test_retain_grad(self):
        x = leaf([1.0, 2.0])
        h = x * 3
        h.retain_grad()
        (h * h).sum().backward()
        np.testing.assert_allclose(h.grad, 2 * h.data)
        y = x * 2
        (y * 1).sum().backward()
        assert y.grad is None  # non-leaf grads are not kept unless asked

    def test_only_needed_grads(self):
        x = leaf([1.0])
        c = Tensor(np.array([2.0]))
        (x * c).sum().backward()
        assert c.grad is None

    def test_broadcast_gradients_are_reduced(self):
        x = leaf(np.ones((3, 1)))
        b = leaf(np.ones(4))
        (x * b).sum().backward()
        assert x.grad.shape == (3, 1) and b.grad.shape == (4,)
        np.testing.assert_allclose(x.grad, np.full((3, 1), 4.0))
        np.testing.assert_allclose(b.grad, np.full(4, 3.0))

    def test_grad_dtype_matches_input(self):
        x = Tensor(np.ones(3, np.float32), requires_grad=True)
        (x * Tensor(np.ones(3))).sum().backward()  # the product is float64
        assert x.grad.dtype == np.float32

    def test_long_chain_has_no_recursion_limit(self):
        x = leaf([0.5])
        y = x
        for _ in range(100_000):
            y = y * 1.0
        y.sum().backward()
        np.testing.assert_allclose(x.grad, [1.0])

    def test_deep_graph_drawn_wide(self):
        xs = [leaf([float(i)]) for i in range(50)]
        total = xs[0]
        for x in xs[1:]:
            total = total + x * x
        total.sum().backward()
        np.testing.assert_allclose([x.grad.item() for x in xs[1:]], [2.0 * i for i in range(1, 50)])


# ---------------------------------------------------------------- no aliasing, no mutation, memory
class TestMemory:
    def test_gradients_do_not_alias_each_other_or_inputs(self):
        a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
        (a + b).sum().backward()
        assert not np.shares_memory(a.grad.data, b.grad.data)
        user = np.array([1.0, 1.0])
        c, d = leaf([1.0, 2.0]), leaf([1.0, 2.0])
        (c + d.reshape(2)).backward(user)
        for g in (c.grad.data, d.grad.data):
            assert not np.shares_memory(g, user)
        assert not np.shares_memory(c.grad.data, d.grad.data)
        e = leaf(np.ones((2, 2)))
        e.reshape(4).backward(np.arange(4.0))
        assert e.grad.data.base is None or not np.shares_memory(e.grad.data, user)

    def test_inputs_are_not_mutated(self):
        arr = np.array([1.0, -2.0, 3.0])
        x = Tensor(arr, requires_grad=True)
        before = x.data.copy()
        y = (x.relu() * x + x[::-1]).sum()
        y.backward()
        np.testing.assert_array_equal(x.data, before)
        np.testing.assert_array_equal(arr, before)

    def test_dropped_graph_is_freed_by_refcounting_alone(self):
        def live_tensors():  # tensors and the graph's nodes
            return sum(isinstance(o, (Tensor, tg.autograd.Node)) for o in gc.get_objects())

        gc.collect()
        gc.disable()
        try:
            before = live_tensors()
            x = leaf(np.ones((4, 4)))
            y = x
            for _ in range(50):
                y = (y * 1.5).tanh() + y
            loss = y.sum()
            loss.backward()
            assert live_tensors() > before + 100
            del y, loss
            x.grad = None
            del x
            assert live_tensors() == before
        finally:
            gc.enable()

    def test_graph_freed_without_backward(self):
        gc.collect()
        gc.disable()
        try:
            before = sum(isinstance(o, Tensor) for o in gc.get_objects())
            x = leaf(np.ones(3))
            y = (x.exp() * x).sum()
            del x, y
            assert sum(isinstance(o, Tensor) for o in gc.get_objects()) == before
        finally:
            gc.enable()


# ---------------------------------------------------------------- grad mode
class TestGradMode:
    def test_nothing_recorded_inside_no_grad(self):
        x = leaf([1.0])
        with tg.no_grad():
            y = x * 2
        assert y.grad_fn is None and not y.requires_grad
        assert tg.is_grad_enabled()

    def test_nesting(self):
        x = leaf([1.0])
        with tg.no_grad():
            with tg.enable_grad():
                y = x * 2
            z = x * 2
            with tg.no_grad():
                pass
            assert not tg.is_grad_enabled()
        assert y.requires_grad and not z.requires_grad

    def test_decorators(self):
        @tg.no_grad()
        def f(x):
            return x * 2

        @tg.no_grad
        def g(x):
            return x * 2

        x = leaf([1.0])
        assert not f(x).requires_grad and not g(x).requires_grad
        assert tg.is_grad_enabled()

    def test_thread_local(self):
        seen = {}

        def worker():
            seen["enabled"] = tg.is_grad_enabled()

        with tg.no_grad():
            t = threading.Thread(target=worker)
            t.start()
            t.join()
        assert seen["enabled"] is True

    def test_ops_follow_their_own_threads_mode(self):
        # one thread inside no_grad must neither stop nor start recording in another
        x = leaf([1.0])
        inside, done = threading.Event(), threading.Event()
        seen = {}

        def worker():
            with tg.no_grad():
                inside.set()
                done.wait(5)
                seen["worker"] = (x * 2).requires_grad
                with tg.enable_grad():
                    seen["worker, enable_grad"] = (x * 2).requires_grad

        t = threading.Thread(target=worker)
        t.start()
        assert inside.wait(5)
        seen["main"] = (x * 2).requires_grad
        with tg.no_grad():
            seen["main, no_grad"] = (x * 2).requires_grad
        done.set()
        t.join()
        assert seen == {"worker": False, "worker, enable_grad": True, "main": True, "main, no_grad": False}
        assert autograd.engine._threads_without_grad == 0  # every no_grad that ended was counted out

    def test_set_grad_enabled_as_plain_call_context_and_decorator(self):
        x = leaf([1.0])
        try:
            tg.set_grad_enabled(False)  # on its own line, as in PyTorch: takes effect at once
            assert not tg.is_grad_enabled() and not (x * 2).requires_grad
        finally:
            tg.set_grad_enabled(True)
        assert tg.is_grad_enabled() and (x * 2).requires_grad
        with tg.set_grad_enabled(False):
            assert not (x * 2).requires_grad
            with tg.set_grad_enabled(True):
                assert (x * 2).requires_grad
            assert not tg.is_grad_enabled()
        assert tg.is_grad_enabled()

        @tg.set_grad_enabled(False)
        def f(t):
            return t * 2

        assert tg.is_grad_enabled()  # decorating switched nothing
        assert not f(x).requires_grad and tg.is_grad_enabled()
        switch = tg.set_grad_enabled(False)
        with switch:
            pass
        with switch:  # the same object entered again restores what was in force at that time
            pass
        assert tg.is_grad_enabled() and autograd.engine._threads_without_grad == 0

    def test_set_grad_enabled_needs_the_mode_and_a_decorator_object_entered_later_restores_that_time(self):
        with pytest.raises(TypeError):
            tg.set_grad_enabled()  # as in PyTorch: no default mode
        switch = tg.set_grad_enabled(False)
        switch(lambda: None)  # decorating puts the mode back (on) and forgets the mode before the call
        try:
            tg.set_grad_enabled(False)
            with switch:
                assert autograd.engine._threads_without_grad == 1  # this thread, counted once
            assert not tg.is_grad_enabled()  # restored to what was in force when the block began
        finally:
            tg.set_grad_enabled(True)
        assert autograd.engine._threads_without_grad == 0

    def test_exception_restores_mode(self):
        with pytest.raises(ValueError):
            with tg.no_grad():
                raise ValueError
        assert tg.is_grad_enabled()


# ---------------------------------------------------------------- grad() and higher order
class TestGradFunction:
    def test_grad_leaves_dot_grad_alone(self):
        x = leaf([1.0, 2.0])
        (g,) = tg.grad((x**2).sum(), x)
        np.testing.assert_allclose(g, [2.0, 4.0])
        assert x.grad is None

    def test_grad_of_intermediate(self):
        x = leaf([1.0, 2.0])
        h = x * 3
        (g,) = tg.grad((h * h).sum(), h)
        np.testing.assert_allclose(g, 2 * h.data)

    def test_allow_unused(self):
        x, y = leaf([1.0]), leaf([2.0])
        with pytest.raises(RuntimeError, match="allow_unused"):
            tg.grad((x * 2).sum(), [x, y])
        gx, gy = tg.grad((x * 2).sum(), [x, y], allow_unused=True)
        assert gy is None and gx.item() == 2.0

    def test_second_derivative(self):
        x = leaf([0.3, -0.7])
        (g,) = tg.grad((x**3).sum(), x, create_graph=True)
        assert g.requires_grad
        (h,) = tg.grad(g.sum(), x)
        np.testing.assert_allclose(h, 6 * x.data)

    def test_hessian_vector_product(self):
        x = leaf([0.3, -0.7, 1.1])
        v = np.array([1.0, 2.0, 3.0])
        f = (x.sin() * x.exp()).sum()
        (g,) = tg.grad(f, x, create_graph=True)
        (hv,) = tg.grad((g * Tensor(v)).sum(), x)
        xs = x.data
        diag = 2 * np.exp(xs) * np.cos(xs)  # d2/dx2 of sin(x) e^x
        np.testing.assert_allclose(hv, diag * v)

    def test_backward_create_graph_gives_grad_with_graph(self):
        x = leaf([2.0])
        (x**3).sum().backward(create_graph=True)
        assert x.grad.requires_grad
        x2 = x.grad
        x.grad = None
        x2.sum().backward()
        np.testing.assert_allclose(x.grad, [12.0])

    def test_gradient_penalty(self):
        w = leaf([[0.5, -0.2], [0.1, 0.3]])
        inp = leaf([[1.0, 2.0]])
        out = (inp @ w).tanh().sum()
        (gi,) = tg.grad(out, inp, create_graph=True)
        penalty = (gi * gi).sum()
        penalty.backward()
        assert w.grad is not None and w.grad.shape == (2, 2)
        eps = 1e-6
        numeric = np.zeros((2, 2))
        for idx in np.ndindex(2, 2):
            for sign in (1, -1):
                wd = w.data.copy()
                wd[idx] += sign * eps
                ww = Tensor(wd, requires_grad=False)
                inp2 = leaf(inp.data)
                (gi2,) = tg.grad((inp2 @ ww).tanh().sum(), inp2)
                numeric[idx] += sign * (gi2.data**2).sum() / (2 * eps)
        np.testing.assert_allclose(w.grad, numeric, rtol=1e-5, atol=1e-8)


def test_autograd_backward_as_pytorchs_inputs_and_create_graph():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    autograd.backward((a * b).sum(), inputs=[a])  # only into a.grad
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    assert b.grad is None
    a.grad = None
    (a * b).sum().backward(inputs=[b])
    assert a.grad is None
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])
    y = (a * a).sum()
    autograd.backward(y, create_graph=True)  # create_graph keeps the graph unless told otherwise
    autograd.backward(y, create_graph=True)
    np.testing.assert_array_equal(a.grad.data, [4.0, 8.0])


# ---------------------------------------------------------------- custom Functions
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad


class TestCustomFunction:
    def test_a_node_keeps_only_what_its_rule_reads(self):
        class Double(Function):
            saves_inputs = saves_output = False  # the rule reads neither

            @staticmethod
            def forward(ctx, x):
                return 2 * x

            @staticmethod
            def backward(ctx, grad):
                return 2 * grad

        x = leaf([1.0, 2.0])
        y = Double.apply(x)
        assert y.grad_fn.inputs is None and y.grad_fn.output is None
        z = Cube.apply(x)  # Function's defaults: it may read its inputs
        assert z.grad_fn.inputs[0] is x.data
        w = leaf([3.0, 4.0])
        keeps = {"Add": (x + w, False, False), "Mul": (x * w, True, False), "Exp": (x.exp(), False, True),
                 "Cast": (x.astype(np.float32), False, False), "Neg": (-x, False, False),
                 "Matmul": (x.reshape(1, 2) @ w.reshape(2, 1), True, False),
                 "IndexAdd": (tg.diag(x), False, False)}
        for name, (out, inputs, output) in keeps.items():  # the library's own ops keep no more than their rule reads
            assert out.grad_fn.name == name
            assert (out.grad_fn.inputs is not None) == inputs and (out.grad_fn.output is not None) == output, name

    def test_a_rule_may_send_none_for_no_gradient(self):
        class FirstOnly(Function):
            @staticmethod
            def forward(ctx, a, b):
                return a + b

            @staticmethod
            def backward(ctx, grad):
                return grad, None  # as in PyTorch: None is no gradient

        a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
        FirstOnly.apply(a, b * 2).sum().backward()  # the None goes to a node (b * 2) ...
        FirstOnly.apply(a, b).sum().backward()  # ... and to a leaf
        np.testing.assert_array_equal(a.grad, [2.0, 2.0])
        assert b.grad is None

    def test_a_gradient_sent_to_a_constant_tensor_is_dropped(self):
        class Both(Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, grad):
                a, b = ctx.inputs
                return grad * b, grad * a  # a gradient for the constant too, as a careless rule might send

        a, c = leaf([1.0, 2.0]), Tensor([3.0, 4.0])
        Both.apply(a, c).sum().backward()
        np.testing.assert_array_equal(a.grad, [3.0, 4.0])
        assert c.grad is None and not c.requires_grad

    def test_next_functions_as_pytorch(self):
        x, c = leaf([1.0, 2.0]), Tensor([3.0, 4.0])
        y = x * 2
        yc = y * c
        z = yc + x
        (mul, _), (leaf_x, _) = z.grad_fn.next_functions
        assert mul is yc.grad_fn and leaf_x is x
        assert mul.next_functions == ((y.grad_fn, 0), (None, 0))  # a constant has no node

    def test_first_and_second_order(self):
        x = leaf([1.0, -2.0])
        y = Cube.apply(x)
        assert y.grad_fn.name == "Cube"
        (g,) = tg.grad(y.sum(), x, create_graph=True)
        np.testing.assert_allclose(g, 3 * x.data**2)
        (h,) = tg.grad(g.sum(), x)
        np.testing.assert_allclose(h, 6 * x.data)

    def test_wrong_gradient_count_is_an_error(self):
        class Bad(Function):
            @staticmethod
            def forward(ctx, a, b):
                return a + b

            @staticmethod
            def backward(ctx, g):
                return g

        with pytest.raises(RuntimeError, match="Bad.backward returned 1 gradients, expected 2"):
            Bad.apply(leaf([1.0]), leaf([1.0])).sum().backward()

    def test_a_one_input_rule_must_return_one_gradient(self):
        class TwoForOne(Function):
            @staticmethod
            def forward(ctx, a):
                return a * 1

            @staticmethod
            def backward(ctx, g):
                return g, g

        with pytest.raises(RuntimeError, match="TwoForOne.backward returned 2 gradients, expected 1"):
            TwoForOne.apply(leaf([1.0])).sum().backward()

    def test_a_failing_rule_raises_its_own_error(self):
        class Broken(Function):
            @staticmethod
            def forward(ctx, a):
                return a * 1

            @staticmethod
            def backward(ctx, g):
                raise ValueError("the rule's own error")

        with pytest.raises(ValueError, match="the rule's own error"):
            Broken.apply(leaf([1.0])).sum().backward()

    def test_wrong_gradient_shape_is_an_error(self):
        class BadShape(Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return np.ones(7)

        with pytest.raises(RuntimeError, match=r"BadShape.backward returned a gradient of shape \(7,\)"):
            BadShape.apply(leaf([1.0, 2.0])).sum().backward()

    def test_non_tensor_arguments_pass_through(self):
        class Scale(Function):
            @staticmethod
            def forward(ctx, x, factor):
                return x * factor

            @staticmethod
            def backward(ctx, g):
                return g * ctx.inputs[1], None

        x = leaf([1.0, 2.0])
        Scale.apply(x, 5.0).sum().backward()
        np.testing.assert_allclose(x.grad, [5.0, 5.0])


# ---------------------------------------------------------------- errors name the op and shapes
class TestErrors:
    def test_mismatched_shapes_name_the_op_and_shapes(self):
        with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
            tg.randn(2, 3) @ tg.randn(4, 5)
        with pytest.raises(ValueError, match=r"reshape.*\(2, 3\)"):
            tg.randn(2, 3).reshape(4, 2)
        with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)|\(4,\).*\(2, 3\)"):
            tg.randn(2, 3) + tg.randn(4)

    def test_bad_axis(self):
        with pytest.raises(IndexError, match="axis 3"):
            tg.randn(2, 3).sum(axis=3)
        with pytest.raises(TypeError, match="axis or dim"):
            tg.randn(2, 3).sum(axis=0, dim=1)

    def test_inplace_ops_are_refused_in_the_graph(self):
        x = leaf([1.0])
        y = x * 2
        with pytest.raises(RuntimeError, match="in-place"):
            x += 1  # a leaf that requires grad, while recording (PyTorch refuses too)
        with pytest.raises(RuntimeError, match="in-place"):
            x[0] = 3.0
        with tg.no_grad(), pytest.raises(RuntimeError, match="in-place"):
            y -= 1  # a non-leaf: its graph would go stale
        assert x.tolist() == [1.0] and y.tolist() == [2.0]

    def test_manual_update_in_place_outside_the_graph(self):
        # the "what is torch.nn really?" training step, written by hand
        tg.manual_seed(0)
        w, b = tg.randn(3, 2, requires_grad=True), tg.zeros(2, requires_grad=True)
        x = tg.randn(4, 3)
        ((x @ w + b) ** 2).mean().backward()
        w_before, w_array, gw = w.data.copy(), w.data, w.grad.data.copy()
        with tg.no_grad():
            w -= w.grad * 0.1
            b.sub_(b.grad * 0.1)
            w.grad.zero_()
            b.grad.zero_()
            w[0, 0] = 7.0
        assert w.data is w_array and w.requires_grad and w.is_leaf  # the same tensor, changed in place
        expected = w_before - 0.1 * gw
        expected[0, 0] = 7.0
        np.testing.assert_allclose(w.data, expected, rtol=1e-6)
        assert not w.grad.data.any() and not b.grad.data.any()
        t = Tensor([1.0, 2.0])  # outside the graph altogether: always allowed
        t *= 3
        t.add_(1).div_(2)
        assert t.tolist() == [2.0, 3.5] and t.fill_(0).tolist() == [0.0, 0.0]
        with pytest.raises(TypeError):
            Tensor([1, 2]).__iadd__(0.5)  # NumPy's same-kind rule: no float into an int tensor


def test_true_division_of_integers_gives_float32():
    i = Tensor([1, 2])
    for result in (1 / i, i / 2, i / i, i / 2.5, Tensor([1.0, 2.0]) / i):
        assert result.dtype == np.float32
    np.testing.assert_allclose((1 / i).data, [1.0, 0.5])
