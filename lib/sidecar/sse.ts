import { LineSplitter, MAX_OBSERVED_MESSAGE_BYTES } from './lines.js';

/**
 * Reads the `data` of each event of a `text/event-stream` as it passes (the WHATWG event-stream format: lines,
 * `data:` fields joined by newlines, a blank line ends an event). Other fields (`id`, `event`, `retry`, comments)
 * only matter to the client.
 */
export class EventStreamReader {
  private readonly lines: LineSplitter;
  private data: string[] = [];
  private dataLength = 0;

  constructor(onData: (data: string) => void, onTooLarge: () => void) {
    this.lines = new LineSplitter((raw) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') {
        if (this.data.length > 0) onData(this.data.join('\n'));
        this.data = [];
        this.dataLength = 0;
      } else if (line.startsWith('data:')) {
        const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
        this.dataLength += value.length;
        if (this.dataLength > MAX_OBSERVED_MESSAGE_BYTES) {
          this.data = [];
          this.dataLength = 0;
          onTooLarge();
        } else this.data.push(value);
      }
    }, onTooLarge);
  }

  push(chunk: Buffer): void {
    this.lines.push(chunk);
  }
}
