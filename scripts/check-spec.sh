#!/bin/sh
# check-spec.sh [--print-uapi | --print-kernel | --print-rst | --write-kernel | --write]:
# prove that the netlink spec Documentation/netlink/specs/vqnotify.yaml, the
# uAPI header of the family and the module agree, with the kernel's own YNL
# tooling (tools/net/ynl and the genetlink schemas of Debian's linux-source,
# extracted once into the cache; set YNL_SRC to the top of another kernel
# tree to use its tooling instead).
#
#  1. the spec validates against its schema (Documentation/netlink/
#     genetlink.yaml, by the protocol the spec names) with YNL's own spec
#     loader, the one tools/net/ynl/cli.py uses, and documents every
#     definition, attribute set, attribute and operation (the documentation
#     renders it with ynl-gen-rst: the generated header has no comments);
#  2. include/uapi/linux/vqnotify_netlink.h is exactly what
#     `ynl-gen-c.py --mode uapi` makes of the spec (committed verbatim, as
#     include/uapi/linux/ovpn.h);
#  3. kmod/netlink-gen.c and kmod/netlink-gen.h are exactly what
#     `ynl-gen-c.py --mode kernel --source/--header` makes of the spec
#     (committed verbatim, as drivers/net/ovpn/netlink-gen.c), and the
#     multicast groups kmod/vqn_nl.c defines (the 6.12 generator renders no
#     group flags) are the spec's, with its flags.
# --print-uapi / --print-kernel / --print-rst print the generator's output
# and exit; --write-kernel writes kmod/netlink-gen.[ch], --write those and
# include/uapi/linux/vqnotify_netlink.h, after a change of the spec.
# Exits non-zero, saying what differs, when anything disagrees.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)

print=
case ${1:-} in
--print-uapi) print=uapi ;;
--print-kernel) print=kernel ;;
--print-rst) print=rst ;;
--write-kernel) print=write ;;
--write) print=write-all ;;
'') ;;
*) die "usage: $0 [--print-uapi | --print-kernel | --print-rst | --write-kernel | --write]" ;;
esac

command -v python3 >/dev/null || die "python3 missing: run scripts/deps.sh"
python3 -c 'import yaml, jsonschema' 2>/dev/null ||
	die "python3-yaml and python3-jsonschema missing: run scripts/deps.sh"

# The kernel tree whose YNL tooling and schemas judge the spec.
if [ -n "${YNL_SRC:-}" ]; then
	ksrc=$YNL_SRC
else
	ksrc=$(ksrc_cached ynl Documentation/netlink tools/net/ynl \
		scripts/kernel-doc)
fi

# ynl-gen-c.py (6.12) or pyynl/ynl_gen_c.py (6.15+), and its library.
gen=
for g in "$ksrc/tools/net/ynl/ynl-gen-c.py" \
	"$ksrc/tools/net/ynl/pyynl/ynl_gen_c.py"; do
	[ -f "$g" ] && gen=$g && break
done
[ -n "$gen" ] || die "no ynl-gen-c.py under $ksrc/tools/net/ynl"

# The generator finds the schema next to the spec's directory and the tree's
# top by its MAINTAINERS file: stage a minimal tree.
stage=$(mktemp -d "${TMPDIR:-/tmp}/vqn-spec.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
spec=Documentation/netlink/specs/vqnotify.yaml
mkdir -p "$stage/Documentation/netlink/specs"
: >"$stage/MAINTAINERS"
cp "$ksrc"/Documentation/netlink/*.yaml "$stage/Documentation/netlink/"
cp "$TOP/$spec" "$stage/$spec"

cd "$stage"
# 1. The schema, with YNL's loader; on failure say where, briefly.
python3 - "$stage/$spec" "$(dirname "$gen")" <<'EOF'
import os
import sys

spec, gendir = sys.argv[1:3]
sys.path.insert(0, gendir if os.path.isdir(os.path.join(gendir, 'lib'))
                else os.path.dirname(gendir))
try:
    from lib import SpecFamily
except ImportError:
    from pyynl.lib import SpecFamily
try:
    SpecFamily(spec)
except Exception as e:
    where = '/'.join(str(p) for p in getattr(e, 'absolute_path', []))
    msg = getattr(e, 'message', None) or str(e).splitlines()[0]
    print('check-spec: the spec does not validate against its schema: '
          '%s%s' % (where + ': ' if where else '', msg))
    sys.exit(1)
EOF
if [ "$print" = rst ]; then
	rst=$(dirname "$gen")/ynl-gen-rst.py
	[ -f "$rst" ] || rst=$(dirname "$gen")/ynl_gen_rst.py	# 6.15+
	python3 "$rst" -i "$spec" -o spec.rst >gen.log 2>&1 ||
		{ cat gen.log; die "ynl-gen-rst.py failed on $spec"; }
	cat spec.rst
	exit 0
fi
python3 "$gen" --mode uapi --header --spec "$spec" -o uapi.h >gen.log 2>&1 ||
	{ cat gen.log; die "ynl-gen-c.py --mode uapi failed on $spec"; }
# Named as in kmod/: the source includes its header by name.
for part in source header; do
	out=netlink-gen.c
	[ $part = header ] && out=netlink-gen.h
	python3 "$gen" --mode kernel --$part --spec "$spec" -o "$out" >gen.log 2>&1 ||
		{ cat gen.log; die "ynl-gen-c.py --mode kernel --$part failed on $spec"; }
done
case $print in
uapi) cat uapi.h; exit 0 ;;
kernel) cat netlink-gen.c; exit 0 ;;
write | write-all)
	cp netlink-gen.c netlink-gen.h "$TOP/kmod/"
	echo "check-spec: wrote kmod/netlink-gen.c and kmod/netlink-gen.h"
	if [ $print = write-all ]; then
		cp uapi.h "$TOP/include/uapi/linux/vqnotify_netlink.h"
		echo "check-spec: wrote include/uapi/linux/vqnotify_netlink.h"
	fi
	exit 0 ;;
esac

python3 - "$TOP" "$stage" "$(dirname "$gen")" <<'EOF'
import os
import re
import sys

top, stage, gendir = sys.argv[1:4]
spec_path = os.path.join(stage, 'Documentation/netlink/specs/vqnotify.yaml')
failed = []


def fail(msg):
    failed.append(msg)
    print('check-spec: ' + msg)


# The spec, as YNL loads it (validated above).
libdir = gendir if os.path.isdir(os.path.join(gendir, 'lib')) else \
    os.path.dirname(gendir)
sys.path.insert(0, libdir)
try:
    from lib import SpecFamily
except ImportError:
    from pyynl.lib import SpecFamily
family = SpecFamily(spec_path)


def code(text):
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    text = re.sub(r'//[^\n]*', '', text)
    return text


def squash(text):
    return re.sub(r'\s+', '', text)


# 1. Every part of the spec documented: the documentation renders the
# spec, and the generated header carries no comment.
for kind, items in (('definition', family.yaml.get('definitions', [])),
                    ('attribute set', family.yaml['attribute-sets']),
                    ('operation', family.yaml['operations']['list'])):
    for item in items:
        if not item.get('doc', '').strip():
            fail('the spec documents no %s %s' % (kind, item['name']))
for aset in family.yaml['attribute-sets']:
    for attr in aset['attributes']:
        if not attr.get('doc', '').strip():
            fail('the spec documents no attribute %s of %s' %
                 (attr['name'], aset['name']))

# 2. The family's uAPI header, verbatim.
# 3. The generated kernel files, verbatim; the groups of kmod/vqn_nl.c.
for gen_name, path, mode in (
        ('uapi.h', 'include/uapi/linux/vqnotify_netlink.h', 'uapi'),
        ('netlink-gen.c', 'kmod/netlink-gen.c', 'kernel'),
        ('netlink-gen.h', 'kmod/netlink-gen.h', 'kernel')):
    ours_path = os.path.join(top, path)
    theirs = open(os.path.join(stage, gen_name)).read()
    ours = open(ours_path).read() if os.path.exists(ours_path) else ''
    if ours != theirs:
        import difflib
        print(''.join(difflib.unified_diff(
            theirs.splitlines(True), ours.splitlines(True),
            'ynl-gen-c --mode ' + mode, path)))
        fail('%s is not what ynl-gen-c makes of the spec '
             '(scripts/check-spec.sh --write regenerates it)' % path)

nl = code(open(os.path.join(top, 'kmod/vqn_nl.c')).read())
gen_src = code(open(os.path.join(stage, 'netlink-gen.c')).read())


def mcgrps(src):
    m = re.search(r'struct\s+genl_multicast_group\s+\w+_mcgrps\s*\[\s*\]'
                  r'\s*=\s*\{(.*?)\};', src, re.S)
    return re.findall(r'\[(\w+)\]=\{"([^"]+)"(?:,\.flags=(\w+))?',
                      squash(m.group(1))) if m else []


ours, theirs = mcgrps(nl), mcgrps(gen_src)
if [(i, n) for i, n, _ in ours] != [(i, n) for i, n, _ in theirs]:
    fail('multicast groups: kmod/vqn_nl.c %s, spec %s' % (ours, theirs))
flag_of = {'admin-perm': 'GENL_MCAST_CAP_NET_ADMIN'}
for grp in family.yaml.get('mcast-groups', {}).get('list', []):
    want = '|'.join(flag_of.get(f, f) for f in grp.get('flags', []))
    have = [f for _, n, f in ours if n == grp['name']]
    if have and have[0] != want:
        fail('multicast group %s: flags %r, the spec says %r' %
             (grp['name'], have[0], want))

if failed:
    sys.exit(1)
print('check-spec: %s validates and is documented; '
      'include/uapi/linux/vqnotify_netlink.h, kmod/netlink-gen.[ch] and '
      'kmod/vqn_nl.c agree with it'
      % os.path.relpath(spec_path, stage))
EOF
