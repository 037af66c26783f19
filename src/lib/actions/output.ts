/**
 * Bounded capture of an action's output (a command's stdout/stderr, a response body) for the
 * evidence log. Memory stays bounded however much a command prints: the first and the last half of
 * the limit are kept, because errors tend to be printed at the end.
 */
import { redactText, trimSecretFragment } from '../redact.js';

/** Bytes kept per stream. Evidence stores every attempt's output, so it must stay small. */
export const OUTPUT_LIMIT_BYTES = 8 * 1024;

export class OutputCapture {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  private totalBytes = 0;

  constructor(private readonly limitBytes: number = OUTPUT_LIMIT_BYTES) {}

  push(chunk: Buffer | string): void {
    let rest = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.totalBytes += rest.length;
    const headRoom = Math.ceil(this.limitBytes / 2) - this.headBytes;
    if (headRoom > 0) {
      const taken = rest.subarray(0, headRoom);
      this.head.push(taken);
      this.headBytes += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0) return;
    const tailLimit = Math.floor(this.limitBytes / 2);
    this.tail = this.tail.length + rest.length <= tailLimit ? Buffer.concat([this.tail, rest]) : Buffer.concat([this.tail, rest]).subarray(-tailLimit);
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * The captured text, redacted, without one trailing newline. When output was dropped, a marker
   * line says how much there was; a secret cut in two at the marker is dropped, not half shown.
   */
  text(secrets: readonly string[]): string {
    const head = Buffer.concat(this.head);
    const kept = head.length + this.tail.length;
    if (kept === this.totalBytes) {
      return stripFinalNewline(redactText(Buffer.concat([head, this.tail]).toString('utf8'), secrets));
    }
    const start = trimSecretFragment(redactText(head.toString('utf8'), secrets), secrets, 'end');
    const end = trimSecretFragment(redactText(this.tail.toString('utf8'), secrets), secrets, 'start');
    const marker = `\n[... ${this.totalBytes - kept} of ${this.totalBytes} bytes not captured ...]\n`;
    return stripFinalNewline(start + marker + end);
  }
}

function stripFinalNewline(text: string): string {
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** Bounded, redacted text of a string that is already in memory (error messages and the like). */
export function boundedText(text: string, secrets: readonly string[], limitBytes: number = OUTPUT_LIMIT_BYTES): string {
  const capture = new OutputCapture(limitBytes);
  capture.push(text);
  return capture.text(secrets);
}
