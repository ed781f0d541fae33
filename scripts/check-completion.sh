#!/bin/bash
# check-completion.sh: user/completion/vqnotifyctl completes as it should,
# in bash with Debian's bash-completion loaded (as an interactive shell
# has it) and without it. Prints one line per case, ends with
# "N passed, N failed"; exits 1 when anything failed.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BC=/usr/share/bash-completion/bash_completion
pass=0 fail=0

# cases: the words typed (the last one being completed) | words the
# completion must offer (all of them) | words it must not offer
cases=(
	"vqnotifyctl ''|guest dev queue stats monitor metrics config replay probe-kvm policy user|"
	"vqnotifyctl g|guest|dev"
	"vqnotifyctl -j co|config|"
	"vqnotifyctl -|-json -pretty -timestamp -tshort|guest"
	"vqnotifyctl guest ''|show set help|"
	"vqnotifyctl g se|set|show"
	"vqnotifyctl gu set 3 b|budget|reserve"
	"vqnotifyctl q sh 3 ''||show"
	"vqnotifyctl config set ''|default-budget threshold vhost-reserve host-cap|show"
	"vqnotifyctl c set threshold 3 h|host-cap|"
	"vqnotifyctl -t monitor ''|events guest dev count|"
	"vqnotifyctl monitor events q|queue|"
	"vqnotifyctl monitor events dev,r|dev,refusal|"
	"vqnotifyctl metrics ''|format file --listen count|"
	"vqnotifyctl metrics file $TOP/examples/de|$TOP/examples/demo.vqn|"
	"vqnotifyctl me format o|openmetrics|prometheus"
	"vqnotifyctl replay $TOP/examples/de|$TOP/examples/demo.vqn|"
	"vqnotifyctl c set user-|user-max-guests user-max-devices user-max-queues user-max-slots|"
	"vqnotifyctl po ''|show set delete help|"
	"vqnotifyctl policy set ''|name uid|budget"
	"vqnotifyctl policy set uid 5 max-|max-guests max-devices max-queues max-slots|"
	"vqnotifyctl policy set name vm1 ''|budget reserve|max-guests"
	"vqnotifyctl po set uid 5 budget 4 r|reserve|"
	"vqnotifyctl po del ''|name uid|"
	"vqnotifyctl user ''|show help|"
	"vqnotifyctl u show ''|uid|"
)

run() {
	local bc=$1
	bash --norc --noprofile -c '
		[ -n "$1" ] && . "$1"
		. "$2/user/completion/vqnotifyctl"
		complete -p vqnotifyctl >/dev/null || exit 3
		eval "COMP_WORDS=($3)"
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_vqnotifyctl vqnotifyctl "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$bc" "$TOP" "$2"
}

for bc in "$BC" ""; do
	if [ -n "$bc" ] && [ ! -r "$bc" ]; then
		echo "FAIL bash-completion missing ($bc): run scripts/deps.sh"
		fail=$((fail + 1))
		continue
	fi
	for c in "${cases[@]}"; do
		IFS='|' read -r typed want nope <<<"$c"
		ok=1
		# A completion that failed offered nothing: not a pass, even
		# where nothing is wanted.
		got=$(run "$bc" "$typed") || { got="(exit $?)"; ok=0; }
		for w in $want; do
			grep -qxF -- "$w" <<<"$got" || ok=0
		done
		for w in $nope; do
			grep -qxF -- "$w" <<<"$got" && ok=0
		done
		if [ $ok = 1 ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL ${bc:+(bash-completion) }$typed: got: $(echo $got)"
		fi
	done
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
