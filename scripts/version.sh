#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# version.sh [DKMS_CONF]: prints the package's version, PACKAGE_VERSION of
# dkms.conf (the tree's, or DKMS_CONF): the one place it is set. The
# Makefiles and scripts/pkg-check.sh read it through this script; the
# module's MODULE_VERSION, the man pages and debian/changelog repeat it,
# and scripts/pkg-check.sh compares them.
conf=${1:-$(dirname "$0")/../dkms.conf}
sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$conf"
