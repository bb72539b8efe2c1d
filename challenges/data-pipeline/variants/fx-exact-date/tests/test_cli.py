from pathlib import Path

from pipeline.__main__ import main

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = [str(DATA / name) for name in ("orders.csv", "customers.csv", "fx.csv")]


def test_prints_report(capsys):
    assert main(FILES) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "date,country,orders,revenue_eur"
    assert "2024-03-04,ZZ,2,28.62" in out


def test_writes_report(tmp_path):
    target = tmp_path / "report.csv"
    assert main([*FILES, str(target)]) == 0
    assert len(target.read_text().splitlines()) == 11


def test_usage(capsys):
    assert main([]) == 2
    assert "python -m pipeline" in capsys.readouterr().err
