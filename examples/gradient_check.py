"""Gradient checking: the seed notebook's section 7, with tinygrad_np.testing.gradcheck.

    python examples/gradient_check.py
    python examples/gradient_check.py --fast     # gradcheck's fast mode (random projections)

Backward computes the gradient analytically, with the chain rule; central differences
(f(w + h) - f(w - h)) / 2h estimate it numerically. If the two agree, backward is right.
Finite differences need float64: the network is converted with .double().
"""

import argparse

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np._training import add_threads_option, blas_threads
from tinygrad_np.testing import gradcheck


def numerical_gradient(loss_fn, param: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """d loss / d param by central differences, one element at a time (as in the seed notebook)."""
    grad = np.zeros_like(param)
    for idx in np.ndindex(param.shape):
        original = param[idx]
        param[idx] = original + h
        plus = loss_fn()
        param[idx] = original - h
        minus = loss_fn()
        param[idx] = original
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Check the gradients of the seed's 2-3-1 sigmoid network.")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fast", action="store_true", help="gradcheck's fast mode instead of full Jacobians")
    add_threads_option(parser)
    args = parser.parse_args(argv)
    with blas_threads(args.threads):  # small matrices: one BLAS thread is fastest, and robust to busy cores
        return check(args)


def check(args) -> dict:
    tg.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid()).double()
    model.eval()  # a gradient check needs a deterministic function: no dropout (none here, but the habit helps)
    x = tg.tensor([[0.5, 0.3]], dtype="float64")
    y = tg.tensor([[0.8]], dtype="float64")

    # 1. gradcheck: the loss w.r.t. the input x and every parameter of the model, entry by entry
    ok = gradcheck(lambda x: F.mse_loss(model(x), y), x.detach().requires_grad_(), names=["x"],
                   params=model.named_parameters(), fast_mode=args.fast)
    print(f"gradcheck of the loss w.r.t. x, {', '.join(n for n, _ in model.named_parameters())}: "
          f"{'passed' if ok else 'FAILED'}")

    # 2. the seed notebook's check: backward's gradient of the first weight vs central differences
    loss = F.mse_loss(model(x), y)
    loss.backward()
    weight = model[0].weight  # (out, in) = (3, 2): the transpose of the seed's W
    analytical = weight.grad.numpy()
    with tg.no_grad():
        numerical = numerical_gradient(lambda: F.mse_loss(model(x), y).item(), weight.data)
    rel_error = np.abs(analytical - numerical) / (np.abs(analytical) + np.abs(numerical) + 1e-8)
    print(f"\nanalytical gradient (backward):\n{analytical}")
    print(f"numerical gradient (central differences):\n{numerical}")
    print(f"max relative error: {rel_error.max():.2e}")
    passed = bool(rel_error.max() < 1e-5)
    print("gradient check PASSED" if passed else "gradient check FAILED")

    # 3. gradcheck catches a real bug: detach() cuts the graph, so backward misses half of d(x*x)/dx
    caught = not gradcheck(lambda t: (t * t.detach()).sum(), tg.randn(3, dtype="float64", requires_grad=True),
                           raise_exception=False)
    print(f"\na buggy function (x * x.detach()) is {'caught' if caught else 'NOT caught'} by gradcheck")
    return {"gradcheck": ok, "max_rel_error": float(rel_error.max()), "passed": passed,
            "bug_caught": caught}


if __name__ == "__main__":
    main()
