import { LineSplitter, MAX_OBSERVED_MESSAGE_BYTES } from './lines.js';

/**
 * Reads the `data` of each event of a `text/event-stream` as it passes (the WHATWG event-stream format: lines,
 * `data:` fields joined by newlines, `event:` its type, a blank line ends it). The other fields (`id`, `retry`,
 * comments) only matter to the client.
 */
export class EventStreamReader {
  private readonly lines: LineSplitter;
  private data: string[] = [];
  private dataLength = 0;
  private event = 'message';

  /** `onData` gets each event's data and its type (`message` unless an `event:` field names another). */
  constructor(onData: (data: string, event: string) => void, onTooLarge: () => void) {
    this.lines = new LineSplitter((raw) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') {
        if (this.data.length > 0) onData(this.data.join('\n'), this.event);
        this.data = [];
        this.dataLength = 0;
        this.event = 'message';
      } else if (line.startsWith('event:')) {
        this.event = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
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
