"""st2common.util.date: time-zone aware datetimes, UTC by default (standard library only)."""

import datetime

__all__ = ['get_datetime_utc_now', 'add_utc_tz', 'convert_to_utc', 'parse',
           'append_milliseconds_to_time']

_UTC = datetime.timezone.utc


def get_datetime_utc_now():
    return datetime.datetime.now(_UTC)


def append_milliseconds_to_time(date, millis):
    return date + datetime.timedelta(milliseconds=millis)


def add_utc_tz(dt):
    if dt.tzinfo and dt.tzinfo.utcoffset(dt) != datetime.timedelta(0):
        raise ValueError('datetime already contains a non UTC timezone')
    return dt.replace(tzinfo=_UTC)


def convert_to_utc(dt):
    """A datetime without time zone is taken to be UTC already."""
    if not dt.tzinfo:
        return add_utc_tz(dt)
    return dt.astimezone(_UTC)


def _parse_any(text):
    text = text.strip()
    try:
        # ISO 8601 covers what st2 writes; "Z" is accepted from Python 3.11 on, so map it.
        return datetime.datetime.fromisoformat(text[:-1] + '+00:00' if text.endswith('Z')
                                               else text)
    except ValueError:
        pass
    try:
        # st2 uses dateutil, which reads many more formats; use it when the pack has it.
        import dateutil.parser
    except ImportError:
        raise ValueError('Unable to parse date "%s": not ISO 8601 (install python-dateutil '
                         'in the pack for other formats)' % (text,)) from None
    return dateutil.parser.parse(text)


def parse(value, preserve_original_tz=False):
    dt = _parse_any(str(value))
    if not dt.tzinfo:
        dt = add_utc_tz(dt)
    if not preserve_original_tz:
        dt = convert_to_utc(dt)
    return dt
