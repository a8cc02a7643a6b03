type Doc = Record<string, unknown>;

/**
 * Gives NeDB MongoDB's meaning of null in a filter: "null or absent". NeDB compares an absent field
 * as undefined, which equals nothing, so `{f: null}` would miss records without `f`, and `$ne: null`
 * would keep them. The query comes from toQuery, so its shape is known.
 */
export function withMongoNullSemantics(query: Doc): Doc {
  const fields: Doc = {};
  const alternatives: Doc[] = [];
  for (const [path, condition] of Object.entries(query)) {
    const absent = { [path]: { $exists: false } };
    if (condition === null) {
      alternatives.push({ $or: [absent, { [path]: null }] });
      continue;
    }
    if (typeof condition !== 'object') {
      fields[path] = condition;
      continue;
    }
    const ops = { ...(condition as Doc) };
    const list = ops['$in'];
    if (Array.isArray(list) && list.includes(null)) {
      delete ops['$in'];
      alternatives.push({ $or: [absent, { [path]: { $in: list } }] });
    }
    const excluded = ops['$nin'];
    const excludesNull = ops['$ne'] === null || (Array.isArray(excluded) && excluded.includes(null));
    if (excludesNull && ops['$exists'] === undefined) ops['$exists'] = true;
    if (Object.keys(ops).length > 0) fields[path] = ops;
  }
  return alternatives.length === 0 ? fields : { ...fields, $and: alternatives };
}
