# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of vqnotify's documentation: `make docs` builds it
# with warnings as errors (sphinx-build -W -n) into build/docs.
import os
import subprocess
import sys

project = 'vqnotify'
copyright = 'vqnotify developers'
root_doc = 'index'
exclude_patterns = ['netlink']
html_theme = 'alabaster'

# `.. kernel-doc::` renders the kernel-doc comments of the uAPI header and
# of the module with the kernel's own tools (its Sphinx extension and
# scripts/kernel-doc), which scripts/kdoc-src.sh extracts from Debian's
# linux-source-6.12 into the cache and names.
_top = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
_kdoc = os.environ.get('VQN_KDOC') or subprocess.check_output(
    [os.path.join(_top, 'scripts', 'kdoc-src.sh')], text=True).strip()
sys.path.insert(0, os.path.join(_kdoc, 'Documentation', 'sphinx'))
extensions = ['kerneldoc']
# kernel-doc through a wrapper that fails when it warns: its warnings (an
# undocumented member, a DOC block that is not there) fail the build too.
os.environ['VQN_KERNEL_DOC'] = os.path.join(_kdoc, 'scripts', 'kernel-doc')
kerneldoc_bin = os.path.join(_top, 'scripts', 'kernel-doc-strict.sh')
kerneldoc_srctree = _top
kerneldoc_verbosity = 1
