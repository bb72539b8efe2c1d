"""Fingerprints of Python source: token-based winnowing (Schleimer et al. 2003), as in MOSS.

Pure functions, no database. How a file becomes fingerprints:

1. **Tokens** (`normalised_tokens`): the stdlib `tokenize` module reads the file; every
   identifier that is not a keyword becomes `N`, every string (f-strings as a whole) `S`, every
   number `0`; comments, blank-line `NL` tokens and the encoding marker are dropped, and so is a
   comma right before a closing bracket (a formatter's "magic trailing comma"). Logical line ends,
   `INDENT` and `DEDENT` stay. Grouping parentheses (a "(" that does not follow a name, a
   closing bracket or a string, i.e. is not a call) are dropped with their ")": formatters add
   and remove them when they wrap long lines. Renaming every variable or reformatting the file
   (line length, indentation width, quotes, blank lines, comments, wrapping) leaves the token
   sequence as it was.
2. **k-grams** (`kgram_hashes`): each run of `K` consecutive tokens is hashed with blake2b cut to
   8 bytes (a signed 64-bit integer, a PostgreSQL BIGINT); Python's `hash()` is salted per process
   and would not be stable across workers and restarts. Each k-gram keeps its line range.
3. **Winnowing** (`winnow`): of every window of `W` consecutive k-gram hashes, the smallest is
   kept (the rightmost on ties, and a position is kept once). The guarantee, held by the tests:
   two files sharing a run of at least `W + K - 1` tokens (after normalisation) share at least
   one fingerprint; runs shorter than `K` tokens are never matched (noise).
4. **Caps** (`fingerprint_files`): repetitive code (`x = 1` a hundred thousand times) makes
   every k-gram the same hash and winnowing keeps every position on ties, so one hash is kept at
   most `_OCCURRENCES` times per file (the first ones; more copies are never paired up into
   regions anyway), and a submission keeps at most `MAX_FINGERPRINTS` fingerprints, those of the
   smallest hashes (deterministic, and the bottom-k sample the index queries is unchanged).
   `MAX_SUBMISSION_BYTES` bounds the Python fingerprinted per submission: the index skips a
   larger one (`source_bytes`) instead of fingerprinting it.

Why our own and not `copydetect`: it pulls numpy and figure rendering for its HTML reports, and it
compares documents pairwise in memory; takehome needs fingerprints it can store in an inverted
index (one indexed query per new submission, `runner.similarity.store`), with every fingerprint
mapped back to a file and a line range for the side-by-side view.
"""

from __future__ import annotations

import hashlib
import io
import keyword
import tokenize
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_FINGERPRINTS",
    "MAX_SUBMISSION_BYTES",
    "Fingerprint",
    "K",
    "Region",
    "RegionMatcher",
    "Token",
    "W",
    "all_hashes",
    "fingerprint_files",
    "kgram_hashes",
    "match_regions",
    "merge_ranges",
    "normalised_tokens",
    "pair_score",
    "source_bytes",
    "source_files",
    "winnow",
]

#: Tokens per k-gram: about two short statements; shorter shared runs are not evidence.
K = 25
#: Window of k-gram hashes; any shared run of `W + K - 1` = 28 tokens is found.
W = 4
#: Larger files are not fingerprinted (generated or vendored code, not the candidate's work).
MAX_FILE_BYTES = 512 * 1024
#: Fingerprints kept per submission (those of the smallest hashes): bounds the rows one
#: submission writes to the index and every later comparison reads.
MAX_FINGERPRINTS = 50_000
#: Python fingerprinted per submission (the files `source_files` keeps, summed): a larger
#: submission is not indexed; its check is recorded as skipped ("too large").
MAX_SUBMISSION_BYTES = 4 * 1024 * 1024
#: Occurrences of one hash kept per file, and paired up per side when regions are made
#: (repetitive code would keep, and pair, every copy).
_OCCURRENCES = 4

_DROPPED = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER, tokenize.ERRORTOKEN}
)
_CLOSING = frozenset({")", "]", "}"})
#: A "(" after one of these is a call (or a def's parameters); after anything else it groups.
_CALLABLE = frozenset({"N", ")", "]", "S"})
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


@dataclass(frozen=True)
class Token:
    """One normalised token and the lines (1-based, inclusive) its text spans."""

    text: str
    first_line: int
    last_line: int


@dataclass(frozen=True, order=True)
class Fingerprint:
    """A kept k-gram hash and where it is: file and line range (1-based, inclusive)."""

    hash: int
    path: str
    first_line: int
    last_line: int


_BY_TYPE = {
    tokenize.STRING: "S",
    tokenize.NUMBER: "0",
    tokenize.NEWLINE: ";",
    tokenize.INDENT: "{",
    tokenize.DEDENT: "}",
}


def _normal(token: tokenize.TokenInfo) -> str:
    if token.type == tokenize.NAME:
        return token.string if keyword.iskeyword(token.string) else "N"
    return _BY_TYPE.get(token.type, token.string)


def _raw_tokens(source: str) -> Iterator[tokenize.TokenInfo]:
    """The file's tokens; stops quietly at the first error (a file that does not tokenise
    keeps the tokens before it: a half-written file is still somebody's code)."""
    readline = io.StringIO(source).readline
    try:
        yield from tokenize.generate_tokens(readline)
    except (tokenize.TokenError, SyntaxError):
        return


class _Normaliser:
    """Turns raw tokens into compared ones, one at a time (`push`), into `out`."""

    def __init__(self) -> None:
        self.out: list[Token] = []
        self._fstrings = 0
        self._fstring_line = 0
        self._parens: list[bool] = []  # per open "(": kept (a call) or dropped (grouping)

    def push(self, raw: tokenize.TokenInfo) -> None:
        if raw.type in _DROPPED or self._in_fstring(raw):
            return
        text = _normal(raw)
        if text in _CLOSING and self.out and self.out[-1].text == ",":
            self.out.pop()
        if self._kept(text):
            self.out.append(Token(text, raw.start[0], raw.end[0]))

    def _kept(self, text: str) -> bool:
        """False for a grouping parenthesis and the one that closes it."""
        if text == "(":
            kept = bool(self.out) and self.out[-1].text in _CALLABLE
            self._parens.append(kept)
            return kept
        if text == ")" and self._parens:
            return self._parens.pop()
        return True

    def _in_fstring(self, raw: tokenize.TokenInfo) -> bool:
        """Whether `raw` is part of an f-string (Python 3.12 splits them): it becomes one `S`."""
        if _FSTRING_START is not None and raw.type == _FSTRING_START:
            self._fstrings += 1
            if self._fstrings == 1:
                self._fstring_line = raw.start[0]
            return True
        if not self._fstrings:
            return False
        if raw.type == _FSTRING_END:
            self._fstrings -= 1
            if not self._fstrings:
                self.out.append(Token("S", self._fstring_line, raw.end[0]))
        return True


def normalised_tokens(source: str) -> list[Token]:
    """The tokens of Python `source` as they are compared (see the module docstring)."""
    normaliser = _Normaliser()
    for raw in _raw_tokens(source):
        normaliser.push(raw)
    return normaliser.out


def _hash(texts: Sequence[str]) -> int:
    digest = hashlib.blake2b("\x1f".join(texts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def kgram_hashes(tokens: Sequence[Token], k: int = K) -> list[tuple[int, int, int]]:
    """`(hash, first_line, last_line)` of every run of `k` consecutive tokens, in order."""
    texts = [token.text for token in tokens]
    return [
        (_hash(texts[i : i + k]), tokens[i].first_line, tokens[i + k - 1].last_line)
        for i in range(len(tokens) - k + 1)
    ]


def winnow(hashes: Sequence[int], w: int = W) -> list[int]:
    """The positions kept of `hashes`: the minimum of every window of `w` (rightmost on ties),
    each position once, in order. Fewer than `w` hashes: the minimum of them all."""
    if not hashes:
        return []
    span = min(w, len(hashes))
    kept: list[int] = []
    for start in range(len(hashes) - span + 1):
        window = range(start, start + span)
        best = min(window, key=lambda i: (hashes[i], -i))
        if not kept or kept[-1] != best:
            kept.append(best)
    return kept


def source_files(files: Mapping[str, bytes]) -> dict[str, str]:
    """The Python files of a snapshot that are fingerprinted, decoded (UTF-8, replacing)."""
    return {
        path: data.decode("utf-8", "replace")
        for path, data in sorted(files.items())
        if path.endswith(".py") and len(data) <= MAX_FILE_BYTES
    }


def source_bytes(files: Mapping[str, bytes]) -> int:
    """The bytes of the Python files of `files` that `source_files` keeps (what
    `MAX_SUBMISSION_BYTES` bounds)."""
    return sum(
        len(data)
        for path, data in files.items()
        if path.endswith(".py") and len(data) <= MAX_FILE_BYTES
    )


def _file_prints(
    path: str, text: str, excluded: frozenset[int], k: int, w: int
) -> list[Fingerprint]:
    """One file's winnowed fingerprints, each hash at most `_OCCURRENCES` times."""
    grams = kgram_hashes(normalised_tokens(text), k)
    seen: dict[int, int] = {}
    out: list[Fingerprint] = []
    for index in winnow([h for h, _, _ in grams], w):
        value, first, last = grams[index]
        if value in excluded or seen.get(value, 0) >= _OCCURRENCES:
            continue
        seen[value] = seen.get(value, 0) + 1
        out.append(Fingerprint(value, path, first, last))
    return out


def fingerprint_files(
    files: Mapping[str, bytes], *, exclude: Iterable[int] = (), k: int = K, w: int = W
) -> list[Fingerprint]:
    """The winnowed fingerprints of the Python files of `files`, minus those whose hash is in
    `exclude` (every k-gram of the starter and the hidden tests: `all_hashes`); capped (see the
    module docstring: `_OCCURRENCES` per hash and file, `MAX_FINGERPRINTS` in all)."""
    excluded = frozenset(exclude)
    out: list[Fingerprint] = []
    for path, text in source_files(files).items():
        out.extend(_file_prints(path, text, excluded, k, w))
    if len(out) > MAX_FINGERPRINTS:  # the smallest hashes: deterministic, a bottom-k sample
        out = sorted(out)[:MAX_FINGERPRINTS]
        out.sort(key=lambda fp: (fp.path, fp.first_line, fp.last_line, fp.hash))
    return out


def all_hashes(files: Mapping[str, bytes], k: int = K) -> set[int]:
    """Every k-gram hash of the Python files of `files` (not only the winnowed ones): what is
    excluded as boilerplate, so a fingerprint of the starter is dropped wherever winnowing
    happens to pick it."""
    return {
        value
        for text in source_files(files).values()
        for value, _, _ in kgram_hashes(normalised_tokens(text), k)
    }


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Line ranges merged where they overlap or touch, sorted."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


#: Lines between two matches of one file pair that still make them one region (the gaps an
#: excluded starter fingerprint or a one-line edit leaves).
_REGION_GAP = 3
#: Regions of one file pair a match may still join (matches come sorted by their first line).
_LOOK_BACK = 8


@dataclass(frozen=True, order=True)
class Region:
    """Matched lines: `path` lines `first`..`last` against `other_path` lines
    `other_first`..`other_last` (1-based, inclusive)."""

    path: str
    first: int
    last: int
    other_path: str
    other_first: int
    other_last: int

    def as_json(self) -> dict[str, object]:
        """`{"file", "lines": [first, last], "other_file", "other_lines": [first, last]}`."""
        return {
            "file": self.path,
            "lines": [self.first, self.last],
            "other_file": self.other_path,
            "other_lines": [self.other_first, self.other_last],
        }


def pair_score(shared: int, ours: int, theirs: int) -> float:
    """Distinct shared fingerprints over the smaller side's distinct fingerprints (0 when
    either side has none): a copy padded with code of one's own still scores high, which the
    Jaccard index (shared over the union) would dilute."""
    smaller = min(ours, theirs)
    return shared / smaller if smaller > 0 else 0.0


#: A match while regions are made: (path, other path, first, other first, last, other last);
#: plain tuples sort and compare much faster than dataclasses, in the order merging needs.
_Match = tuple[str, str, int, int, int, int]


def _by_hash(prints: Iterable[Fingerprint]) -> dict[int, list[tuple[str, int, int]]]:
    found: dict[int, list[tuple[str, int, int]]] = {}
    for fp in prints:
        found.setdefault(fp.hash, []).append((fp.path, fp.first_line, fp.last_line))
    for many in found.values():
        if len(many) > 1:
            many.sort()
    return found


def _pairs(mine: list[tuple[str, int, int]], other: list[tuple[str, int, int]]) -> list[_Match]:
    """The occurrences of one hash paired up: those in files of the same name when there are
    any (a copy keeps its file layout more often than not), else every pair; capped."""
    pairs = [
        (a[0], b[0], a[1], b[1], a[2], b[2])
        for a in mine[:_OCCURRENCES]
        for b in other[:_OCCURRENCES]
    ]
    same = [pair for pair in pairs if pair[0] == pair[1]]
    return same or pairs


def _joins(region: _Match, match: _Match) -> bool:
    return (
        match[2] <= region[4] + _REGION_GAP
        and region[3] - _REGION_GAP <= match[3] <= region[5] + _REGION_GAP
    )


class RegionMatcher:
    """Matches one submission's fingerprints against others' (`against`), indexed once."""

    def __init__(self, ours: Iterable[Fingerprint]) -> None:
        self._mine = _by_hash(ours)

    def against(self, theirs: Iterable[Fingerprint]) -> list[Region]:
        """The regions where the two match, merged: every shared hash pairs its occurrences
        (`_pairs`), and pairs of one file pair that follow each other on both sides (within
        `_REGION_GAP` lines) make one region."""
        mine, other = self._mine, _by_hash(theirs)
        matches = sorted(
            m for value in mine.keys() & other.keys() for m in _pairs(mine[value], other[value])
        )
        merged: list[_Match] = []
        for match in matches:
            _merge_into(merged, match)
        return [Region(m[0], m[2], m[4], m[1], m[3], m[5]) for m in merged]


def match_regions(ours: Iterable[Fingerprint], theirs: Iterable[Fingerprint]) -> list[Region]:
    """`RegionMatcher(ours).against(theirs)`."""
    return RegionMatcher(ours).against(theirs)


def _merge_into(regions: list[_Match], match: _Match) -> None:
    """Extend the latest region of the same file pair that `match` joins (looking back at most
    `_LOOK_BACK` regions), or start a new one."""
    for index in range(len(regions) - 1, max(-1, len(regions) - 1 - _LOOK_BACK), -1):
        region = regions[index]
        if region[:2] != match[:2]:
            break
        if _joins(region, match):
            regions[index] = (
                *region[:2],
                region[2],
                min(region[3], match[3]),
                max(region[4], match[4]),
                max(region[5], match[5]),
            )
            return
    regions.append(match)
