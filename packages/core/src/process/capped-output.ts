/**
 * Keeps the first `cap` bytes of a stream and counts the rest. The caller keeps reading past
 * the cap so the child never blocks on a full pipe, but memory stays bounded.
 */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.cap - this.kept;
    if (room <= 0) return;
    const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(Buffer.from(piece));
    this.kept += piece.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  get totalBytes(): number {
    return this.total;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
