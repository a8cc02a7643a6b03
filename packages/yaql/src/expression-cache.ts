/**
 * Parsed expressions by source, bounded both in count and in the total length of the sources kept:
 * expressions come from workflow authors, and many large distinct ones must not make the runtime
 * keep them all. The oldest entries go first.
 */
export class ExpressionCache<T> {
  private readonly entries = new Map<string, T>();
  private characters = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxCharacters: number,
  ) {}

  get(source: string): T | undefined {
    return this.entries.get(source);
  }

  set(source: string, value: T): void {
    if (source.length > this.maxCharacters || this.maxEntries < 1) return;
    while (this.entries.size >= this.maxEntries || this.characters + source.length > this.maxCharacters) {
      const oldest = this.entries.keys().next().value!;
      this.entries.delete(oldest);
      this.characters -= oldest.length;
    }
    this.entries.set(source, value);
    this.characters += source.length;
  }
}
