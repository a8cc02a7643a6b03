"""The folder name of Packrun's library builds for the running interpreter."""

import sys


def site_tag():
    """"py3.11" for CPython, "pypy3.9" for PyPy: one build per implementation and version, since
    compiled extensions (greenlet) differ between them. The installer computes the same name
    (pack-installer's interpreter.ts, pythonSiteTag) when it builds them."""
    name = sys.implementation.name
    prefix = 'py' if name == 'cpython' else name
    return '%s%d.%d' % (prefix, sys.version_info[0], sys.version_info[1])
