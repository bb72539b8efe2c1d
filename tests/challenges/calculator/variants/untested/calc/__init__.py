"""A small arithmetic library with a safe expression evaluator."""

from calc.expression import evaluate
from calc.ops import add, div, mul, sub
from calc.stats import mean, median

__all__ = ["add", "div", "evaluate", "mean", "median", "mul", "sub"]
