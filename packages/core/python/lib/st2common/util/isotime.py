"""st2common.util.isotime: ISO 8601 formatting, validation and parsing."""

import datetime
import re

from st2common.util.date import add_utc_tz, get_datetime_utc_now, parse as parse_date

__all__ = ['get_datetime_utc_now', 'add_utc_tz', 'format', 'validate', 'parse',
           'ISO8601_FORMAT', 'ISO8601_FORMAT_MICROSECOND', 'ISO8601_UTC_REGEX']

ISO8601_FORMAT = '%Y-%m-%dT%H:%M:%S'
ISO8601_FORMAT_MICROSECOND = '%Y-%m-%dT%H:%M:%S.%f'
ISO8601_UTC_REGEX = (r'^\d{4}\-\d{2}\-\d{2}(\s|T)\d{2}:\d{2}:\d{2}(\.\d{3,6})?'
                     r'(Z|\+00|\+0000|\+00:00)$')


def format(dt, usec=True, offset=True):  # noqa: A001 - st2's public name
    if isinstance(dt, str):
        dt = parse(dt)
    pattern = ISO8601_FORMAT_MICROSECOND if usec else ISO8601_FORMAT
    if offset:
        ost = dt.strftime('%z')
        ost = (ost[:3] + ':' + ost[3:]) if ost else '+00:00'
    else:
        tz = dt.tzinfo.tzname(dt) if dt.tzinfo else 'UTC'
        ost = 'Z' if tz == 'UTC' else tz
    return dt.strftime(pattern) + ost


def validate(value, raise_exception=True):
    if isinstance(value, datetime.datetime) or (
            isinstance(value, str) and re.match(ISO8601_UTC_REGEX, value)):
        return True
    if raise_exception:
        raise ValueError('Datetime value does not match expected format.')
    return False


def parse(value, preserve_original_tz=False, validate_value=True):
    if validate_value:
        validate(value, raise_exception=True)
    return parse_date(value, preserve_original_tz=preserve_original_tz)
