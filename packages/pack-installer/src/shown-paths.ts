import { PackrunError } from '@packrun/core';

/**
 * The user's names for the copies an install works on. A pack is read from its staged copy
 * (PACKRUN_HOME/staging/<install>/src-<random>/<folder>), but an error or a progress line must
 * name the file the user can open and fix: the folder, archive or URL they gave, as they gave it.
 */
export class ShownPaths {
  /** Longest staged path first, so a staged file inside a registered folder is matched whole. */
  private readonly names: Array<{ staged: string; shown: string }> = [];

  add(staged: string, shown: string): void {
    if (staged === shown || this.names.some((name) => name.staged === staged)) return;
    this.names.push({ staged, shown });
    this.names.sort((a, b) => b.staged.length - a.staged.length);
  }

  /** The text with every staged path (and what lies under it) put as the user knows it. */
  text(value: string): string {
    let result = value;
    for (const { staged, shown } of this.names) {
      if (!result.includes(staged)) continue;
      // Only whole path components: `/staging/x/src-1/pack` must not match inside `.../pack2`.
      result = result.replace(new RegExp(`${escapeRegExp(staged)}(?![\\w-]|\\.\\w)`, 'g'), shown);
    }
    return result;
  }

  /** The same error, its message, hint and details naming the user's paths; anything else as it is. */
  error(error: unknown): unknown {
    if (!(error instanceof PackrunError) || this.names.length === 0) return error;
    const message = this.text(error.message);
    const hint = error.hint === undefined ? undefined : this.text(error.hint);
    const details = this.value(error.details) as Record<string, unknown>;
    if (message === error.message && hint === error.hint && JSON.stringify(details) === JSON.stringify(error.details)) return error;
    const shown = new PackrunError(error.code, message, { ...(hint !== undefined && { hint }), details, cause: error.cause ?? error, userError: error.userError });
    if (error.stack) shown.stack = `${shown.name}: ${message}\n${error.stack.split('\n').slice(1).join('\n')}`;
    return shown;
  }

  private value(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.value(item));
    if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.value(item)]));
    }
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
