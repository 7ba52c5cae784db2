"""Draw the graphs of two small networks after training, with names, values and gradients.

    python examples/visualize.py                 # SVGs in outputs/visualize/
    python examples/visualize.py --out pics --fast

Writes, for the XOR MLP (2-8-1) and a small CNN on scikit-learn's 8x8 digits:
  xor_mlp.svg            every op, grouped by module, with parameter values and gradients
  xor_mlp_backward.svg   the gradient (shape, norm) flowing back along each edge
  digits_cnn.svg         the CNN's ops grouped by layer
  digits_cnn_layers.svg  the same CNN folded to one box per layer (depth=1)
Needs Graphviz's `dot` program (apt-get install graphviz / brew install graphviz).
"""

import argparse
import sys
from pathlib import Path

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim
from tinygrad_np._training import add_threads_option, blas_threads
from tinygrad_np.viz import GraphvizNotFoundError, draw_graph, render


def xor_graphs(steps: int) -> dict:
    tg.manual_seed(0)
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        F.binary_cross_entropy(model(x), y).backward()
        opt.step()
    # the step that is drawn: forward, then the backward view while the graph is intact, then backward
    opt.zero_grad()
    pred = model(x)
    loss = F.binary_cross_entropy(pred, y)
    names = {"x": x, "y": y, "pred": pred, "loss": loss}
    backward_view = draw_graph(loss, names=names, model=model, backward=True, title=f"XOR after {steps} steps")
    loss.backward()
    print(f"XOR: loss {loss.item():.4f} after {steps} steps, predictions {np.round(pred.data.ravel(), 2)}")
    return {
        "xor_mlp": draw_graph(loss, names=names, model=model, show_data=True, title=f"XOR after {steps} steps"),
        "xor_mlp_backward": backward_view,
    }


def digits_graphs(steps: int, batch_size: int) -> dict:
    from tinygrad_np.data import digits

    tg.manual_seed(0)
    (X, labels), _ = digits(flatten=False)
    X = X.reshape(-1, 1, 8, 8)
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 3 * 3, 10))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    for _ in range(steps + 1):  # the last step's forward/backward is the one drawn
        idx = rng.choice(len(X), size=batch_size, replace=False)
        images, targets = X[idx], labels[idx]
        opt.zero_grad()
        logits = model(images)
        loss = F.cross_entropy(logits, targets)
        loss.backward()
        if _ < steps:
            opt.step()
    print(f"digits CNN: batch loss {loss.item():.4f} after {steps} steps (batch {batch_size})")
    names = {"images": images, "targets": targets, "logits": logits, "loss": loss}
    title = f"digits CNN after {steps} steps"
    return {
        "digits_cnn": draw_graph(loss, names=names, model=model, rankdir="TB", title=title),
        "digits_cnn_layers": draw_graph(loss, names=names, model=model, depth=1, title=title),
    }


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description="Draw the XOR MLP and a digits CNN after training.")
    parser.add_argument("--out", type=Path, default=Path("outputs/visualize"), help="folder for the SVGs")
    parser.add_argument("--fast", action="store_true", help="one training step and a small batch (for tests)")
    add_threads_option(parser)
    args = parser.parse_args(argv)
    with blas_threads(args.threads):  # small matrices: one BLAS thread is fastest, and robust to busy cores
        return draw(args)


def draw(args) -> list:
    graphs = {**xor_graphs(1 if args.fast else 300), **digits_graphs(1 if args.fast else 30, 8 if args.fast else 64)}
    try:
        written = [render(graph, args.out / f"{name}.svg") for name, graph in graphs.items()]
    except GraphvizNotFoundError as e:
        sys.exit(str(e))
    print("wrote " + ", ".join(written))
    return written


if __name__ == "__main__":
    main()
