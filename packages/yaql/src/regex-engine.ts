import vm from 'node:vm';
import { YaqlError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { translatePattern } from './regex-translation.ts';
import { RegexValue } from './values.ts';

/**
 * Runs regular expressions for expressions. Patterns come from workflow authors and the text from
 * task results, and JavaScript's regex engine backtracks: `^(a+)+$` against forty characters runs
 * for minutes (ReDoS). No check of a pattern rules that out, so each regex operation runs under
 * V8's watchdog: a constant one-line vm script calls the operation with the evaluation's remaining
 * time as its timeout, and V8 interrupts the match when the time is up. Nothing from an
 * expression is compiled as code here; the script only calls the function it is handed.
 */
const watchdogContext = vm.createContext({ operation: undefined as (() => unknown) | undefined });
const watchdogScript = new vm.Script('operation()', { filename: 'packrun-yaql-regex-watchdog' });

export function bounded<T>(operation: () => T, pattern: string, meter: WorkMeter): T {
  const remaining = Math.floor(meter.remainingMilliseconds());
  if (remaining <= 0) throw meter.timeLimitError();
  const outer = watchdogContext['operation'];
  // A nested call (a replaceBy selector running another regex) runs under the outer watchdog.
  if (outer !== undefined) return operation();
  watchdogContext['operation'] = operation;
  try {
    return watchdogScript.runInContext(watchdogContext, { timeout: Math.min(remaining, 2 ** 31 - 1) }) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new YaqlError(
        'limit',
        `the regular expression ${JSON.stringify(pattern)} ran past the expression time limit maxMilliseconds (${meter.limits.maxMilliseconds}); a pattern with nested repetition such as (a+)+ can take exponential time`,
        { limit: 'maxMilliseconds' },
      );
    }
    throw error;
  } finally {
    watchdogContext['operation'] = undefined;
  }
}

const compiled = new Map<string, RegExp>();
const compiledLimit = 500;

/** The JavaScript RegExp (global) for a Python pattern; translations are cached. */
export function compile(regex: RegexValue | string): RegExp {
  const value = typeof regex === 'string' ? new RegexValue(regex, { ignoreCase: false, multiLine: false, dotAll: false }) : regex;
  const cacheKey = `${Number(value.flags.ignoreCase)}${Number(value.flags.multiLine)}${Number(value.flags.dotAll)}${value.pattern}`;
  const cached = compiled.get(cacheKey);
  if (cached !== undefined) return cached;
  const { source, flags } = translatePattern(value.pattern, value.flags);
  let expression: RegExp;
  try {
    expression = new RegExp(source, `g${flags}`);
  } catch (error) {
    throw new YaqlError('value', `the regular expression ${JSON.stringify(value.pattern)} is not valid: ${(error as Error).message}`);
  }
  if (compiled.size >= compiledLimit) compiled.delete(compiled.keys().next().value!);
  if (value.pattern.length <= 4096) compiled.set(cacheKey, expression);
  return expression;
}

/**
 * The successive matches of a regex in a text as Python's finditer, sub and split find them: an
 * empty match right after another empty match at the same place is skipped, at most `limit`
 * matches (0: all). Each match is a step.
 */
export function* matches(expression: RegExp, text: string, meter: WorkMeter, limit = 0): Generator<RegExpExecArray> {
  let position = 0;
  let mustAdvance = false;
  let count = 0;
  while (limit === 0 || count < limit) {
    meter.step();
    expression.lastIndex = position;
    let match = expression.exec(text);
    if (match === null) return;
    if (mustAdvance && match[0] === '' && match.index === position) {
      if (position >= text.length) return;
      expression.lastIndex = position + (text.codePointAt(position)! > 0xffff ? 2 : 1);
      match = expression.exec(text);
      if (match === null) return;
    }
    yield match;
    count += 1;
    position = match.index + match[0].length;
    mustAdvance = match[0] === '';
  }
}

/** Python's `re.search(pattern, text) is not None`, bounded in time. */
export function matchesPattern(regex: RegexValue | string, text: string, meter: WorkMeter): boolean {
  const expression = compile(regex);
  return bounded(() => {
    expression.lastIndex = 0;
    return expression.exec(text) !== null;
  }, typeof regex === 'string' ? regex : regex.pattern, meter);
}
