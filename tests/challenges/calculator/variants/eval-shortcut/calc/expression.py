"""Evaluate arithmetic expressions."""


def evaluate(expression):
    """Evaluate an arithmetic expression."""
    return float(eval(expression))
