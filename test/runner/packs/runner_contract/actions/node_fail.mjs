export default async function (params, context) {
  if (params.how === 'fail') return context.fail({ reason: 'asked to fail' });
  if (params.how === 'throw') throw new RangeError('out of range');
  if (params.how === 'bigint') return 10n;
  if (params.how === 'deep') {
    let value = [];
    for (let level = 0; level < 1_000_000; level += 1) value = [value];
    return value;
  }
  if (params.how === 'huge') return 'x'.repeat(17 * 1024 * 1024);
  // A timer left running must not keep the job alive once the function has returned.
  setInterval(() => {}, 1000);
  return 'returned';
}
