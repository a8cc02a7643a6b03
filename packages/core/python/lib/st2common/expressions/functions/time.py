"""st2common.expressions.functions.time: durations for people, as st2 writes them (1h3m5s)."""

import datetime

__all__ = ['to_human_time_from_seconds']


def to_human_time_from_seconds(seconds):
    """`seconds` (int or float) as years, days, hours, minutes and seconds from the first unit
    that is not zero ('3m5s', '1d0h0m1s'); under a second, as st2 does, the value with 'μs'."""
    if not isinstance(seconds, (int, float)):
        raise TypeError('to_human_time_from_seconds takes a number of seconds, not %r' % (seconds,))
    if seconds == 0:
        return '0s'
    if seconds < 1:
        return '%s\u03bcs' % (seconds,)
    if isinstance(seconds, float):
        seconds = int(round(seconds))
    moment = datetime.datetime(1, 1, 1) + datetime.timedelta(seconds=seconds)
    parts = [moment.year - 1, moment.day - 1, moment.hour, moment.minute, moment.second]
    first = next(i for i, part in enumerate(parts) if part)
    units = ['y', 'd', 'h', 'm', 's'][first:]
    return ''.join('%s%s' % (part, unit) for part, unit in zip(parts[first:], units))
