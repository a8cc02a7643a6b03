import { StringDecoder } from 'node:string_decoder';

/**
 * Keeps the first `cap` bytes of a stream and counts the rest. The caller keeps reading past
 * the cap so the child never blocks on a full pipe, but memory stays bounded. The kept bytes are
 * decoded as they come, so each push can say how much text it added: a character split between
 * chunks counts with the chunk that completes it, and one the cap or the end cuts short becomes
 * U+FFFD when the stream ends. text() is those pieces joined, so the counts always add up to it.
 */
export class CappedOutput {
  private readonly pieces: string[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private kept = 0;
  private total = 0;
  private ended = false;

  constructor(private readonly cap: number) {}

  /** Keeps what fits; returns the UTF-8 bytes of text this chunk added. */
  push(chunk: Buffer): number {
    this.total += chunk.length;
    const room = this.cap - this.kept;
    if (room <= 0 || this.ended) return 0;
    const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.kept += piece.length;
    return this.keep(this.decoder.write(piece));
  }

  /** Ends the text; returns the UTF-8 bytes that added (a character left incomplete, as U+FFFD). */
  end(): number {
    if (this.ended) return 0;
    this.ended = true;
    return this.keep(this.decoder.end());
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  get totalBytes(): number {
    return this.total;
  }

  text(): string {
    this.end();
    return this.pieces.join('');
  }

  private keep(text: string): number {
    if (text === '') return 0;
    this.pieces.push(text);
    return Buffer.byteLength(text, 'utf8');
  }
}
