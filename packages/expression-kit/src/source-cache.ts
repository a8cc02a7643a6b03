/**
 * Parsed sources (templates, expressions) by their text, bounded both in count and in the total
 * length of the sources kept: sources come from API callers and workflow authors, and a caller
 * sending many large distinct ones must not make the runtime keep them all. The oldest go first.
 */
export class SourceCache<T> {
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

  clear(): void {
    this.entries.clear();
    this.characters = 0;
  }
}
