"""st2common.expressions.functions.version: semantic-version filters, through semver as in st2."""

import semver

__all__ = ['version_compare', 'version_more_than', 'version_less_than', 'version_equal',
           'version_match', 'version_bump_major', 'version_bump_minor', 'version_bump_patch',
           'version_strip_patch']


def version_compare(value, pattern):
    return semver.Version.parse(value).compare(pattern)


def version_more_than(value, pattern):
    return version_compare(value, pattern) == 1


def version_less_than(value, pattern):
    return version_compare(value, pattern) == -1


def version_equal(value, pattern):
    return version_compare(value, pattern) == 0


def version_match(value, pattern):
    return semver.Version.parse(value).match(pattern)


def version_bump_major(value):
    return str(semver.Version.parse(value).bump_major())


def version_bump_minor(value):
    return str(semver.Version.parse(value).bump_minor())


def version_bump_patch(value):
    return str(semver.Version.parse(value).bump_patch())


def version_strip_patch(value):
    version = semver.Version.parse(value)
    return '%s.%s' % (version.major, version.minor)
