# SPDX-License-Identifier: GPL-2.0
#
# vqnotify: module, userspace and selftests, and the VM test rig.
#
#   make            build vqnotify.ko (against KDIR, in build/module/KREL),
#                   user/ and selftests/
#   make demo       boot Debian's kernel in QEMU and replay examples/demo.vqn
#   make qemu       build (or find in the cache) the patched QEMU of
#                   integrations/qemu/ from Debian's source; prints its path
#   make demo-qemu  a VM under that QEMU, nested in the rig, is refused a
#                   slot and gets it when the admin raises its budget
#   make check      style, sparse, spec, docs, install, deb, dkms, the packages
#                   in a VM, then module + selftests in a VM per kernel,
#                   then the patched QEMU nested, its KVM registrations
#                   against vqnotify (QEMU_KERNELS, default 6.1 6.12;
#                   QEMU_KERNELS= leaves it out: Documentation/qemu.rst);
#                   ends with "N passed, N failed[, N skipped]"
#   make style      checkpatch.pl --strict over kmod/ and the uAPI header
#   make sparse     build the module with C=2 against the 6.1 headers
#   make layers     sparse, then: each file of kmod/ uses only those below it
#   make bench      run the bench/*.c programs in a VM (when they exist)
#   make fuzz       run the *fuzz* selftests in a VM (when they exist)
#   make deps       install the Debian packages all this needs
#   make install    module (KDIR), library, tool, udev rule, docs; uninstall
#                   removes exactly those (DESTDIR, PREFIX; see "Installing"
#                   in Documentation/admin-guide.rst); install-dkms: DKMS
#   make deb        Debian packages into build/deb (and lintian)
#   make docs       Documentation/ with Sphinx, warnings as errors
#   make clean
#
# Variables (make VAR=value):
#   KDIR          kernel build tree for `make` (default: the running kernel's,
#                 /lib/modules/$(uname -r)/build; nothing else)
#   KERNELS       kernels for `make check` (default: 6.1 6.12 6.12-rt debug)
#   KERNEL        kernel for demo, bench and fuzz (default: 6.1)
#   TESTS         selftest binaries to run (default: all)
#   TEST_TIMEOUT  seconds per selftest binary in the VM (default: 300; a
#                 binary's NAME_TIMEOUT in selftests/Makefile overrides it)
#   VM_TIMEOUT    hard limit per VM run in seconds (default: 600 + the
#                 longest per-binary timeout; 1500 + it for the debug kernel)
#   VM_HEARTBEAT  seconds without the guest's heartbeat before its VM is
#                 killed and booted again (default: 240; 0: never)
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

# The running kernel's build tree, and no other unless KDIR= says so: a
# module built for another kernel would not load here.
KDIR ?= /lib/modules/$(shell uname -r)/build
# The release KDIR builds for, as in the module's vermagic (Debian's
# kernel.release says 6.1.192 where uname -r says 6.1.0-57-amd64); the
# module goes to /lib/modules/$(KREL).
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
# Kbuild runs in a copy of the sources (scripts/kbuild.sh): none of its
# objects land in the source tree.
KBUILD_OUT = $(BUILD)/module/$(KREL)
KMOD ?= $(TOP)/kmod
SELFTESTS ?= $(TOP)/selftests
KERNELS ?= 6.1 6.12 6.12-rt debug
KERNEL ?= 6.1

export BUILD KMOD V TESTS TEST_TIMEOUT VM_TIMEOUT VM_HEARTBEAT CMDLINE MODPARAMS
export QEMU_MEM QEMU_SMP QEMU_CPU QEMU_ACCEL KERNELS

# selftests/Makefile builds the sources of $(SELFTESTS) into build/selftests.
SELFTESTS_MAKE = $(MAKE) --no-print-directory -C $(TOP)/selftests \
	SRCDIR=$(abspath $(SELFTESTS)) OUT=$(BUILD)/selftests

all: module user selftests

module:
	@test -f $(KDIR)/Makefile || { \
		echo "vqnotify: no kernel build tree at $(KDIR)." >&2; \
		if [ "$(KDIR)" = /lib/modules/$$(uname -r)/build ]; then \
			echo "  Install the running kernel's headers (Debian:" \
				"apt-get install linux-headers-$$(uname -r))," >&2; \
			echo "  or build for another kernel: make KDIR=/path/to/its/build" >&2; fi; \
		exit 1; }
	@test -n "$(KREL)" || { echo "vqnotify: $(KDIR) has no include/generated/utsrelease.h" >&2; exit 1; }
	@$(TOP)/scripts/kbuild.sh $(KDIR) $(KBUILD_OUT) modules
	@echo "vqnotify: built $(KBUILD_OUT)/vqnotify.ko for $(KREL)"

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

# netlink-gen.[ch] and the uAPI vqnotify_netlink.h are ynl-gen-c's output,
# verbatim: check-spec.sh checks them.
style:
	@$(TOP)/scripts/checkpatch.sh $(filter-out $(KMOD)/netlink-gen.%,$(wildcard $(KMOD)/*.[ch])) \
		$(wildcard $(TOP)/include/uapi/linux/vqnotify.h) && echo "style: clean"

sparse:
	@$(TOP)/scripts/sparse.sh 6.1

# The module's files depend only downward (the order of vqnotify-y in Kbuild).
layers: sparse
	@$(TOP)/scripts/check-layers.sh $(BUILD)/sparse-6.1/module

# The project's own checks: warnings are errors there (not in users' builds).
check demo bench fuzz style sparse: export VQN_WERROR := 1

check: deps
	@$(TOP)/scripts/check.sh

demo: deps user
	@$(TOP)/scripts/vm-test.sh --demo $(KERNEL)

qemu: deps
	@$(TOP)/scripts/qemu.sh

# The README's package commands in a fresh Debian 12 chroot (root, network
# to Debian's archive, about 4 min): not part of check.
check-fresh-install:
	@$(TOP)/scripts/fresh-install.sh

# The patched QEMU nested in the rig (Documentation/qemu.rst): a real VM's
# disk is refused a slot, keeps running, gets its slot when the admin
# raises the budget; vqnotifyctl monitor and QEMU's KVM calls beside it.
demo-qemu: deps user
	@TESTBIN=$(TOP)/integrations/qemu/tests TESTS=vqn_qemu_demo \
		VM_EXTRA=$(TOP)/scripts/qemu-rig.sh QEMU_MEM=$${QEMU_MEM:-1536} \
		QEMU_SMP=$${NESTED_SMP:-1} \
		VQN_TIMEOUT_vqn_qemu_demo=$${VQN_TIMEOUT_vqn_qemu_demo:-600} \
		$(TOP)/scripts/vm-test.sh --tag demo-qemu $(KERNEL); st=$$?; \
	tr -d '\r' <$(BUILD)/logs/demo-qemu-$(KERNEL).log | sed -n \
		'/TEST vqn_qemu_demo BEGIN/,/TEST vqn_qemu_demo END/{/^VQN-RIG/d;/^\[ *[0-9.]*\]/d;p}'; \
	exit $$st

# bench/*.c: programs built like the selftests and run in the VM the same
# way (they print TAP too); the figures are in build/logs/bench-$(KERNEL).log,
# the table is printed and the JSON kept in build/bench-$(KERNEL).json.
BENCH_MAKE = $(MAKE) --no-print-directory -C $(TOP)/selftests \
	SRCDIR=$(TOP)/bench OUT=$(BUILD)/bench
# Room for the promotion figure's 10,000 waiting guests (4096 by default).
BENCH_MAX_GUESTS = 10240

bench: deps user
	@t="$$($(BENCH_MAKE) list)"; \
	if [ -n "$$t" ]; then \
		$(BENCH_MAKE) && \
		TESTBIN=$(BUILD)/bench TESTS="$$t" \
			MODPARAMS="max_guests=$(BENCH_MAX_GUESTS) $(MODPARAMS)" \
			$(TOP)/scripts/vm-test.sh --tag bench $(KERNEL) && \
		grep -ah '^bench: ' $(BUILD)/logs/bench-$(KERNEL).log | tr -d '\r' && \
		$(TOP)/scripts/check-bench-json.py $(BUILD)/logs/bench-$(KERNEL).log && \
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

# --- Installing (Documentation/admin-guide.rst, "Installing") ------------
# make install [DESTDIR=] [PREFIX=/usr/local]: the module into
# /lib/modules/$(KREL)/updates (then depmod, unless DESTDIR is set), the
# library, headers, vqnotify.pc, vqnotifyctl and man pages (user/Makefile),
# the udev rule, the modules-load.d file, the metrics service and timer
# (conf/systemd, not enabled), a modprobe.d example and the examples
# (docs). make uninstall removes exactly what install put down.
VERSION := $(shell $(TOP)/scripts/version.sh)
PREFIX ?= /usr/local
DATADIR ?= $(PREFIX)/share
DOCDIR ?= $(DATADIR)/doc/vqnotify
# Where udev, systemd-modules-load and systemd look under /usr/local and /usr.
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# vqnotifyctl's, as user/Makefile has it: the service runs it from there.
BINDIR ?= $(PREFIX)/sbin
MODULEDIR = /lib/modules/$(KREL)/updates
DKMSDIR ?= /usr/src/vqnotify-$(VERSION)
USER_MAKE = $(MAKE) --no-print-directory -C $(TOP)/user O=$(BUILD)/user PREFIX=$(PREFIX)

# The files admin-guide.rst and vqnotifyctl(8) point to, installed beside
# them: the Grafana dashboard, the JSON Schema, the netlink spec (ynl).
DOC_REFS := Documentation/grafana-vqnotify.json \
	Documentation/vqnotifyctl.schema.json \
	Documentation/netlink/specs/vqnotify.yaml
# The replay scripts of examples/ (vqnotifyctl replay FILE).
EXAMPLES_VQN := $(notdir $(wildcard $(TOP)/examples/*.vqn))
DATA_FILES := $(UDEVRULESDIR)/60-vqnotify.rules \
	$(MODULESLOADDIR)/vqnotify.conf \
	$(SYSTEMDUNITDIR)/vqnotify-metrics.service \
	$(SYSTEMDUNITDIR)/vqnotify-metrics.timer \
	$(SYSTEMDUNITDIR)/vqnotify-metrics-http@.socket \
	$(SYSTEMDUNITDIR)/vqnotify-metrics-http@.service $(DOCDIR)/README.md \
	$(DOCDIR)/admin-guide.rst $(addprefix $(DOCDIR)/examples/,$(EXAMPLES_VQN)) \
	$(DOCDIR)/examples/vqn-hello.c $(DOCDIR)/examples/modprobe.d/vqnotify.conf \
	$(addprefix $(DOCDIR)/,$(notdir $(DOC_REFS)))
# The module's sources as DKMS builds them (and the vqnotify-dkms package).
DKMS_FILES := dkms.conf Kbuild Kconfig \
	$(patsubst $(TOP)/%,%,$(wildcard $(TOP)/include/uapi/linux/*.h)) \
	$(patsubst $(TOP)/%,%,$(wildcard $(TOP)/kmod/*.[ch]))

install: install-module install-user install-data

install-module: module
	install -D -m 0644 $(KBUILD_OUT)/vqnotify.ko $(DESTDIR)$(MODULEDIR)/vqnotify.ko
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(KREL)"; depmod -a $(KREL); fi

install-user: user
	@$(USER_MAKE) install
	@if [ -z "$(DESTDIR)" ]; then echo ldconfig; ldconfig; fi

install-data:
	install -D -m 0644 $(TOP)/udev/60-vqnotify.rules $(DESTDIR)$(UDEVRULESDIR)/60-vqnotify.rules
	install -D -m 0644 $(TOP)/conf/modules-load.d/vqnotify.conf $(DESTDIR)$(MODULESLOADDIR)/vqnotify.conf
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in vqnotify-metrics.service vqnotify-metrics-http@.service; do \
		sed 's|@SBINDIR@|$(BINDIR)|' $(TOP)/conf/systemd/$$u.in \
			>$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; done
	install -m 0644 $(TOP)/conf/systemd/vqnotify-metrics.timer \
		$(TOP)/conf/systemd/vqnotify-metrics-http@.socket $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -D -m 0644 $(TOP)/README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 $(TOP)/Documentation/admin-guide.rst $(DESTDIR)$(DOCDIR)/admin-guide.rst
	for f in $(EXAMPLES_VQN); do install -D -m 0644 $(TOP)/examples/$$f \
		$(DESTDIR)$(DOCDIR)/examples/$$f || exit 1; done
	install -D -m 0644 $(TOP)/examples/vqn-hello.c $(DESTDIR)$(DOCDIR)/examples/vqn-hello.c
	install -m 0644 $(addprefix $(TOP)/,$(DOC_REFS)) $(DESTDIR)$(DOCDIR)/
	install -D -m 0644 $(TOP)/conf/modprobe.d/vqnotify.conf \
		$(DESTDIR)$(DOCDIR)/examples/modprobe.d/vqnotify.conf

# The sources DKMS builds, in $(DKMSDIR); then, unless DESTDIR is set,
# `dkms install vqnotify/$(VERSION) -k KREL` for each kernel of $(MODROOT)
# with headers (its build/), the running one and, on a host with a kernel
# update pending a reboot, the one it boots next; kernels installed later
# get it from DKMS (AUTOINSTALL). Without a kernel with headers it stops
# first, the version's earlier build left as it is. A kernel dkms.conf
# excludes (exit 77) is skipped; a kernel it fails for (an old kernel's
# headers left behind, say) is named at the end and fails the target, after
# the others are built; no kernel built for fails it too. DKMS skips a version it has built already, and the
# version stays the same from one commit to the next: an earlier build of
# it is removed first, so that these sources are the ones built.
DKMS ?= dkms
MODROOT ?= /lib/modules
DKMS_KERNELS = $(patsubst $(MODROOT)/%/build,%,$(wildcard $(MODROOT)/*/build))
install-dkms:
	@[ -n "$(DESTDIR)" ] || [ -n "$(DKMS_KERNELS)" ] || { \
		echo "vqnotify: no kernel of $(MODROOT) with headers to build" \
			"for: apt-get install linux-headers-amd64" >&2; exit 1; }
	@if [ -z "$(DESTDIR)" ] && [ -n "$$($(DKMS) status -m vqnotify -v $(VERSION))" ]; then \
		echo "$(DKMS) remove vqnotify/$(VERSION) --all"; \
		$(DKMS) remove vqnotify/$(VERSION) --all || exit 1; fi
	cd $(TOP) && for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMSDIR)/$$f || exit 1; done
	@[ -n "$(DESTDIR)" ] || { n=0; bad=; for k in $(DKMS_KERNELS); do \
		echo "$(DKMS) install vqnotify/$(VERSION) -k $$k"; \
		$(DKMS) install vqnotify/$(VERSION) -k $$k; \
		case $$? in 0) n=$$((n + 1)) ;; 77) ;; *) bad="$$bad $$k" ;; esac; \
		done; \
		[ -z "$$bad" ] || { echo "vqnotify: dkms failed for$$bad (its" \
			"messages above); built for $$n other kernel(s)" >&2; exit 1; }; \
		[ $$n != 0 ] || { echo "vqnotify: dkms.conf excludes every kernel" \
			"with headers ($(DKMS_KERNELS)): see BUILD_EXCLUSIVE_CONFIG" >&2; \
			exit 1; }; }

# The module last: without KDIR's kernel it stops, the rest removed. The
# data first: the metrics timer is disabled before the tool it runs goes.
uninstall: uninstall-data uninstall-user uninstall-module

uninstall-module:
	@test -n "$(KREL)" || { echo "vqnotify: which kernel? KDIR=" >&2; exit 1; }
	rm -f $(DESTDIR)$(MODULEDIR)/vqnotify.ko
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(KREL)"; depmod -a $(KREL); fi

uninstall-user:
	@$(USER_MAKE) uninstall
	@if [ -z "$(DESTDIR)" ]; then echo ldconfig; ldconfig; fi

# What the admin enabled (admin-guide.rst: the timer, the HTTP exporter's
# sockets) is disabled first: no link to a removed unit is left, and,
# unless DESTDIR is set, nothing loaded keeps starting a removed tool.
# Only for units this install put there: a package's are the package's.
SYSTEMCTL ?= systemctl
uninstall-data:
	@live=; [ -n "$(DESTDIR)" ] || [ ! -d /run/systemd/system ] || live=1; \
	run() { echo "$(SYSTEMCTL) $$*"; $(SYSTEMCTL) "$$@" || :; }; \
	off() { \
		if [ -n "$(DESTDIR)" ]; then run --root=$(DESTDIR) disable "$$@"; \
		elif [ -n "$$live" ]; then run disable --now "$$@"; \
		else run disable "$$@"; fi; }; \
	if [ -e $(DESTDIR)$(SYSTEMDUNITDIR)/vqnotify-metrics.timer ]; then \
		off vqnotify-metrics.timer; \
		[ -z "$$live" ] || run stop vqnotify-metrics.service; fi; \
	if [ -e $(DESTDIR)$(SYSTEMDUNITDIR)/vqnotify-metrics-http@.socket ]; then \
		for l in $(DESTDIR)/etc/systemd/system/*.wants/vqnotify-metrics-http@*.socket; do \
			[ ! -L "$$l" ] || off "$${l##*/}"; done; \
		[ -z "$$live" ] || run stop 'vqnotify-metrics-http@*'; fi
	rm -f $(addprefix $(DESTDIR),$(DATA_FILES))
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "$(SYSTEMCTL) daemon-reload"; $(SYSTEMCTL) daemon-reload || :; fi
	@# what the metrics unit wrote: not to be served as current any more
	rm -f $(DESTDIR)/var/lib/prometheus/node-exporter/vqnotify.prom
	-rmdir $(DESTDIR)$(DOCDIR)/examples/modprobe.d $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(DOCDIR) 2>/dev/null

uninstall-dkms:
	@if [ -z "$(DESTDIR)" ]; then echo "$(DKMS) remove vqnotify/$(VERSION) --all"; \
		$(DKMS) remove vqnotify/$(VERSION) --all || :; fi
	cd $(DESTDIR)$(DKMSDIR) 2>/dev/null && rm -f $(DKMS_FILES) || :
	-cd $(DESTDIR)$(DKMSDIR) 2>/dev/null && rmdir -p include/uapi/linux kmod 2>/dev/null
	-rmdir $(DESTDIR)$(DKMSDIR) 2>/dev/null

# Debian packages (debian/), built in a copy of the tree, into build/deb/.
deb:
	@$(TOP)/scripts/deb.sh

# Documentation/ with Sphinx (Documentation/conf.py), warnings as errors,
# into build/docs/html.
docs:
	@command -v sphinx-build >/dev/null || \
		{ echo "docs: sphinx-build missing: apt-get install python3-sphinx" >&2; exit 1; }
	@sphinx-build -q -E -W -n --keep-going -b html -d $(BUILD)/docs/.doctrees \
		$(TOP)/Documentation $(BUILD)/docs/html && \
		echo "docs: built $(BUILD)/docs/html without warnings"

clean:
	rm -rf $(BUILD)

.PHONY: install install-module install-user install-data install-dkms uninstall
.PHONY: uninstall-module uninstall-user uninstall-data uninstall-dkms
.PHONY: deb docs check-fresh-install
.PHONY: all module user selftests selftests-list selftests-timeouts deps style sparse layers check demo qemu demo-qemu bench fuzz clean
