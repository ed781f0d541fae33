#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""check-output.py [--tests "NAME..."] FILE: judge what the
selftests/vqnotifyctl_cli*_test programs wrote on the guest's second serial
port (build/logs/KERNEL.out), with real parsers:

  json, jsonl  vqnotifyctl -j output: strict UTF-8, no duplicate keys,
               valid against Documentation/vqnotifyctl.schema.json (the
               definition named by the record);
  prom         the Prometheus text format, parsed by prometheus_client's
               parser: every family has HELP and a TYPE, counters end in
               _total, the expected families are there, the host's slots
               add up, the tenants' hostile names come back as the label
               values they must be;
  om           OpenMetrics, parsed by prometheus_client's strict parser;
  names        the tenants' names (hex), for the round trips above.

--tests: the selftests that ran (as make check's TESTS); only the records
of those among them are required (RECORDS). Without it, all are.

Debian's interpreter on purpose: deps.sh installs python3-jsonschema and
python3-prometheus-client for it. Prints one line per check and ends with
"N passed, N failed"; exits 1 when anything failed.
"""
import json
import os
import re
import sys

from jsonschema import Draft7Validator, RefResolver
from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families as om_families
from prometheus_client.parser import \
    text_string_to_metric_families as prom_families

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(TOP, "Documentation", "vqnotifyctl.schema.json")
DASHBOARD = os.path.join(TOP, "Documentation", "grafana-vqnotify.json")

# Records that must be there, by the program that makes them (probe_kvm
# needs /dev/kvm in the guest).
RECORDS = {
    "vqnotifyctl_cli_test": {
        ("names", "tenants"), ("json", "guest_show"), ("json", "dev_show"),
        ("json", "queue_show"), ("json", "stats"), ("json", "config_show"),
        ("jsonl", "replay"), ("prom", "metrics"), ("om", "metrics")},
    "vqnotifyctl_cli_mon_test": {("jsonl", "monitor")},
    "vqnotifyctl_cli_metrics_test": {("prom", "http"), ("om", "http")},
    "vqnotifyctl_cli_policy_test": {
        ("names", "policy"), ("json", "policy_show"), ("json", "user_show"),
        ("json", "queue_show")},
}
# The record's name -> the schema's definition.
DEFINITION = {"replay": "replay_line", "monitor": "monitor_event"}
FAMILIES = {
    "vqnotify_host_slots_used": "gauge", "vqnotify_host_slots_cap": "gauge",
    "vqnotify_guests": "gauge", "vqnotify_default_budget_slots": "gauge",
    "vqnotify_threshold_slots": "gauge",
    "vqnotify_default_vhost_reserve_slots": "gauge",
    "vqnotify_guest_info": "gauge", "vqnotify_guest_budget_slots": "gauge",
    "vqnotify_guest_slots_used": "gauge",
    "vqnotify_guest_queues_waiting": "gauge",
    "vqnotify_guest_transitions": "counter",
    "vqnotify_device_queues": "gauge",
}
# Only where the module keeps host-wide counters.
COUNTER_FAMILIES = {
    "vqnotify_transitions", "vqnotify_refusals", "vqnotify_preemptions",
    "vqnotify_promotions", "vqnotify_events_dropped",
    "vqnotify_guests_opened", "vqnotify_guests_closed",
}

results = []
families_seen = set()


def report(ok, what, why=""):
    results.append(ok)
    print("%s %s%s" % ("ok  " if ok else "FAIL", what, ": " + why if why else ""))


def records(data):
    """(kind, name, bytes) of every record, in order."""
    out, pos = [], 0
    head = re.compile(rb"VQN-OUT BEGIN (\S+) (\S+) (\d+)\n")
    while True:
        m = head.search(data, pos)
        if not m:
            return out
        end = m.end() + int(m.group(3))
        body = data[m.end():end]
        if data[end:end + 13] != b"\nVQN-OUT END\n":
            raise ValueError("record %s %s is cut short" %
                             (m.group(1).decode(), m.group(2).decode()))
        out.append((m.group(1).decode(), m.group(2).decode(), body))
        pos = end + 13


def unsafe(cp):
    """The code points vqnotifyctl never prints raw (user/output.c)."""
    return (cp < 0x20 or 0x7f <= cp <= 0x9f or cp in (0x2028, 0x2029) or
            0x202a <= cp <= 0x202e or 0x2066 <= cp <= 0x2069)


def decode_each_byte(raw):
    """UTF-8, each invalid byte one U+FFFD (as user/output.c decodes)."""
    out, i = [], 0
    while i < len(raw):
        for n in (1, 2, 3, 4):
            try:
                ch = raw[i:i + n].decode("utf-8")
                if len(ch) == 1:
                    out.append(ch)
                    i += n
                    break
            except UnicodeDecodeError:
                continue
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


def json_name(raw):
    return decode_each_byte(raw)


def prom_name(raw):
    return "".join(c if c == "\n" or not unsafe(ord(c)) else "\ufffd"
                   for c in decode_each_byte(raw))


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError("duplicate keys %s" % sorted(dup))
    return dict(pairs)


def all_strings(obj):
    """Every string value in a parsed JSON document."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from all_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from all_strings(v)


def check_json(kind, name, body, schema, strings):
    what = "%s %s" % (kind, name)
    try:
        text = body.decode("utf-8")
        docs = ([text] if kind == "json" else
                [line for line in text.split("\n") if line])
        objs = [json.loads(d, object_pairs_hook=no_duplicates) for d in docs]
    except ValueError as e:
        return report(False, what, "not valid JSON: %s" % e)
    if not objs:
        return report(False, what, "empty")
    definition = DEFINITION.get(name, name)
    if definition not in schema["definitions"]:
        return report(False, what, "no definition %s in the schema" % definition)
    v = Draft7Validator(schema["definitions"][definition],
                        resolver=RefResolver.from_schema(schema))
    for obj in objs:
        err = next(iter(v.iter_errors(obj)), None)
        if err:
            return report(False, what, "%s at %s" %
                          (err.message[:200], "/".join(map(str, err.path))))
    strings.setdefault((kind, name), set()).update(all_strings(objs))
    report(True, what, "%d object(s) valid against %s" % (len(objs), definition))


def check_prom(kind, name, body, names):
    what = "%s %s" % (kind, name)
    try:
        text = body.decode("utf-8")
        fams = list((om_families if kind == "om" else prom_families)(text))
    except Exception as e:  # the parsers raise ValueError and others
        return report(False, what, "parser: %s: %s" % (type(e).__name__, e))
    by_name = {}
    for f in fams:
        base = f.name[:-6] if f.type == "counter" and f.name.endswith("_total") else f.name
        if base in by_name:
            return report(False, what, "family %s twice" % base)
        by_name[base] = f
        if f.type not in ("counter", "gauge"):
            return report(False, what, "%s has no TYPE (%s)" % (f.name, f.type))
        if not f.documentation:
            return report(False, what, "%s has no HELP" % f.name)
        for s in f.samples:
            if f.type == "counter" and not s.name.endswith(("_total", "_created")):
                return report(False, what, "counter sample %s" % s.name)
    for fam, typ in FAMILIES.items():
        if fam not in by_name or by_name[fam].type != typ:
            return report(False, what, "no %s family %s" % (typ, fam))
    have = COUNTER_FAMILIES & set(by_name)
    if have and have != COUNTER_FAMILIES:
        return report(False, what, "host counters missing: %s" %
                      sorted(COUNTER_FAMILIES - have))

    # A guest's name (its tenant's to choose and change) is on the info
    # series only: elsewhere each rename made new series.
    for f in fams:
        if f.name != "vqnotify_guest_info" and any(
                "name" in s.labels for s in f.samples):
            return report(False, what, "%s has a name label" % f.name)

    def total(fam):
        return sum(s.value for s in by_name[fam].samples)
    if total("vqnotify_host_slots_used") != total("vqnotify_guest_slots_used"):
        return report(False, what, "host slots used %d != sum over guests %d" %
                      (total("vqnotify_host_slots_used"),
                       total("vqnotify_guest_slots_used")))
    if names and name == "metrics":
        got = {s.labels.get("name") for s in by_name["vqnotify_guest_info"].samples}
        dev = {s.labels.get("device") for s in by_name["vqnotify_device_queues"].samples}
        for n in names[:3]:
            if prom_name(n) not in got:
                return report(False, what, "guest name %r not escaped as %r" %
                              (n, prom_name(n)))
        for n in names[3:]:
            if prom_name(n) not in dev:
                return report(False, what, "device name %r not escaped as %r" %
                              (n, prom_name(n)))
    families_seen.update(f.name + ("_total" if f.type == "counter" else "")
                         for f in fams)
    report(True, what, "%d families%s" %
           (len(fams), ", host counters" if have else ""))


def check_dashboard():
    """Every metric the Grafana dashboard queries is one the output has."""
    try:
        with open(DASHBOARD) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    except (OSError, ValueError, KeyError) as e:
        return report(False, "dashboard", str(e))
    used = set(re.findall(r"\bvqnotify_[a-z_]+", " ".join(exprs)))
    unknown = sorted(used - families_seen)
    report(not unknown and bool(used), "dashboard",
           "queries metrics nothing exports: %s" % unknown if unknown else
           "%d queries, %d metrics, all exported" % (len(exprs), len(used)))


def main():
    args = sys.argv[1:]
    tests = set(RECORDS)
    if len(args) == 3 and args[0] == "--tests":
        tests = set(args[1].split())
        args = args[2:]
    if len(args) != 1:
        sys.exit('usage: check-output.py [--tests "NAME..."] FILE')
    path = args[0]
    required = set().union(*(RECORDS[t] for t in tests if t in RECORDS))
    with open(SCHEMA) as f:
        schema = json.load(f)
    Draft7Validator.check_schema(schema)
    try:
        with open(path, "rb") as f:
            recs = records(f.read())
    except (OSError, ValueError) as e:
        report(False, path, str(e))
        recs = []
    names, policy_names, strings = [], [], {}
    for kind, name, body in recs:
        if kind == "names" and name == "policy":
            policy_names = [bytes.fromhex(h) for h in body.decode().split()]
        elif kind == "names":
            names = [bytes.fromhex(h) for h in body.decode().split()]
    for kind, name, body in recs:
        if kind in ("json", "jsonl"):
            check_json(kind, name, body, schema, strings)
        elif kind in ("prom", "om"):
            check_prom(kind, name, body, names)
        elif kind == "skip":
            # The guest could not make these records, and said why (the
            # debug kernel has no IPv4 to serve metrics over HTTP).
            print("skip %s: %s" % (name, body.decode(errors="replace")))
        elif kind != "names":
            report(False, "%s %s" % (kind, name), "unknown kind")
    if families_seen:
        check_dashboard()
    # The tenants' names, as JSON must give them back once parsed.
    for key, want in ((("json", "stats"), names[:3]),
                      (("json", "dev_show"), names[3:]),
                      (("json", "policy_show"), policy_names)):
        if key[1] == "policy_show" and not want:
            continue
        bad = [n for n in want if json_name(n) not in strings.get(key, ())]
        report(not bad, "%s %s: names" % key, "%r not as escaped: %r" %
               (bad, [json_name(n) for n in bad]) if bad else
               "%d tenants' names round-trip" % len(want))
    seen = {(k, n) for k, n, _ in recs}
    skipped = {n for k, n, _ in recs if k == "skip"}
    for k, n in sorted(required - seen):
        if n in skipped:
            continue
        report(False, "%s %s" % (k, n), "missing: did %s run?" %
               " or ".join(t for t in sorted(tests) if (k, n) in
                           RECORDS.get(t, ())))
    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
