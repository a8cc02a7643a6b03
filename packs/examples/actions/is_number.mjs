import isNumber from 'is-number';

export default async function isNumberAction({ value }, { logger }) {
  logger.info(`checking ${value}`);
  return { value, isNumber: isNumber(value) };
}
