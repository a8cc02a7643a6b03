import { PackrunError, toFailure } from '../errors.ts';
import { keyReadRefusal, keyWriteRefusal, type PackKeyAccess } from '../pack/pack-key-scope.ts';
import type { KeyValues } from '../store/types.ts';
import { MessageType, type DatastoreReplyMessage, type DatastoreRequestMessage } from './messages.ts';

export interface DatastoreServing {
  /** The pack whose code sends the requests, and what the operator lets it write (pack-key-scope.ts). */
  access: PackKeyAccess;
  /** Owner of user-scoped keys. */
  user?: string;
}

/**
 * Answers one datastore frame from a child with the given key-value service (the Store's in
 * services, a file in PACKRUN_HOME for the CLI's local mode). The child is pack code, so every
 * name it sends is checked here against its pack's scope, whatever the child computed: another
 * pack's local keys are refused (and left out of lists), writes outside its own local keys need
 * the operator's grant. Failures go back to the child as an error reply, never as a crash of the
 * runner.
 */
export async function serveDatastoreRequest(
  keyValues: KeyValues,
  request: DatastoreRequestMessage,
  serving: DatastoreServing,
): Promise<DatastoreReplyMessage> {
  const { id, op, args } = request;
  const { access, user } = serving;
  const owner = user === undefined ? {} : { user };
  try {
    const value = await perform();
    return { type: MessageType.datastoreReply, id, ok: true, value };
  } catch (error) {
    const failure = toFailure(error);
    return { type: MessageType.datastoreReply, id, ok: false, error: { type: failure.type, message: failure.message } };
  }

  function denied(reason: string | undefined): void {
    if (reason !== undefined) throw new PackrunError('DATASTORE_ACCESS_DENIED', reason, { details: { pack: access.pack, op } });
  }

  async function perform(): Promise<unknown> {
    const name = (): string => {
      if (!args.name) throw new TypeError(`datastore ${op} needs a key name`);
      return args.name;
    };
    switch (op) {
      case 'get': {
        denied(keyReadRefusal(access, name()));
        const entry = await keyValues.get(name(), { scope: args.scope, decrypt: args.decrypt === true, ...owner });
        return entry?.value ?? null;
      }
      case 'set':
        denied(keyWriteRefusal(access, name(), args.scope));
        if (args.value === undefined) throw new TypeError('datastore set needs a string value');
        await keyValues.set(name(), args.value, {
          scope: args.scope,
          encrypt: args.encrypt === true,
          ...(args.ttl ? { ttl: args.ttl } : {}),
          ...owner,
        });
        return true;
      case 'delete':
        denied(keyWriteRefusal(access, name(), args.scope));
        return keyValues.delete(name(), { scope: args.scope, ...owner });
      case 'list': {
        const entries = await keyValues.list({
          scope: args.scope,
          decrypt: args.decrypt === true,
          ...(args.prefix ? { prefix: args.prefix } : {}),
          ...owner,
        });
        return entries
          .filter((entry) => keyReadRefusal(access, entry.name) === undefined)
          .map((entry) => ({
            name: entry.name,
            value: entry.value,
            scope: entry.scope,
            secret: entry.secret,
            expire_timestamp: entry.expiresAt ?? null,
          }));
      }
    }
  }
}
