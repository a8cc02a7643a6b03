"""st2common.expressions.functions.data: JSON and YAML conversion filters, as st2 defines them."""

import json

import jsonpath_rw
import yaml

__all__ = ['from_json_string', 'from_yaml_string', 'json_escape', 'jsonpath_query', 'to_complex',
           'to_json_string', 'to_yaml_string', 'use_none', 'NONE_MAGIC_VALUE']

# st2 prefers libYAML's classes when PyYAML was built with it; both are the safe ones.
_SafeLoader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
_SafeDumper = getattr(yaml, 'CSafeDumper', yaml.SafeDumper)

# What use_none turns None into, so that a rendered parameter can still say "None" (st2's value).
NONE_MAGIC_VALUE = '%*****__%NONE%__*****%'


def from_json_string(value):
    # st2 parses with orjson, which has no PyPy build; the standard parser gives the same values.
    return json.loads(str(value))


def from_yaml_string(value):
    return yaml.load(str(value), Loader=_SafeLoader)


def to_json_string(value, indent=None, sort_keys=False, separators=(',', ': ')):
    options = {}
    if indent is not None:
        options['indent'] = indent
    if sort_keys is not None:
        options['sort_keys'] = sort_keys
    if separators is not None:
        options['separators'] = separators
    return json.dumps(value, **options)


def to_yaml_string(value, indent=None, allow_unicode=True):
    options = {'default_flow_style': False}
    if indent is not None:
        options['indent'] = indent
    if allow_unicode is not None:
        options['allow_unicode'] = allow_unicode
    return yaml.dump(value, Dumper=_SafeDumper, **options)


def json_escape(value):
    """The value JSON-escaped, without the quotes around it: for splicing into a JSON string."""
    return json.dumps(value).strip('"')


def jsonpath_query(value, query):
    """The values `query` (JSONPath, jsonpath-rw's dialect) finds in `value`, or None for none."""
    matches = [match.value for match in jsonpath_rw.parse(query).find(value)]
    return matches or None


def to_complex(value):
    return json.dumps(value)


def use_none(value):
    return NONE_MAGIC_VALUE if value is None else value
