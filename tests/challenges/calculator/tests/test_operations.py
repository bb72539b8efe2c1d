import pytest

from takehome_oracle import candidate

calc = candidate("calc")


def test_add():
    assert calc.add(2, 3) == 5
    assert calc.add(-1.5, 1.5) == 0


def test_sub():
    assert calc.sub(10, 4) == 6


def test_mul():
    assert calc.mul(-3, 4) == -12


def test_div():
    assert calc.div(7, 2) == 3.5


def test_div_by_zero():
    with pytest.raises(ValueError, match="division by zero"):
        calc.div(1, 0)


@pytest.mark.parametrize(("values", "expected"), [([1, 2, 3, 4], 2.5), ([5], 5), ([1, 1, 4], 2)])
def test_mean(values, expected):
    assert calc.mean(values) == expected


@pytest.mark.parametrize(("values", "expected"), [([3, 1, 2], 2), ([4, 1, 3, 2], 2.5), ([7], 7)])
def test_median(values, expected):
    assert calc.median(values) == expected


def test_empty_statistics():
    with pytest.raises(ValueError):
        calc.mean([])
    with pytest.raises(ValueError):
        calc.median([])
