# SPDX-License-Identifier: GPL-2.0
#
# vqnotify: module, userspace and selftests, and the VM test rig.
#
#   make            build kmod/vqnotify.ko (against KDIR), user/ and selftests/
#   make demo       boot Debian's kernel in QEMU and replay examples/demo.vqn
#   make check      style, sparse, then module + selftests in a VM per kernel;
#                   ends with "N passed, N failed[, N skipped]"
#   make style      checkpatch.pl --strict over kmod/ and the uAPI header
#   make sparse     build the module with C=2 against the 6.1 headers
#   make bench      run the bench/*.c programs in a VM (when they exist)
#   make fuzz       run the *fuzz* selftests in a VM (when they exist)
#   make deps       install the Debian packages all this needs
#   make clean
#
# Variables (make VAR=value):
#   KDIR          kernel build tree for `make` (default: the running kernel's,
#                 else the newest installed Debian linux-headers-*-amd64)
#   KERNELS       kernels for `make check` (default: 6.1 6.12 6.12-rt debug;
#                 debug is left out while scripts/debug-kernel.sh is missing)
#   KERNEL        kernel for demo, bench and fuzz (default: 6.1)
#   TESTS         selftest binaries to run (default: all)
#   TEST_TIMEOUT  seconds per selftest binary in the VM (default: 300; a
#                 binary's NAME_TIMEOUT in selftests/Makefile overrides it)
#   VM_TIMEOUT    hard limit per VM run in seconds (default: 600 + the
#                 longest per-binary timeout)
#   V=1           show the guest console live
#   CMDLINE       extra guest kernel command line
#   MODPARAMS     parameters for insmod vqnotify.ko in the VM
#   QEMU_MEM, QEMU_SMP, QEMU_CPU, QEMU_ACCEL   guest size, CPU model, and
#                 -accel (default tcg,thread=single; tcg for multi-threaded)
#   VQN_*         passed to the guest's environment, e.g. VQN_FUZZ_SECONDS=60
#                 or VQN_TIMEOUT_<test>=600 (per-binary timeout)
#   BUILD         build directory (default: build/); a separate one lets two
#                 make check run side by side in one work tree (else they
#                 take turns)
#   VQNOTIFY_CACHE  where kernels and linux-source extracts are cached
#                 (default: $XDG_CACHE_HOME/vqnotify or ~/.cache/vqnotify)
# Documentation/testing.rst describes the rig.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# From the command line only: a BUILD in the environment may mean anything.
BUILD := $(if $(filter command line,$(origin BUILD)),$(abspath $(BUILD)),$(TOP)/build)

KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),$(shell \
	ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | grep -v -- -rt- | \
	sort -V | tail -n 1))
KMOD ?= $(TOP)/kmod
SELFTESTS ?= $(TOP)/selftests
KERNELS ?= 6.1 6.12 6.12-rt debug
KERNEL ?= 6.1

export BUILD KMOD V TESTS TEST_TIMEOUT VM_TIMEOUT CMDLINE MODPARAMS
export QEMU_MEM QEMU_SMP QEMU_CPU QEMU_ACCEL KERNELS

# selftests/Makefile builds the sources of $(SELFTESTS) into build/selftests.
SELFTESTS_MAKE = $(MAKE) --no-print-directory -C $(TOP)/selftests \
	SRCDIR=$(abspath $(SELFTESTS)) OUT=$(BUILD)/selftests

all: module user selftests

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: make deps, or KDIR=..." >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(abspath $(KMOD)) modules

user:
	@if [ -f $(TOP)/user/Makefile ]; then \
		$(MAKE) --no-print-directory -C $(TOP)/user O=$(BUILD)/user; fi

selftests: user
	@$(SELFTESTS_MAKE)

selftests-list:
	@$(SELFTESTS_MAKE) list

selftests-timeouts:
	@$(SELFTESTS_MAKE) timeouts

deps:
	@$(TOP)/scripts/deps.sh

style:
	@$(TOP)/scripts/checkpatch.sh $(wildcard $(KMOD)/*.[ch]) \
		$(wildcard $(TOP)/include/uapi/linux/vqnotify.h) && echo "style: clean"

sparse:
	@$(TOP)/scripts/sparse.sh 6.1

check: deps
	@$(TOP)/scripts/check.sh

demo: deps user
	@$(TOP)/scripts/vm-test.sh --demo $(KERNEL)

# bench/*.c: programs built like the selftests and run in the VM the same
# way (they print TAP too); the figures are in build/logs/bench-$(KERNEL).log,
# the table is printed and the JSON kept in build/bench-$(KERNEL).json.
BENCH_MAKE = $(MAKE) --no-print-directory -C $(TOP)/selftests \
	SRCDIR=$(TOP)/bench OUT=$(BUILD)/bench

bench: deps user
	@t="$$($(BENCH_MAKE) list)"; \
	if [ -n "$$t" ]; then \
		$(BENCH_MAKE) && \
		TESTBIN=$(BUILD)/bench TESTS="$$t" \
			$(TOP)/scripts/vm-test.sh --tag bench $(KERNEL) && \
		grep -ah '^bench: ' $(BUILD)/logs/bench-$(KERNEL).log | tr -d '\r' && \
		{ sed -n 's/^bench-json: //p' $(BUILD)/logs/bench-$(KERNEL).log | \
			tr -d '\r' >$(BUILD)/bench-$(KERNEL).json; \
		echo "bench: JSON in $(BUILD)/bench-$(KERNEL).json"; }; \
	else echo "bench: no bench/*.c yet"; fi

# The state machine's libFuzzer run on the host, then the *fuzz* selftests
# in a VM; FUZZ_SECONDS and VQN_FUZZ_SECONDS set how long each runs.
fuzz: deps selftests
	$(MAKE) --no-print-directory -C $(TOP)/tools/sm OUT=$(BUILD)/sm fuzz \
		FUZZ_SECONDS=$${FUZZ_SECONDS:-600}
	@t="$$($(SELFTESTS_MAKE) list | grep fuzz)"; \
	if [ -n "$$t" ]; then \
		TESTS="$$t" VQN_FUZZ_SECONDS=$${VQN_FUZZ_SECONDS:-60} \
			$(TOP)/scripts/vm-test.sh --tag fuzz $(KERNEL); \
	else echo "fuzz: no selftests/*fuzz*.c yet"; fi

clean:
	rm -rf $(BUILD)
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(abspath $(KMOD)) clean; fi

.PHONY: all module user selftests selftests-list selftests-timeouts deps style sparse check demo bench fuzz clean
