"""Packrun's stand-in for the parts of StackStorm's st2common that pack code imports.

It sits last on a pack's sys.path and uses only the standard library, since nothing can be
installed into a pack's environment on its behalf."""

__version__ = '3.8.0'
