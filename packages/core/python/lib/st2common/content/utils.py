"""st2common.content.utils: where packs are installed, as the job sees it.

StackStorm searched its packs_base_paths (/opt/stackstorm/packs, ...) for a pack's folder. Under
Packrun every installed pack is `<PACKRUN_HOME>/packs/<ref>`, so there is one base path: the
folder holding the running pack's own, at the path the job sees it (the sandbox binds the pack
at its host path). Inside the sandbox only the job's own pack is there; another pack's path is
still returned, as st2 returns one for a pack it did not find, and opening anything under it
fails: the sandbox shows a job no other pack."""

import os

from packrun_runtime.loader import running_pack_dir

__all__ = ['get_packs_base_paths', 'get_pack_base_path']


def get_packs_base_paths():
    pack_dir = running_pack_dir()
    return [os.path.dirname(pack_dir)] if pack_dir else []


def get_pack_base_path(pack_name, include_trailing_slash=False, use_pack_cache=False):
    """The absolute folder of pack `pack_name` (with a trailing separator if asked), whether or
    not it is there; None for no name or outside a pack's job. use_pack_cache is accepted for
    st2's signature: there is one base path, so nothing to cache."""
    bases = get_packs_base_paths()
    if not pack_name or not bases:
        return None
    # st2 quotes the name for a shell (quote_unix) before joining; a pack ref ([a-z0-9_]+)
    # never needs it, and a name with a separator or '..' must not climb out of the packs folder.
    if os.path.basename(pack_name) != pack_name or pack_name in ('.', '..'):
        raise ValueError('"%s" is not a pack name' % (pack_name,))
    pack_base_path = os.path.abspath(os.path.join(bases[0], pack_name))
    if include_trailing_slash and not pack_base_path.endswith(os.path.sep):
        pack_base_path += os.path.sep
    return pack_base_path
