"""Custom ops with deliberate bugs in their backward rules, shared by the engine-fault tests
(test_anomaly, test_inplace) and the bad-input catalogue."""

import tinygrad_np as tg


class BuggyRule(tg.Function):
    """Its rule raises (a custom op's bug)."""

    formula = "∂/∂x = (a bug: it raises)"

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        raise ValueError("a bug in this rule")


class WrongShape(tg.Function):
    """Its rule returns a gradient cut short: two elements, whatever the input's shape."""

    formula = "∂/∂x = 2g (returned cut short: a bug)"

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return 2 * g[:2]


class WrongCount(tg.Function):
    """A two-input op whose rule returns one gradient."""

    formula = "∂/∂a = g·b, ∂/∂b = g·a (only one returned: a bug)"

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return g * b
