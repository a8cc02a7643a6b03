import {
  datastoreReferences,
  mentionsDecrypt,
  PackrunError,
  type DecryptRights,
  type KeyValueLookup,
  type RuleMeta,
  type RuleRecord,
} from '@packrun/core';

/**
 * Who created a rule through the API, kept with the rule. The rules engine renders a rule's
 * templates long after the request, as no caller: without this, an operator, who may not decrypt
 * system secrets, could write `{{ st2kv.system.x | decrypt_kv }}` into a rule and read the secret
 * back from the execution's parameters.
 */
export interface RuleAuthor {
  user: string;
  mayDecrypt: DecryptRights;
}

/**
 * API rules stored before authors were recorded were all created with administrator keys (every
 * key was one then): they keep rendering as they did.
 */
const administratorOfOldRules: RuleAuthor = { user: 'admin', mayDecrypt: { system: true, user: true } };

export function ruleAuthor(rule: RuleRecord): RuleAuthor {
  const author = rule.metadata?.['author'] as RuleAuthor | undefined;
  return author ?? administratorOfOldRules;
}

/** Refuses, naming the field, a rule whose templates decrypt a scope its author may not decrypt. */
export function assertAuthorMayDecrypt(meta: RuleMeta, author: RuleAuthor): void {
  for (const [field, value] of [['criteria', meta.criteria], ['action.parameters', meta.action.parameters]] as const) {
    if (!mentionsDecrypt(value)) continue;
    const denied = datastoreReferences(value).find((reference) => !author.mayDecrypt[reference.scope]);
    if (denied) {
      throw new PackrunError('RULE_DECRYPT_FORBIDDEN', `rule ${meta.ref}: ${field} decrypts ${denied.scope}-scoped datastore secrets, which its author may not decrypt`, {
        hint: 'ask someone allowed to decrypt them to create the rule, or leave decrypt_kv out',
        details: { rule: meta.ref, field, scope: denied.scope },
      });
    }
  }
}

/** The datastore as an API rule's templates see it: decrypted only where its author could. */
export function authorScopedLookup(lookup: KeyValueLookup, author: RuleAuthor): KeyValueLookup {
  return {
    get: (name, options) => lookup.get(name, { ...options, decrypt: options.decrypt && author.mayDecrypt[options.scope] }),
  };
}
