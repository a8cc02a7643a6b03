"""The datastore methods actions and sensors call, with StackStorm's key naming.

`local=True` (the default) puts the key in a namespace private to the pack and class:
`<pack>.<ClassName>:<name>`, exactly as st2common/services/datastore.py does. The final key
name is computed here, so the parent (or the local file in manual mode) only sees final names.
"""

import json
import os
import tempfile
import threading

from . import protocol
from .channel import DatastoreError

SYSTEM_SCOPE = 'system'
USER_SCOPE = 'user'
_FULL_SCOPES = {'st2kv.system': SYSTEM_SCOPE, 'st2kv.user': USER_SCOPE}
ALLOWED_SCOPES = (SYSTEM_SCOPE, USER_SCOPE)
KEY_SEPARATOR = ':'


def normalise_scope(scope):
    scope = _FULL_SCOPES.get(scope, scope)
    if scope not in ALLOWED_SCOPES:
        raise ValueError('Scope %s is unsupported.' % (scope,))
    return scope


class KeyValuePair(object):
    """What list_values returns: attribute access like st2client's KeyValuePair."""

    def __init__(self, **fields):
        self.name = None
        self.value = None
        self.scope = SYSTEM_SCOPE
        self.secret = False
        self.__dict__.update(fields)
        self.id = fields.get('id', self.name)

    def to_dict(self):
        return dict(self.__dict__)

    def __repr__(self):
        return '<KeyValuePair name=%s,value=%s>' % (self.name, self.value)


class ChannelBackend(object):
    """Datastore calls forwarded to the parent as DATASTORE frames."""

    def __init__(self, channel):
        self._channel = channel

    def call(self, op, args):
        # Actions get nothing on the channel but datastore replies, so the reader that delivers
        # them is started with the first request.
        self._channel.ensure_reader(handler=lambda message: None)
        reply = self._channel.request({'type': protocol.DATASTORE, 'op': op, 'args': args})
        if reply.get('ok'):
            return reply.get('value')
        error = reply.get('error') or {}
        raise DatastoreError(error.get('type') or 'DatastoreError',
                             error.get('message') or 'datastore request failed')


class FileBackend(object):
    """A local JSON file acting as the datastore when a wrapper is run by hand.

    The file holds {"system": {name: value}, "user": {name: value}}. TTLs and encryption are
    accepted but not applied: the file is a debugging aid, not a store."""

    def __init__(self, path=None):
        self._path = path
        self._lock = threading.Lock()
        self._memory = {SYSTEM_SCOPE: {}, USER_SCOPE: {}}
        if path and not os.path.exists(path):
            self._save(self._memory)

    def _load(self):
        if not self._path:
            return self._memory
        with open(self._path, 'r', encoding='utf-8') as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError('datastore file %s must hold a JSON object' % (self._path,))
        for scope in ALLOWED_SCOPES:
            data.setdefault(scope, {})
        return data

    def _save(self, data):
        if not self._path:
            self._memory = data
            return
        folder = os.path.dirname(os.path.abspath(self._path))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix='.datastore-')
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(data, f, indent=2, sort_keys=True)
        os.replace(tmp, self._path)

    def call(self, op, args):
        with self._lock:
            data = self._load()
            scope = args.get('scope', SYSTEM_SCOPE)
            if op == protocol.OP_GET:
                return data[scope].get(args['name'])
            if op == protocol.OP_SET:
                data[scope][args['name']] = args['value']
                self._save(data)
                return True
            if op == protocol.OP_DELETE:
                if args['name'] not in data[scope]:
                    raise DatastoreError('KeyNotFound', 'key %s not found' % (args['name'],))
                del data[scope][args['name']]
                self._save(data)
                return True
            if op == protocol.OP_LIST:
                prefix = args.get('prefix') or ''
                return [{'name': k, 'value': v, 'scope': scope}
                        for k, v in sorted(data[scope].items()) if k.startswith(prefix)]
        raise ValueError('unknown datastore operation %s' % (op,))


class DatastoreService(object):
    """get_value / set_value / delete_value / list_values with st2's semantics: a failed get
    logs and returns None, a failed delete logs and returns False, set stores str(value)."""

    def __init__(self, backend, pack, class_name, logger):
        self._backend = backend
        self._pack = pack
        self._class_name = class_name
        self._logger = logger

    def _local_prefix(self):
        return '%s.%s%s' % (self._pack, self._class_name, KEY_SEPARATOR)

    def _full_name(self, name, local):
        return self._local_prefix() + name if local else name

    def list_values(self, local=True, prefix=None, limit=None, offset=0):
        if local:
            key_prefix = self._local_prefix() + (prefix or '')
        else:
            key_prefix = prefix
        items = self._backend.call(protocol.OP_LIST, {'prefix': key_prefix,
                                                      'scope': SYSTEM_SCOPE})
        items = (items or [])[offset or 0:]
        if limit:
            items = items[:limit]
        return [KeyValuePair(**item) for item in items]

    def get_value(self, name, local=True, scope=SYSTEM_SCOPE, decrypt=False):
        scope = normalise_scope(scope)
        name = self._full_name(name, local)
        try:
            return self._backend.call(protocol.OP_GET, {'name': name, 'scope': scope,
                                                        'decrypt': bool(decrypt)})
        except DatastoreError as e:
            self._logger.exception('Exception retrieving value from datastore (name=%s): %s',
                                   name, e)
            return None

    def set_value(self, name, value, ttl=None, local=True, scope=SYSTEM_SCOPE, encrypt=False):
        scope = normalise_scope(scope)
        name = self._full_name(name, local)
        args = {'name': name, 'value': str(value), 'scope': scope, 'encrypt': bool(encrypt),
                'ttl': ttl if ttl else None}
        self._backend.call(protocol.OP_SET, args)
        return True

    def delete_value(self, name, local=True, scope=SYSTEM_SCOPE):
        scope = normalise_scope(scope)
        name = self._full_name(name, local)
        try:
            deleted = self._backend.call(protocol.OP_DELETE, {'name': name, 'scope': scope})
        except DatastoreError as e:
            self._logger.exception('Exception deleting value from datastore (name=%s): %s',
                                   name, e)
            return False
        # The parent may answer a missing key with ok=true and false instead of an error.
        return deleted is not False


class DatastoreMethods(object):
    """The datastore methods st2 puts on `action_service` and `sensor_service`, forwarded to
    `self.datastore_service` (a DatastoreService) with the same defaults."""

    def list_values(self, local=True, prefix=None, limit=None, offset=0):
        return self.datastore_service.list_values(local, prefix, limit=limit, offset=offset)

    def get_value(self, name, local=True, scope='system', decrypt=False):
        return self.datastore_service.get_value(name, local, scope=scope, decrypt=decrypt)

    def set_value(self, name, value, ttl=None, local=True, scope='system', encrypt=False):
        return self.datastore_service.set_value(name, value, ttl, local, scope=scope,
                                                encrypt=encrypt)

    def delete_value(self, name, local=True, scope='system'):
        return self.datastore_service.delete_value(name, local, scope=scope)
