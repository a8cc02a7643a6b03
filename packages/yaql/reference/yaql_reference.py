"""Evaluates YAQL expressions with PyPI's yaql, for @packrun/yaql's comparison tests.

Reads {"cases": [{"expression": str, "data": any, "variables": {name: any}}]} as JSON on stdin and writes
{"version": str, "results": [...]} on stdout, one result per case, in order:
{"ok": value} or {"error": {"type": name, "message": text}}. Values are encoded as JSON with
markers for what JSON lacks: {"$set": [...]}, {"$float": "nan" | "inf" | "-inf"},
{"$unserializable": type name}. Dict keys become text as json.dumps would write them.
yaql is evaluated as Orquesta does: YaqlFactory().create() and yaql.create_context(), with a
ctx() function registered as Orquesta's (the workflow's variables are $__vars).
"""

import collections.abc  # noqa: F401  yaql 3.2 uses collections.abc without importing it
import json
import math
import signal
import sys

import yaql
from yaql.language import utils

# Bounds for expressions that never end (sequence()) or grow without limit; the comparison
# treats a result past them as an error, as @packrun/yaql's own limits make it.
ENGINE = yaql.YaqlFactory().create(options={
    'yaql.limitIterators': 100000,
    'yaql.memoryQuota': 50000000,
})
ROOT_CONTEXT = yaql.create_context()
SECONDS_PER_CASE = 5


def ctx_(context, key=None):
    """Orquesta's ctx() (orquesta/expressions/functions/common.py), whose behaviour it copies."""
    variables = context['__vars']
    if not key:
        return variables
    if key not in variables:
        raise KeyError(key)
    return variables[key]


ROOT_CONTEXT.register_function(ctx_, name='ctx')


class Unencodable(Exception):
    pass


def key_text(key):
    if isinstance(key, str):
        return key
    if key is True:
        return 'true'
    if key is False:
        return 'false'
    if key is None:
        return 'null'
    if isinstance(key, (int, float)):
        return json.dumps(key)
    raise Unencodable('dict key of type ' + type(key).__name__)


def encode(value, depth=0):
    if depth > 200:
        raise Unencodable('nesting')
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {'$float': 'nan'}
        if math.isinf(value):
            return {'$float': 'inf' if value > 0 else '-inf'}
        return value
    if isinstance(value, (list, tuple)):
        return [encode(item, depth + 1) for item in value]
    if isinstance(value, (set, frozenset)):
        return {'$set': [encode(item, depth + 1) for item in value]}
    if isinstance(value, utils.MappingType):
        return {key_text(key): encode(item, depth + 1) for key, item in value.items()}
    raise Unencodable(type(value).__name__)


def on_timeout(signum, frame):
    raise TimeoutError('the case took more than %d seconds' % SECONDS_PER_CASE)


def evaluate(case):
    signal.alarm(SECONDS_PER_CASE)
    try:
        expression = ENGINE(case['expression'])
        context = ROOT_CONTEXT.create_child_context()
        for name, variable in (case.get('variables') or {}).items():
            context[name] = utils.convert_input_data(variable)
        value = expression.evaluate(data=case.get('data'), context=context)
        try:
            return {'ok': encode(value)}
        except Unencodable as error:
            return {'ok': {'$unserializable': str(error)}}
    except BaseException as error:  # noqa: B902  StopIteration and friends are yaql results too
        if isinstance(error, KeyboardInterrupt):
            raise
        return {'error': {'type': type(error).__name__, 'message': str(error)[:500]}}
    finally:
        signal.alarm(0)


def main():
    signal.signal(signal.SIGALRM, on_timeout)
    cases = json.load(sys.stdin)['cases']
    results = [evaluate(case) for case in cases]
    json.dump({'version': yaql.__version__, 'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
