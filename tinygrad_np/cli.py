"""The ``tinygrad-np`` command.

    tinygrad-np demo [--model mlp|cnn] [--epochs N] [--out DIR] [--fast]   # outputs/demo/ or outputs/demo_cnn/
    tinygrad-np graph [--model mlp|cnn] [--out PATH] [--format svg|png|pdf] [--depth N]
    tinygrad-np gradcheck
    tinygrad-np explain [--model xor|mlp|cnn] [--lang en|ko] [--out PATH] [--open]

``demo`` trains a network on scikit-learn's 8x8 digits and writes its curves and the picture of its
graph; ``graph`` draws the demo model's graph; ``gradcheck`` checks the gradients of a few layers
and losses against finite differences; ``explain`` writes a web page that steps through one
backward pass (the seed's XOR network by default) and prints it as a table.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__

MODELS = ("mlp", "cnn")
DEFAULT_EPOCHS = {"mlp": 40, "cnn": 20}
DEMO_OUT = {"mlp": "outputs/demo", "cnn": "outputs/demo_cnn"}  # one folder per model: neither overwrites the other


def build_model(kind: str):
    """The demo's networks for 8x8 digits: an MLP on the 64 pixels, or a small CNN on (1, 8, 8) images."""
    from . import nn

    if kind == "mlp":
        return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 2 * 2, 10),
    )


def _draw(model, images, labels, **draw_kwargs):
    """Forward and backward one batch, then draw the graph grouped by the model's modules."""
    from .nn import functional as F
    from .viz import draw_graph

    model.zero_grad()
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    names = {"images": images, "labels": labels, "logits": logits, "loss": loss}
    return draw_graph(loss, names=names, model=model, **draw_kwargs)


def _render(graph, path: Path, fmt: str | None = None) -> tuple[str, bool]:
    """Write the picture; without Graphviz's ``dot``, say how to get it and return the .dot file instead."""
    from .viz import GraphvizNotFoundError, render

    try:
        return render(graph, path, format=fmt), True
    except GraphvizNotFoundError as e:
        print(f"note: {e}", file=sys.stderr)
        return str(Path(path).with_suffix(".dot")), False


# ----------------------------------------------------------------------------- demo
def demo(args) -> int:
    from ._training import blas_threads

    with blas_threads(1):  # small matrices: one BLAS thread is faster, and robust to busy cores
        return _demo(args)


def _demo(args) -> int:
    import tinygrad_np as tg

    from . import data, optim
    from ._training import accuracy, save_curves, trange
    from .data import DataLoader, TensorDataset
    from .nn import functional as F

    start = time.perf_counter()
    epochs = 3 if args.fast else (args.epochs or DEFAULT_EPOCHS[args.model])
    tg.manual_seed(args.seed)
    (X_train, y_train), (X_test, y_test) = data.digits(flatten=args.model == "mlp")
    if args.model == "cnn":
        X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)
    model = build_model(args.model)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    print(f"training a {args.model.upper()} on the 8x8 digits ({len(X_train)} training, {len(X_test)} test images), "
          f"{epochs} epochs")

    curves = {"loss": {"train": []}, "accuracy": {"train": [], "test": []}}
    for _ in (bar := trange(epochs, desc=f"demo {args.model}")):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        scheduler.step()
        curves["loss"]["train"].append(total / len(X_train))
        curves["accuracy"]["train"].append(accuracy(model, X_train, y_train))
        curves["accuracy"]["test"].append(accuracy(model, X_test, y_test))
        bar.set_postfix(loss=f"{curves['loss']['train'][-1]:.4f}", test_acc=f"{curves['accuracy']['test'][-1]:.3f}")

    out = Path(args.out or DEMO_OUT[args.model])
    curves_png = save_curves(curves, out / "curves.png", title=f"8x8 digits, {args.model.upper()}")
    tg.save(model.state_dict(), out / "model.npz")
    model.eval()  # draw the graph without dropout
    graph = _draw(model, X_test[:8], y_test[:8], rankdir="TB" if args.model == "cnn" else "LR",
                  title=f"demo {args.model.upper()}: one batch of 8 test images")
    picture, _ = _render(graph, out / "model_graph.svg")
    test_acc = curves["accuracy"]["test"][-1]
    print(f"test accuracy: {test_acc:.4f} ({round(test_acc * len(X_test))}/{len(X_test)})")
    print(f"wrote {curves_png}, {picture}, {out / 'model.npz'} in {time.perf_counter() - start:.1f} s")
    return 0


# ----------------------------------------------------------------------------- graph
def graph(args) -> int:
    import tinygrad_np as tg

    fmt = args.format or (Path(args.out).suffix.lstrip(".") if args.out else "") or "svg"
    path = Path(args.out or f"outputs/graph/{args.model}_graph").with_suffix("." + fmt)
    tg.manual_seed(0)
    model = build_model(args.model).eval()
    images = tg.rand(*((8, 64) if args.model == "mlp" else (8, 1, 8, 8)))
    labels = tg.arange(8)  # classes 0-7
    g = _draw(model, images, labels, depth=args.depth, rankdir="TB" if args.model == "cnn" else "LR",
              title=f"{args.model.upper()} for 8x8 digits, one batch of 8")
    written, ok = _render(g, path, fmt)
    print(f"wrote {written}")
    return 0 if ok else 1


# ----------------------------------------------------------------------------- gradcheck
def _checks():
    """(name, fn, inputs, params) for a few layers and losses, all in float64."""
    import tinygrad_np as tg

    from . import nn
    from .nn import functional as F

    tg.manual_seed(0)
    rng = np.random.default_rng(0)

    def t(*shape):
        return tg.tensor(rng.standard_normal(shape), requires_grad=True)

    labels = tg.tensor([0, 2, 1, 2])
    mlp = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    cnn = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(3 * 2 * 2, 3)).double()
    norm = nn.LayerNorm(6).double()
    return [
        ("Linear/Tanh MLP + cross_entropy", lambda x: F.cross_entropy(mlp(x), labels), (t(4, 5),), mlp),
        ("Conv2d/ReLU/MaxPool2d + cross_entropy", lambda x: F.cross_entropy(cnn(x), labels), (t(4, 2, 4, 4),), cnn),
        ("LayerNorm", lambda x: norm(x), (t(3, 6),), norm),
        ("softmax / log_softmax", lambda x: (F.softmax(x, -1), F.log_softmax(x, 0)), (t(3, 4),), None),
        ("sigmoid + mse_loss", lambda x, y: F.mse_loss(F.sigmoid(x), y), (t(3, 4), t(3, 4)), None),
        ("matmul + broadcasting add", lambda a, b, c: a @ b + c, (t(3, 4), t(4, 2), t(2)), None),
        ("sum / mean / max over axes", lambda x: (x.sum(axis=0), x.mean(axis=1), x.max(axis=1)), (t(3, 5),), None),
    ]


def gradcheck(args) -> int:
    from .testing import GradcheckError, gradgradcheck
    from .testing import gradcheck as check

    failures = 0
    print("first and second derivatives against central finite differences, in float64:")
    for name, fn, inputs, model in _checks():
        params = None if model is None else list(model.named_parameters())
        try:
            check(fn, inputs, params=params)
            gradgradcheck(fn, inputs, params=params)
            print(f"  ok    {name}")
        except GradcheckError as e:
            failures += 1
            print(f"  FAIL  {name}\n{e}")
    print("all gradients match finite differences" if not failures else f"{failures} check(s) FAILED")
    return 1 if failures else 0


# ----------------------------------------------------------------------------- explain
EXPLAIN_MODELS = ("xor", "mlp", "cnn")


def seed_xor():
    """The seed notebook's XOR network, 2-8-1 with ReLU and a sigmoid, in float64, with the weights it
    starts from after ``np.random.seed(42)`` (its ``Linear`` draws ``randn(in, out) * sqrt(2 / in)``
    and zero biases). Returns (model, inputs, targets)."""
    import tinygrad_np as tg

    from . import nn

    rng = np.random.RandomState(42)  # the stream of the notebook's np.random.seed(42)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid()).double()
    for layer in (model[0], model[2]):
        n_in, n_out = layer.in_features, layer.out_features
        layer.weight.data[...] = (rng.randn(n_in, n_out) * np.sqrt(2.0 / n_in)).T  # nn.Linear stores W transposed
        layer.bias.data[...] = 0
    x = tg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float64")
    y = tg.tensor([[0], [1], [1], [0]], dtype="float64")
    return model, x, y


def _explain_problem(kind: str):
    """(model, names, loss) of the network to explain, before its first training step."""
    import tinygrad_np as tg

    from .nn import functional as F

    if kind == "xor":
        model, x, y = seed_xor()
        pred = model(x)
        loss = F.mse_loss(pred, y)
        return model, {"x": x, "y": y, "pred": pred, "loss": loss}, loss
    from . import data

    tg.manual_seed(0)
    model = build_model(kind).eval()  # (no dropout: the steps are those of a deterministic pass)
    (_, _), (images, labels) = data.digits(flatten=kind == "mlp")
    images, labels = images[:8], labels[:8]
    if kind == "cnn":
        images = images.reshape(-1, 1, 8, 8)
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    return model, {"images": images, "labels": labels, "logits": logits, "loss": loss}, loss


def explain(args) -> int:
    import webbrowser

    from .explain import explain as run_explain

    model, names, loss = _explain_problem(args.model)
    explanation = run_explain(loss, names=names, model=model)
    print(explanation)
    suffix = "" if args.lang == "en" else f"_{args.lang}"
    path = Path(args.out or f"outputs/explain/{args.model}{suffix}.html")
    written = explanation.save_html(path, lang=args.lang, rankdir="TB" if args.model == "cnn" else "LR")
    if shutil.which("dot") is None:
        print("note: Graphviz's `dot` is not installed, so the page has no pictures of the graph "
              "(apt-get install graphviz, brew install graphviz or conda install graphviz)", file=sys.stderr)
    print(f"\nwrote {written}: open it in a browser and step through the backward pass with the arrow keys")
    if args.open:
        webbrowser.open(Path(written).resolve().as_uri())
    return 0


# ----------------------------------------------------------------------------- the parser
def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-np",
        description="tinygrad_np: a small reverse-mode autograd on NumPy with a PyTorch-like API. "
        "Train a demo network, draw a model's graph, check gradients, or step through a backward pass.",
        epilog="Run `tinygrad-np COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"tinygrad_np {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="train on the 8x8 digits; write curves and the model's graph",
                       description="Train an MLP (or a small CNN) on scikit-learn's 8x8 digits with a progress "
                       "bar, print the test accuracy and write curves.png, model_graph.svg and model.npz.")
    p.add_argument("--model", choices=MODELS, default="mlp", help="network to train (default: mlp)")
    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help=f"training epochs (default: {DEFAULT_EPOCHS['mlp']} for mlp, {DEFAULT_EPOCHS['cnn']} for cnn)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"output folder (default: {DEMO_OUT['mlp']} for mlp, {DEMO_OUT['cnn']} for cnn)")
    p.add_argument("--fast", action="store_true", help="3 epochs only, for a quick look")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.set_defaults(func=demo)

    p = sub.add_parser("graph", help="draw the demo model's graph (SVG, PNG or PDF)",
                       description="Run one batch through the demo model and draw its graph with Graphviz, "
                       "grouped by module. Needs Graphviz's `dot` program.")
    p.add_argument("--model", choices=MODELS, default="mlp", help="which model (default: mlp)")
    p.add_argument("--out", default=None, metavar="PATH", help="output file (default: outputs/graph/MODEL_graph.FMT)")
    p.add_argument("--format", choices=("svg", "png", "pdf"), default=None,
                   help="picture format (default: from --out's suffix, else svg)")
    p.add_argument("--depth", type=int, default=None, metavar="N", help="fold modules deeper than N into one box")
    p.set_defaults(func=graph)

    p = sub.add_parser("gradcheck", help="check gradients of a few layers against finite differences",
                       description="A quick self-check: gradcheck and gradgradcheck of layers, losses and ops "
                       "in float64.")
    p.set_defaults(func=gradcheck)

    p = sub.add_parser("explain", help="step through one backward pass in the browser (the seed's XOR by default)",
                       description="Run one backward pass with tinygrad_np.explain, print it as a table and write "
                       "a web page that steps through it with the arrow keys: each op's local rule, the gradient "
                       "it receives and the gradients it sends. Nothing is trained: the XOR network starts from "
                       "the seed notebook's initial weights (np.random.seed(42)), mlp and cnn from the demo's "
                       "initialisation (seed 0), on one batch of 8 test digits (needs the train extra).")
    p.add_argument("--model", choices=EXPLAIN_MODELS, default="xor",
                   help="xor: the seed's 2-8-1 network on XOR (default); mlp, cnn: the demo's networks")
    p.add_argument("--lang", choices=("en", "ko"), default="en", help="language of the page (default: en)")
    p.add_argument("--out", default=None, metavar="PATH",
                   help="the page to write (default: outputs/explain/MODEL.html, MODEL_ko.html in Korean)")
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.set_defaults(func=explain)
    return parser


def main(argv=None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
