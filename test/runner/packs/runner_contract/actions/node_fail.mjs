export default async function (params, context) {
  if (params.how === 'fail') return context.fail({ reason: 'asked to fail' });
  if (params.how === 'throw') throw new RangeError('out of range');
  if (params.how === 'bigint') return 10n;
  // A timer left running must not keep the job alive once the function has returned.
  setInterval(() => {}, 1000);
  return 'returned';
}
