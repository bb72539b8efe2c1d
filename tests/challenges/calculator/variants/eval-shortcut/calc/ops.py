"""The four arithmetic operations."""


def add(a, b):
    """Return a + b."""
    return a + b


def sub(a, b):
    """Return a - b."""
    return a - b


def mul(a, b):
    """Return a * b."""
    return a * b


def div(a, b):
    """Return a / b, refusing division by zero with a ValueError."""
    if b == 0:
        raise ValueError("division by zero")
    return a / b
