"""The worker side of takehome: submission intake, challenge packs, blobs, the grading pipeline."""
