"""Packrun's stand-in for the parts of StackStorm's st2common that pack code imports.

It sits last on a pack's sys.path and nothing is installed into a pack's environment on its
behalf: it uses the standard library, and beyond it only the st2 fallback libraries, which come
after it on the same path (st2-fallback/README.md; util.jinja needs jinja2, PyYAML and semver)."""

__version__ = '3.8.0'
