#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""check-bench-json.py LOG: the JSON bench/vqn_bench.c printed (its
"bench-json: " line in a VM's console log, from `make bench` or the smoke
run of `make check`), parsed strictly: one object, no duplicate keys, a
figure per name, each with the fields the table prints and a verdict that
agrees with its value and target. Prints what it found; exits 1 when the
JSON is missing or wrong.
"""
import json
import math
import re
import sys


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError("duplicate keys: %s" % ", ".join(sorted(dup)))
    return dict(pairs)


def verdict_wrong(f):
    """The verdict the target and value give, against the one printed."""
    m = re.fullmatch(r"(<=|>=) ([0-9.e+]+)(x|%)?", f["target"])
    if not m:
        want = None
    else:
        limit = float(m.group(2)) / (100 if m.group(3) == "%" else 1)
        want = f["value"] <= limit if m.group(1) == "<=" else \
            f["value"] >= limit
    if f["met"] is not want:
        return "value %s against target %r: met should be %r, is %r" % (
            f["value"], f["target"], want, f["met"])
    return None


def check(doc):
    for key in ("kernel", "clocksource", "trials", "warmup", "smoke", "null",
                "figures"):
        if key not in doc:
            return "no %r" % key
    names = set()
    for f in doc["figures"]:
        name = f.get("name")
        if not isinstance(name, str) or name in names:
            return "figure name %r missing or twice" % name
        names.add(name)
        for key in ("what", "measured", "judged_on", "target", "met", "note"):
            if key not in f:
                return "%s: no %r" % (name, key)
        if f["met"] not in (True, False, None):
            return "%s: met is %r" % (name, f["met"])
        if not f["measured"]:
            if f["met"] is not None:
                return "%s: not measured, yet judged" % name
            continue
        if not isinstance(f.get("unit"), str):
            return "%s: unit is %r" % (name, f.get("unit"))
        for key in ("trials", "min", "median", "p90", "value"):
            v = f.get(key)
            if not isinstance(v, (int, float)) or not math.isfinite(v):
                return "%s: %s is %r" % (name, key, v)
        if not f["min"] <= f["median"] <= f["p90"]:
            return "%s: min %s, median %s, p90 %s out of order" % (
                name, f["min"], f["median"], f["p90"])
        why = verdict_wrong(f)
        if why:
            return "%s: %s" % (name, why)
    if "null_enotty" not in names:
        return "no null_enotty figure"
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check-bench-json.py LOG")
    with open(sys.argv[1], "rb") as f:
        lines = [raw.decode("utf-8", "strict").rstrip("\r\n")
                 for raw in f if raw.startswith(b"bench-json: ")]
    if len(lines) != 1:
        print("bench-json: %d lines in %s, not one" % (len(lines), sys.argv[1]))
        return 1
    try:
        doc = json.loads(lines[0][len("bench-json: "):].rstrip("\r"),
                         object_pairs_hook=no_duplicates)
    except ValueError as e:
        print("bench-json: not valid JSON: %s" % e)
        return 1
    why = check(doc)
    if why:
        print("bench-json: %s" % why)
        return 1
    print("bench-json: valid, %d figures (kernel %s%s)" % (
        len(doc["figures"]), doc["kernel"], ", smoke" if doc["smoke"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
