"""st2common.util.jinja: st2's Jinja environment for pack code (the Exchange jinja pack's
render_file builds it with get_jinja_environment(allow_undefined=True)).

The same sandboxed environment as StackStorm's (jinja2.sandbox.SandboxedEnvironment, trim_blocks
and lstrip_blocks, StrictUndefined unless undefined names are allowed, the `in` test) with st2's
filters but one: decrypt_kv decrypts a datastore value with StackStorm's encryption key, which pack
code never holds under Packrun (a pack reads its secrets decrypted through its datastore channel).
A template using it fails as with any unknown filter.

The template renders inside the job that asked, with that job's rights and nothing more: the
runtime never renders pack templates with this environment."""

from st2common.expressions.functions import data, path, regex, time, version

__all__ = ['get_jinja_environment', 'get_filters']


def get_filters():
    return {
        'from_json_string': data.from_json_string,
        'from_yaml_string': data.from_yaml_string,
        'json_escape': data.json_escape,
        'jsonpath_query': data.jsonpath_query,
        'to_complex': data.to_complex,
        'to_json_string': data.to_json_string,
        'to_yaml_string': data.to_yaml_string,
        'regex_match': regex.regex_match,
        'regex_replace': regex.regex_replace,
        'regex_search': regex.regex_search,
        'regex_substring': regex.regex_substring,
        'to_human_time_from_seconds': time.to_human_time_from_seconds,
        'version_compare': version.version_compare,
        'version_more_than': version.version_more_than,
        'version_less_than': version.version_less_than,
        'version_equal': version.version_equal,
        'version_match': version.version_match,
        'version_bump_major': version.version_bump_major,
        'version_bump_minor': version.version_bump_minor,
        'version_bump_patch': version.version_bump_patch,
        'version_strip_patch': version.version_strip_patch,
        'use_none': data.use_none,
        'basename': path.basename,
        'dirname': path.dirname,
    }


def get_jinja_environment(allow_undefined=False, trim_blocks=True, lstrip_blocks=True):
    """A jinja2 SandboxedEnvironment with st2's filters; undefined names render empty when
    allow_undefined, and fail the render otherwise."""
    # Imported here, as st2 does: importing jinja2 costs time a pack not rendering should not pay.
    import jinja2
    import jinja2.sandbox

    env = jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.Undefined if allow_undefined else jinja2.StrictUndefined,
        trim_blocks=trim_blocks, lstrip_blocks=lstrip_blocks)
    env.filters.update(get_filters())
    env.tests['in'] = lambda item, items: item in items
    return env
