/**
 * Largest message the sidecar reads for telemetry. A longer one is still relayed whole; it is only not observed (and
 * counted), so a client or server sending a huge message cannot make the sidecar hold more than this.
 */
export const MAX_OBSERVED_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Splits a byte stream into newline-delimited messages (the stdio transport's framing), across chunk boundaries,
 * without copying a chunk that holds whole lines. `onLine` gets each line without its `\n`; `onTooLarge` is called
 * once per line longer than the bound, which is skipped.
 */
export class LineSplitter {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onTooLarge: () => void,
    private readonly maxBytes = MAX_OBSERVED_MESSAGE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      this.finishLine(chunk.subarray(start, end));
      start = end + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  private keep(part: Buffer): void {
    if (this.skipping) return;
    if (this.partialBytes + part.length > this.maxBytes) {
      this.skipping = true;
      this.partial = [];
      this.partialBytes = 0;
      this.onTooLarge();
      return;
    }
    // A copy: the chunk's memory may be reused by the stream once this returns.
    this.partial.push(Buffer.from(part));
    this.partialBytes += part.length;
  }

  private finishLine(tail: Buffer): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (this.partialBytes + tail.length > this.maxBytes) {
      this.partial = [];
      this.partialBytes = 0;
      this.onTooLarge();
      return;
    }
    const line = this.partial.length === 0 ? tail : Buffer.concat([...this.partial, tail]);
    this.partial = [];
    this.partialBytes = 0;
    this.onLine(line.toString('utf8'));
  }
}
