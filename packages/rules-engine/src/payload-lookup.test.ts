import { describe, expect, it } from 'vitest';
import { lookupPath, parsePath } from './payload-lookup.ts';

const root = {
  trigger: {
    body: { name: 'api', tags: ['a', 'b'], items: [{ id: 1 }, { id: 2 }], empty: null },
    headers: { 'X-Github-Event': 'push', 'content.type': 'json' },
    count: 0,
  },
};

describe('lookupPath', () => {
  it.each<[string, unknown]>([
    ['trigger.body.name', 'api'],
    ['trigger.count', 0],
    ['trigger.body.empty', null],
    ['trigger.body.missing', undefined],
    ['trigger.missing.deeper', undefined],
    ['trigger.body.name.length', undefined],
    ['trigger.body.tags[1]', 'b'],
    ['trigger.body.tags[-1]', 'b'],
    ['trigger.body.tags[5]', undefined],
    ['trigger.body.items[0].id', 1],
    ['trigger.body.items[*].id', 1],
    ['trigger.body.items.id', undefined],
    ['trigger.headers.X-Github-Event', 'push'],
    ["trigger.headers.'content.type'", 'json'],
    ['trigger.headers["content.type"]', 'json'],
    ['trigger.*.name', 'api'],
    ['trigger', root.trigger],
  ])('%s -> %j', (path, expected) => {
    expect(lookupPath(root, path)).toEqual(expected);
  });

  it.each(['trigger..body', 'trigger.', 'trigger[0', "trigger.'open", 'trigger[abc]'])('rejects the malformed path %s', (path) => {
    expect(() => parsePath(path)).toThrow();
  });
});
