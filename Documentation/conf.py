# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of vqnotify's documentation: `make docs` builds it
# with warnings as errors (sphinx-build -W -n) into build/docs.
project = 'vqnotify'
copyright = 'vqnotify developers'
root_doc = 'index'
exclude_patterns = ['netlink']
html_theme = 'alabaster'
