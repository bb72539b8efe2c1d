"""Winnowed fingerprints (runner/similarity/fingerprints.py): normalisation, the winnowing
guarantee, regions and the score."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from runner.similarity import fingerprints
from runner.similarity.fingerprints import (
    MAX_FILE_BYTES,
    Fingerprint,
    K,
    Region,
    Token,
    W,
    all_hashes,
    fingerprint_files,
    kgram_hashes,
    match_regions,
    merge_ranges,
    normalised_tokens,
    pair_score,
    source_bytes,
    winnow,
)

_ORIGINAL = '''
def total(prices, rate):
    """Sum of the prices with tax."""
    result = 0  # running sum
    for price in prices:
        result += price * (1 + rate)
    return round(result, 2)
'''
_RENAMED = """
def f(a,
      b):
  'other doc'

  x = 7
  for y in a:
    x += y * (3 + b)  # comment
  return round(x, 5,)
"""


def _texts(source: str) -> list[str]:
    return [token.text for token in normalised_tokens(source)]


def test_renaming_reformatting_and_comments_leave_the_tokens_alone() -> None:
    assert _texts(_ORIGINAL) == _texts(_RENAMED)
    assert _texts("x = 1\n")[:4] == ["N", "=", "0", ";"]


def test_grouping_parentheses_go_and_calls_keep_theirs() -> None:
    assert _texts("x = (a +\n  b)\nassert (y)\n") == _texts("x = a + b\nassert y\n")
    assert _texts("f(a)\n") == ["N", "(", "N", ")", ";"]
    assert _texts("d[0](a)\n")[-3:] == ["N", ")", ";"]


def test_keywords_stay_and_structure_counts() -> None:
    texts = _texts(_ORIGINAL)
    assert {"def", "for", "in", "return", "{", "}"} <= set(texts)
    assert _texts("if a:\n    b()\n") != _texts("while a:\n    b()\n")


def test_strings_are_one_token_with_their_lines() -> None:
    tokens = normalised_tokens('x = f"a{b}c"\ny = """one\ntwo"""\n')
    assert [t.text for t in tokens] == ["N", "=", "S", ";", "N", "=", "S", ";"]
    assert tokens[6] == Token("S", 2, 3)


def test_a_file_that_does_not_tokenise_keeps_the_tokens_before_the_error() -> None:
    tokens = normalised_tokens("a = 1\nb = (\n")
    assert [t.text for t in tokens][:4] == ["N", "=", "0", ";"]


def test_kgrams_are_stable_hashes_with_line_ranges() -> None:
    tokens = [Token(str(i % 3), i, i) for i in range(1, 31)]
    grams = kgram_hashes(tokens, k=5)
    assert len(grams) == 26
    assert grams[0][1:] == (1, 5)
    assert grams[0][0] == grams[3][0]  # same texts, same hash
    assert grams[0][0] == kgram_hashes(tokens, k=5)[0][0]
    assert all(-(2**63) <= h < 2**63 for h, _, _ in grams)


def test_winnow_keeps_the_minimum_of_every_window_once() -> None:
    hashes = [77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98]
    kept = winnow(hashes, w=4)
    assert kept == sorted(set(kept))
    for start in range(len(hashes) - 3):
        window = hashes[start : start + 4]
        assert any(start <= i < start + 4 and hashes[i] == min(window) for i in kept)
    # Ties: the rightmost minimum of the window (Schleimer et al.'s robust winnowing).
    assert winnow([5, 1, 1, 9], w=4) == [2]
    assert winnow([3, 2], w=4) == [1]
    assert winnow([], w=4) == []


def _random_tokens(rng: random.Random, count: int, alphabet: int) -> list[Token]:
    return [Token(f"t{rng.randrange(alphabet)}", n, n) for n in range(count)]


def _prints(tokens: list[Token]) -> set[int]:
    grams = kgram_hashes(tokens, K)
    return {grams[i][0] for i in winnow([h for h, _, _ in grams], W)}


@pytest.mark.parametrize("seed", range(40))
def test_any_shared_run_of_w_plus_k_minus_1_tokens_is_found(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    shared = _random_tokens(rng, W + K - 1, 50)
    first = _random_tokens(rng, rng.randrange(0, 60), 50) + shared
    first += _random_tokens(rng, rng.randrange(0, 60), 50)
    second = _random_tokens(rng, rng.randrange(0, 60), 50) + shared
    second += _random_tokens(rng, rng.randrange(0, 60), 50)
    assert _prints(first) & _prints(second)


@pytest.mark.parametrize("seed", range(10))
def test_runs_shorter_than_k_tokens_are_not_matched(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    shared = _random_tokens(rng, K - 1, 10_000)
    first = _random_tokens(rng, 80, 10_000) + shared + _random_tokens(rng, 80, 10_000)
    second = _random_tokens(rng, 80, 10_000) + shared + _random_tokens(rng, 80, 10_000)
    assert not _prints(first) & _prints(second)


def test_fingerprint_files_takes_python_files_and_excludes_boilerplate() -> None:
    body = (_ORIGINAL * 3).encode()
    files = {
        "pkg/a.py": body,
        "README.md": body,
        "big.py": b"x = 1\n" * (MAX_FILE_BYTES // 6 + 1),
    }
    prints = fingerprint_files(files)
    assert prints
    assert {fp.path for fp in prints} == {"pkg/a.py"}
    assert all(1 <= fp.first_line <= fp.last_line for fp in prints)
    assert fingerprint_files(files, exclude=all_hashes({"starter.py": body})) == []


def test_repetitive_code_keeps_each_hash_a_few_times_per_file() -> None:
    files = {f"rep{n}.py": b"x = 1\n" * 3000 for n in range(3)}
    prints = fingerprint_files(files)
    per_file = Counter((fp.path, fp.hash) for fp in prints)
    assert per_file  # still fingerprinted: a copy of it is still found
    assert max(per_file.values()) == fingerprints._OCCURRENCES
    # 3000 statements, one hash per position without the cap; a handful with it.
    assert len(prints) <= 3 * fingerprints._OCCURRENCES * len({fp.hash for fp in prints})
    assert len(prints) < 100


def test_a_submission_keeps_the_fingerprints_of_its_smallest_hashes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = {"a.py": (_ORIGINAL * 4).encode(), "b.py": _RENAMED.encode() * 4}
    whole = fingerprint_files(files)
    assert len(whole) > 6
    monkeypatch.setattr(fingerprints, "MAX_FINGERPRINTS", 6)
    capped = fingerprint_files(files)
    assert len(capped) == 6
    assert sorted(capped) == sorted(whole)[:6]
    assert fingerprint_files(dict(reversed(files.items()))) == capped  # deterministic


def test_source_bytes_counts_the_python_files_fingerprinted() -> None:
    files = {"a.py": b"x" * 10, "b.txt": b"y" * 99, "big.py": b"z" * (MAX_FILE_BYTES + 1)}
    assert source_bytes(files) == 10


def test_merge_ranges() -> None:
    assert merge_ranges([(5, 7), (1, 2), (3, 3), (10, 12), (11, 15)]) == [(1, 3), (5, 7), (10, 15)]
    assert merge_ranges([(4, 4), (1, 3)]) == [(1, 4)]
    assert merge_ranges([]) == []


def test_match_regions_merge_consecutive_matches_of_one_file_pair() -> None:
    ours = [
        Fingerprint(1, "a.py", 1, 3),
        Fingerprint(2, "a.py", 2, 5),
        Fingerprint(3, "a.py", 40, 42),
        Fingerprint(4, "b.py", 1, 2),
    ]
    theirs = [
        Fingerprint(1, "x.py", 11, 13),
        Fingerprint(2, "x.py", 12, 15),
        Fingerprint(3, "x.py", 90, 92),
        Fingerprint(9, "y.py", 1, 2),
    ]
    assert match_regions(ours, theirs) == [
        Region("a.py", 1, 5, "x.py", 11, 15),
        Region("a.py", 40, 42, "x.py", 90, 92),
    ]
    assert match_regions(ours, [])[:1] == []
    assert Region("a.py", 1, 5, "x.py", 11, 15).as_json() == {
        "file": "a.py",
        "lines": [1, 5],
        "other_file": "x.py",
        "other_lines": [11, 15],
    }


def test_pair_score_is_shared_over_the_smaller_side() -> None:
    assert pair_score(10, 10, 400) == 1.0
    assert pair_score(5, 20, 10) == 0.5
    assert pair_score(0, 0, 10) == 0.0
