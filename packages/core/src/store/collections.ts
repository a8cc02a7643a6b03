import type { Collection, CollectionName, Store } from './types.ts';

/**
 * Every collection with its stored name and the indexes the API's list queries need (keys in
 * priority order). MongoDB creates them as given; the embedded store indexes the first field of
 * each, the only kind NeDB has.
 */
interface IndexSpec {
  keys: Record<string, 1 | -1>;
  unique?: boolean;
}

export const collectionSpecs: Record<CollectionName, { storedName: string; indexes: IndexSpec[] }> = {
  packs: { storedName: 'packs', indexes: [] },
  actions: { storedName: 'actions', indexes: [{ keys: { pack: 1 } }] },
  sensors: { storedName: 'sensors', indexes: [{ keys: { pack: 1 } }] },
  triggerTypes: { storedName: 'trigger_types', indexes: [{ keys: { pack: 1 } }] },
  triggers: { storedName: 'triggers', indexes: [{ keys: { type: 1, parametersKey: 1 } }] },
  rules: { storedName: 'rules', indexes: [{ keys: { pack: 1 } }, { keys: { 'trigger.type': 1 } }] },
  executions: {
    storedName: 'executions',
    indexes: [
      { keys: { createdAt: -1 } },
      { keys: { action: 1, createdAt: -1 } },
      { keys: { status: 1, createdAt: -1 } },
    ],
  },
  triggerInstances: {
    storedName: 'trigger_instances',
    indexes: [{ keys: { occurredAt: -1 } }, { keys: { trigger: 1, occurredAt: -1 } }],
  },
  ruleEnforcements: {
    storedName: 'rule_enforcements',
    indexes: [{ keys: { enforcedAt: -1 } }, { keys: { rule: 1, enforcedAt: -1 } }, { keys: { triggerInstance: 1 } }],
  },
  keyValues: { storedName: 'key_values', indexes: [{ keys: { scope: 1, name: 1 } }] },
  apiKeys: { storedName: 'api_keys', indexes: [{ keys: { keyHash: 1 }, unique: true }] },
  runners: { storedName: 'runners', indexes: [{ keys: { heartbeatAt: -1 } }] },
};

export const collectionNames = Object.keys(collectionSpecs) as CollectionName[];

/**
 * A Store's collections, each made by the backend's `make` from its name: both backends build
 * them the same way, so a new collection is added here once.
 */
export function storeCollections(make: <T extends { id: string }>(name: CollectionName) => Collection<T>): Pick<Store, CollectionName> {
  return {
    packs: make('packs'),
    actions: make('actions'),
    sensors: make('sensors'),
    triggerTypes: make('triggerTypes'),
    triggers: make('triggers'),
    rules: make('rules'),
    executions: make('executions'),
    triggerInstances: make('triggerInstances'),
    ruleEnforcements: make('ruleEnforcements'),
    keyValues: make('keyValues'),
    apiKeys: make('apiKeys'),
    runners: make('runners'),
  };
}
