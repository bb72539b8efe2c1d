"""A small arithmetic library."""


def add(a, b):
    return a + b


def sub(a, b):
    raise NotImplementedError


def mul(a, b):
    raise NotImplementedError


def div(a, b):
    raise NotImplementedError


def mean(values):
    raise NotImplementedError


def median(values):
    raise NotImplementedError


def evaluate(expression):
    raise NotImplementedError
