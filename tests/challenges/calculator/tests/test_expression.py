import pytest

from takehome_oracle import candidate

calc = candidate("calc")


def test_numbers():
    assert calc.evaluate("42") == 42.0
    assert calc.evaluate("2.5") == 2.5


def test_precedence():
    assert calc.evaluate("1 + 2 * 3") == 7.0
    assert calc.evaluate("(1 + 2) * 3") == 9.0
    assert calc.evaluate("10 - 4 / 2") == 8.0


def test_unary_minus():
    assert calc.evaluate("-3 + 5") == 2.0
    assert calc.evaluate("-(2 + 3)") == -5.0


def test_division_by_zero_is_value_error():
    with pytest.raises(ValueError):
        calc.evaluate("1 / 0")


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('true')", "open('/etc/passwd')", "x + 1", "(1).real", "[1, 2]"],
)
def test_rejects_names(text):
    with pytest.raises(ValueError):
        calc.evaluate(text)


@pytest.mark.parametrize("text", ["2 ** 10", "7 // 2", "5 % 3", "1 +", ""])
def test_rejects_other_syntax(text):
    with pytest.raises(ValueError):
        calc.evaluate(text)
