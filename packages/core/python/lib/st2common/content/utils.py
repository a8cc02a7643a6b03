"""st2common.content.utils: where packs are installed, as the job sees it.

StackStorm searched its packs_base_paths (/opt/stackstorm/packs, ...) for a pack's folder. Under
Packrun a pack is installed in `<PACKRUN_HOME>/packs/.versions/<id>/<ref>`, `packs/<ref>` naming
the active version, so there is one base path, `<PACKRUN_HOME>/packs`. The running pack's own
folder is the one its job was given (the sandbox binds it at that path); another pack's is
`packs/<name>`, as st2 answered `<base>/<name>` for any name, and inside the sandbox nothing is
there: a job sees no other pack."""

import os

from packrun_runtime.loader import running_pack_dir

__all__ = ['get_packs_base_paths', 'get_pack_base_path']

_VERSIONS_DIR = '.versions'


def get_packs_base_paths():
    pack_dir = running_pack_dir()
    if not pack_dir:
        return []
    version_dir = os.path.dirname(pack_dir)
    if os.path.basename(os.path.dirname(version_dir)) == _VERSIONS_DIR:
        return [os.path.dirname(os.path.dirname(version_dir))]
    # A pack run from a folder of its own (packrun's development runs): its parent folder.
    return [version_dir]


def get_pack_base_path(pack_name, include_trailing_slash=False, use_pack_cache=False):
    """The absolute folder of pack `pack_name` (with a trailing separator if asked), whether or
    not it is there; None for no name or outside a pack's job. use_pack_cache is taken for st2's
    signature: nothing is searched, so nothing is cached."""
    pack_dir = running_pack_dir()
    if not pack_name or not pack_dir:
        return None
    # st2 quotes the name for a shell (quote_unix) before joining; a pack ref ([a-z0-9_]+) never
    # needs it, and a name holding a separator or '..' must not climb out of the packs folder.
    if os.path.basename(pack_name) != pack_name or pack_name in ('.', '..'):
        raise ValueError('"%s" is not a pack name' % (pack_name,))
    if pack_name == os.path.basename(pack_dir):
        base = pack_dir
    else:
        base = os.path.abspath(os.path.join(get_packs_base_paths()[0], pack_name))
    if include_trailing_slash and not base.endswith(os.path.sep):
        base += os.path.sep
    return base
