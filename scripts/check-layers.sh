#!/bin/sh
# check-layers.sh [MODULE_BUILD_DIR]: prove that the module's files depend
# only downward ("DOC: Layout" in kmod/vqnotify.h). The order is the one of
# vqnotify-y in ./Kbuild, top to bottom: each kmod/X.o of the built module
# (default: the sparse build, $BUILD/sparse-6.1/module) may use only
# symbols that the objects after it define. The exceptions, by name: the
# two pure files call their environment, the functions their headers
# declare and the files above provide: the state machine (vqn_sm.o, the
# bottom) the vqn_env_*() of vqn_sm.h, the slot pool's policy
# (vqn_pool_line.o) the vqn_line_env_*() of vqn_pool_line.h.
# Prints each file's dependencies; exits non-zero on a use that goes up.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)
BUILD=${BUILD:-$TOP/build}
dir=${1:-$BUILD/sparse-6.1/module}

# vqnotify-y's objects, in order, as kmod/NAME
order=$(sed -n '/^vqnotify-y :=/,/^$/p' "$TOP/Kbuild" |
	grep -o 'kmod/[A-Za-z0-9_-]*\.o' | sed 's/\.o$//')
[ -n "$order" ] || die "no vqnotify-y list in $TOP/Kbuild"
defs=$(mktemp "${TMPDIR:-/tmp}/vqn-layers.XXXXXX")
trap 'rm -f "$defs"' EXIT
# Before the pipeline: a die() inside it would end only its subshell.
for o in $order; do
	[ -f "$dir/$o.o" ] || die "$dir/$o.o missing: build the module first (make sparse)"
done
for o in $order; do
	nm --defined-only -g "$dir/$o.o" | awk -v o="$o" 'NF == 3 { print $3, o }'
done | sort >"$defs"

st=0
rank=0
for o in $order; do
	rank=$((rank + 1))
	uses=
	for u in $(nm -u "$dir/$o.o" | awk '{ print $2 }' | sort -u |
		join - "$defs" | awk '{ print $1 ":" $2 }'); do
		sym=${u%%:*} by=${u#*:}
		[ "$by" = "$o" ] && continue
		r=0
		for x in $order; do
			r=$((r + 1))
			[ "$x" = "$by" ] && break
		done
		if [ $r -le $rank ]; then
			case $o:$sym in
			kmod/vqn_sm:vqn_env_*) ;;
			kmod/vqn_pool_line:vqn_line_env_*) ;;
			*)
				echo "check-layers: $o uses $sym of $by, which is above it"
				st=1 ;;
			esac
		fi
		case " $uses " in *" ${by#kmod/} "*) ;; *) uses="$uses ${by#kmod/}" ;; esac
	done
	echo "  ${o#kmod/} ->$uses"
done
[ $st -eq 0 ] && echo "check-layers: every file of the module depends only downward"
exit $st
