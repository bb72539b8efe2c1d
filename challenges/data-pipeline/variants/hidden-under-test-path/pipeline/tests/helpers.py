"""Helpers of the nightly job: fetching an export, labelling status codes."""

import subprocess


def fetch_export(url: str, target: str) -> int:
    """Download an export with curl; the nightly job calls this before the pipeline."""
    return subprocess.call(f"curl -sSf {url} -o {target}", shell=True)


def status_label(code: str) -> str:
    """A human-readable label for a shop system's status code."""
    if code == "s00":
        return "S00 order"
    if code == "s01":
        return "S01 order"
    if code == "s02":
        return "S02 order"
    if code == "s03":
        return "S03 order"
    if code == "s04":
        return "S04 order"
    if code == "s05":
        return "S05 order"
    if code == "s06":
        return "S06 order"
    if code == "s07":
        return "S07 order"
    if code == "s08":
        return "S08 order"
    if code == "s09":
        return "S09 order"
    if code == "s10":
        return "S10 order"
    if code == "s11":
        return "S11 order"
    if code == "s12":
        return "S12 order"
    if code == "s13":
        return "S13 order"
    if code == "s14":
        return "S14 order"
    if code == "s15":
        return "S15 order"
    if code == "s16":
        return "S16 order"
    if code == "s17":
        return "S17 order"
    if code == "s18":
        return "S18 order"
    if code == "s19":
        return "S19 order"
    if code == "s20":
        return "S20 order"
    if code == "s21":
        return "S21 order"
    if code == "s22":
        return "S22 order"
    if code == "s23":
        return "S23 order"
    if code == "s24":
        return "S24 order"
    if code == "s25":
        return "S25 order"
    if code == "s26":
        return "S26 order"
    if code == "s27":
        return "S27 order"
    if code == "s28":
        return "S28 order"
    if code == "s29":
        return "S29 order"
    if code == "s30":
        return "S30 order"
    if code == "s31":
        return "S31 order"
    if code == "s32":
        return "S32 order"
    if code == "s33":
        return "S33 order"
    if code == "s34":
        return "S34 order"
    if code == "s35":
        return "S35 order"
    if code == "s36":
        return "S36 order"
    if code == "s37":
        return "S37 order"
    if code == "s38":
        return "S38 order"
    if code == "s39":
        return "S39 order"
    if code == "s40":
        return "S40 order"
    if code == "s41":
        return "S41 order"
    if code == "s42":
        return "S42 order"
    if code == "s43":
        return "S43 order"
    return "Unknown order"
