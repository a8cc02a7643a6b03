"""st2common.util.jsonify: JSON helpers packs use for results and payloads."""

import datetime
import json
import uuid

__all__ = ['GenericJSON', 'json_encode', 'json_decode', 'json_loads', 'try_loads', 'load_file',
           'get_json_type_for_python_value']


class GenericJSON(json.JSONEncoder):
    """Encodes what st2 results commonly hold: objects with __json__, sets, datetimes, UUIDs."""

    def default(self, obj):  # noqa: D102
        if hasattr(obj, '__json__') and callable(obj.__json__):
            return obj.__json__()
        if isinstance(obj, (set, frozenset)):
            return list(obj)
        if isinstance(obj, (datetime.datetime, datetime.date)):
            return obj.isoformat()
        if isinstance(obj, uuid.UUID):
            return str(obj)
        if isinstance(obj, bytes):
            return obj.decode('utf-8', errors='replace')
        return json.JSONEncoder.default(self, obj)


def json_encode(obj, indent=4, sort_keys=False):
    return json.dumps(obj, cls=GenericJSON, indent=indent, sort_keys=sort_keys)


def json_decode(data):
    return json.loads(data)


def load_file(path):
    with open(path, 'r', encoding='utf-8') as f:
        return json.load(f)


def json_loads(obj, keys=None):
    """Parse the named keys of a dict (all of them when keys is None) that hold JSON text;
    values that are not JSON are left as they are."""
    if not obj:
        return None
    if not keys:
        keys = list(obj.keys())
    for key in keys:
        try:
            obj[key] = json.loads(obj[key])
        except (TypeError, ValueError, KeyError):
            pass
    return obj


def try_loads(s):
    """Parsed JSON when s is a JSON string, s unchanged otherwise."""
    try:
        return json.loads(s) if s and isinstance(s, str) else s
    except ValueError:
        return s


def get_json_type_for_python_value(value):
    if isinstance(value, str):
        return 'string'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, float):
        return 'number'
    if isinstance(value, dict):
        return 'object'
    if isinstance(value, (list, tuple)):
        return 'array'
    if value is None:
        return 'null'
    return 'unknown'
