export async function run(_params, { datastore }) {
  await datastore.set('seen', 'yes');
  await datastore.set('shared', 'global', { local: false });
  return {
    local: await datastore.get('seen'),
    global: await datastore.get('shared', { local: false }),
    listed: (await datastore.list()).map((item) => item.name),
    deleted: await datastore.delete('seen'),
    after: await datastore.get('seen'),
  };
}
