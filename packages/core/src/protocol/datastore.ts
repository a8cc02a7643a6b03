import { toFailure } from '../errors.ts';
import type { KeyValues } from '../store/types.ts';
import { MessageType, type DatastoreReplyMessage, type DatastoreRequestMessage } from './messages.ts';

/**
 * Answers one datastore frame from a child with the given key-value service (the Store's in
 * services, a file in PACKRUN_HOME for the CLI's local mode). `user` owns user-scoped keys.
 * Failures go back to the child as an error reply, never as a crash of the runner.
 */
export async function serveDatastoreRequest(
  keyValues: KeyValues,
  request: DatastoreRequestMessage,
  user?: string,
): Promise<DatastoreReplyMessage> {
  const { id, op, args } = request;
  const owner = user === undefined ? {} : { user };
  try {
    const value = await perform();
    return { type: MessageType.datastoreReply, id, ok: true, value };
  } catch (error) {
    const failure = toFailure(error);
    return { type: MessageType.datastoreReply, id, ok: false, error: { type: failure.type, message: failure.message } };
  }

  async function perform(): Promise<unknown> {
    const name = (): string => {
      if (!args.name) throw new TypeError(`datastore ${op} needs a key name`);
      return args.name;
    };
    switch (op) {
      case 'get': {
        const entry = await keyValues.get(name(), { scope: args.scope, decrypt: args.decrypt === true, ...owner });
        return entry?.value ?? null;
      }
      case 'set':
        if (args.value === undefined) throw new TypeError('datastore set needs a string value');
        await keyValues.set(name(), args.value, {
          scope: args.scope,
          encrypt: args.encrypt === true,
          ...(args.ttl ? { ttl: args.ttl } : {}),
          ...owner,
        });
        return true;
      case 'delete':
        return keyValues.delete(name(), { scope: args.scope, ...owner });
      case 'list': {
        const entries = await keyValues.list({
          scope: args.scope,
          decrypt: args.decrypt === true,
          ...(args.prefix ? { prefix: args.prefix } : {}),
          ...owner,
        });
        return entries.map((entry) => ({
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
