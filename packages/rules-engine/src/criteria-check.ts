import { operatorNames, searchConditions, searchOperator } from './operators.ts';
import { parsePath } from './payload-lookup.ts';

/**
 * Checks criteria when a rule is saved, so that a typo in an operator or a path is reported to the
 * author instead of silently never matching. Returns one line per problem, naming the key.
 */
export function criteriaProblems(criteria: Record<string, unknown>, prefix = 'criteria'): string[] {
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(criteria)) {
    const where = `${prefix}.${key}`;
    try {
      parsePath(key);
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${where}: must be a mapping {type, pattern}`);
      continue;
    }
    const { type, pattern, condition } = raw as Record<string, unknown>;
    if (typeof type !== 'string') {
      problems.push(`${where}.type: is required (a criterion without a type never matches)`);
      continue;
    }
    const operator = type.toLowerCase();
    if (!operatorNames.includes(operator)) {
      problems.push(`${where}.type: unknown operator "${type}"; one of ${operatorNames.join(', ')}`);
      continue;
    }
    if (operator !== searchOperator) continue;
    if (!searchConditions.includes(condition as (typeof searchConditions)[number])) {
      problems.push(`${where}.condition: must be one of ${searchConditions.join(', ')} for a search`);
    }
    if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) {
      problems.push(`${where}.pattern: must be a mapping of item criteria for a search`);
    } else {
      problems.push(...criteriaProblems(pattern as Record<string, unknown>, `${where}.pattern`));
    }
  }
  return problems;
}
