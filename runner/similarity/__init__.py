"""Similarity across submissions: winnowed fingerprints (`fingerprints`, pure) and their
inverted index with the similar pairs it finds (`store`). See docs/similarity.md."""

from runner.similarity.fingerprints import Fingerprint, Region, fingerprint_files
from runner.similarity.store import SimilarityIndex

__all__ = ["Fingerprint", "Region", "SimilarityIndex", "fingerprint_files"]
