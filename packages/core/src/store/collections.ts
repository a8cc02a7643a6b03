import type { Collection, CollectionName, Store } from './types.ts';

/**
 * Every collection with its stored name and the indexes its list queries need (keys in priority
 * order): the API's list filters, the services' lookups. Both backends create them as given.
 *
 * Every index key names a field that holds a string or a number in every record (the record
 * types say so). The embedded store relies on that: a filter or sort on an indexed field is
 * compared as a plain value, the form its indexes serve, while any other path gets MongoDB's
 * rules for arrays (`{tags: 'x'}` matches a `tags` array holding 'x').
 */
interface IndexSpec {
  keys: Record<string, 1 | -1>;
  unique?: boolean;
}

export interface CollectionSpec {
  storedName: string;
  indexes: IndexSpec[];
}

/** Newest first, with the id as the tie-break the API sorts by. */
const newest = (field: string, ...before: string[]): IndexSpec => ({
  keys: { ...Object.fromEntries(before.map((key) => [key, 1 as const])), [field]: -1, id: -1 },
});

export const collectionSpecs: Record<CollectionName, CollectionSpec> = {
  packs: { storedName: 'packs', indexes: [] },
  actions: { storedName: 'actions', indexes: [{ keys: { pack: 1 } }] },
  sensors: { storedName: 'sensors', indexes: [{ keys: { pack: 1 } }] },
  triggerTypes: { storedName: 'trigger_types', indexes: [{ keys: { pack: 1 } }] },
  triggers: { storedName: 'triggers', indexes: [{ keys: { type: 1, parametersKey: 1 } }] },
  rules: { storedName: 'rules', indexes: [{ keys: { pack: 1 } }, { keys: { 'trigger.type': 1 } }, { keys: { 'trigger.ref': 1 } }] },
  executions: {
    storedName: 'executions',
    indexes: [
      newest('createdAt'),
      newest('createdAt', 'status'),
      newest('createdAt', 'action'),
      newest('createdAt', 'pack'),
      newest('createdAt', 'rule'),
      newest('createdAt', 'user'),
      { keys: { rerunOf: 1 } },
      { keys: { parent: 1, createdAt: 1, id: 1 } },
      { keys: { delayUntil: 1 } },
    ],
  },
  triggerInstances: { storedName: 'trigger_instances', indexes: [newest('occurredAt'), newest('occurredAt', 'trigger')] },
  ruleEnforcements: {
    storedName: 'rule_enforcements',
    indexes: [newest('enforcedAt'), newest('enforcedAt', 'rule'), { keys: { triggerInstance: 1 } }],
  },
  keyValues: { storedName: 'key_values', indexes: [{ keys: { scope: 1, name: 1 } }, { keys: { scope: 1, user: 1, name: 1 } }] },
  apiKeys: { storedName: 'api_keys', indexes: [{ keys: { keyHash: 1 }, unique: true }] },
  authTokens: { storedName: 'auth_tokens', indexes: [{ keys: { tokenHash: 1 }, unique: true }, { keys: { apiKeyId: 1 } }, { keys: { expiresAt: 1 } }, { keys: { executionId: 1 } }] },
  runners: { storedName: 'runners', indexes: [{ keys: { heartbeatAt: -1 } }] },
  policies: { storedName: 'policies', indexes: [{ keys: { pack: 1 } }, { keys: { resourceRef: 1 } }] },
  policySlots: { storedName: 'policy_slots', indexes: [{ keys: { executionId: 1 } }, { keys: { key: 1 } }] },
  workflows: { storedName: 'workflows', indexes: [{ keys: { phase: 1, updatedAt: 1 } }, { keys: { nextTimerAt: 1 } }] },
  workflowItems: { storedName: 'workflow_items', indexes: [{ keys: { workflow: 1, list: 1, index: 1 } }] },
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
    authTokens: make('authTokens'),
    runners: make('runners'),
    policies: make('policies'),
    policySlots: make('policySlots'),
    workflows: make('workflows'),
    workflowItems: make('workflowItems'),
  };
}
