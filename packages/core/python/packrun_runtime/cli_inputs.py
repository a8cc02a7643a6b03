"""Inputs of a wrapper run by hand: JSON given inline or as @file."""

import json


def json_argument(value, flag, default):
    if value is None:
        return default
    text = value
    if value.startswith('@'):
        with open(value[1:], 'r', encoding='utf-8') as f:
            text = f.read()
    try:
        return json.loads(text)
    except ValueError as e:
        raise SystemExit('%s: not valid JSON (%s)' % (flag, e))


def json_object_argument(value, flag):
    parsed = json_argument(value, flag, {})
    if not isinstance(parsed, dict):
        raise SystemExit('%s: must be a JSON object' % (flag,))
    return parsed
