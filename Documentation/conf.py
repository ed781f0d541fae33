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

# `.. vqn-netlink-spec::` renders the netlink spec (Documentation/netlink/
# specs/vqnotify.yaml) with the kernel's ynl-gen-rst, as the kernel renders
# its own families' specs: the family's uAPI header is generated from the
# spec and has no comments, the spec's docs are the reference.
from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import ViewList
from sphinx.util.nodes import nested_parse_with_titles


class NetlinkSpec(Directive):
    def run(self):
        spec = os.path.join(_top, 'Documentation', 'netlink', 'specs',
                            'vqnotify.yaml')
        self.state.document.settings.env.note_dependency(spec)
        rst = subprocess.check_output(
            [os.path.join(_top, 'scripts', 'check-spec.sh'), '--print-rst'],
            text=True)
        lines = ViewList()
        for i, line in enumerate(rst.splitlines()):
            lines.append(line, spec, i)
        node = nodes.section()
        nested_parse_with_titles(self.state, lines, node)
        return node.children


def setup(app):
    app.add_directive('vqn-netlink-spec', NetlinkSpec)
