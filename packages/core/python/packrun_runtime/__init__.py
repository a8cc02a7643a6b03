"""Packrun's side of the wrapper processes: the control channel, job decoding, the datastore
client and the action/sensor entry points. Imported by the wrapper scripts before any pack path
is put on sys.path, so a pack module can never shadow it."""
