"""st2common.expressions.functions.regex: regular-expression filters, as st2 defines them."""

import re

__all__ = ['regex_match', 'regex_replace', 'regex_search', 'regex_substring']


def _flags(ignorecase):
    return re.I if ignorecase else 0


def regex_match(value, pattern, ignorecase=False):
    return bool(re.match(pattern, _text(value), _flags(ignorecase)))


def regex_replace(value, pattern, replacement, ignorecase=False):
    return re.compile(pattern, _flags(ignorecase)).sub(replacement, _text(value))


def regex_search(value, pattern, ignorecase=False):
    return bool(re.search(pattern, _text(value), _flags(ignorecase)))


def regex_substring(value, pattern, result_index=0, ignorecase=False):
    return re.findall(pattern, _text(value), _flags(ignorecase))[result_index]


def _text(value):
    return value if isinstance(value, str) else str(value)
