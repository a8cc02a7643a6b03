/**
 * Variables of an evaluation: `$` (the same as `$1`), `$name`, and the numbered arguments a lambda
 * receives. A scope is created for each lambda call and each `let`; a name not found in the chain
 * is null, as in yaql.
 */
export class Scope {
  private readonly variables = new Map<string, unknown>();

  constructor(readonly parent: Scope | undefined) {}

  /** Sets `$name` (`name` without the dollar; `''` is `$`, the same as `$1`). */
  set(name: string, value: unknown): void {
    this.variables.set(normaliseName(name), value);
  }

  /** The value of `$name`, or undefined when no scope in the chain has it. */
  get(name: string): unknown {
    const key = normaliseName(name);
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) {
      if (scope.variables.has(key)) return scope.variables.get(key);
    }
    return undefined;
  }
}

function normaliseName(name: string): string {
  const bare = name.startsWith('$') ? name.slice(1) : name;
  return bare === '' ? '1' : bare;
}
