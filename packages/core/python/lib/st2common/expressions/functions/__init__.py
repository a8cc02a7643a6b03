"""st2common.expressions.functions: the functions st2's Jinja environment offers as filters.

Each module keeps st2's name and semantics, so a pack importing one directly gets what
StackStorm gave it. datastore (decrypt_kv) is left out: see st2common.util.jinja."""
