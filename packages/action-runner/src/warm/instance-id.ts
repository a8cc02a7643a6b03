const ids = new WeakMap<object, number>();
let lastId = 0;

/** A number that stays the same for one object (a sandbox), for keys of pools shared by a whole process. */
export function instanceId(instance: object): number {
  let id = ids.get(instance);
  if (id === undefined) ids.set(instance, (id = ++lastId));
  return id;
}
