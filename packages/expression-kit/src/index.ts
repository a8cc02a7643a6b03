export { defineKey, dictEntries, isJsonLikeOr, ownValue } from './data-access.ts';
export { SourceCache } from './source-cache.ts';
export { BudgetMeter } from './budget-meter.ts';
