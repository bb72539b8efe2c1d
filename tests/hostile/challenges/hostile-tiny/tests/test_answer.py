import solution


def test_answer():
    got = solution.answer()
    assert got == 42, f"answer() returned {got!r}"
