/**
 * Buffered writes to stdout; a closed pipe (`| head`) ends the program
 * quietly. Lines are byte strings (one char per byte, as the CTF reader
 * gives them) and are written back as those bytes.
 */
import { writeSync } from 'node:fs';

export class Output {
  private chunks: string[] = [];
  private size = 0;

  line(s: string): void {
    this.chunks.push(s, '\n');
    this.size += s.length + 1;
    if (this.size > 1 << 16) this.flush();
  }

  /** A line for stderr, kept in order with what stdout already got. */
  warn(s: string): void {
    this.flush();
    writeSync(2, Buffer.from(s + '\n', 'latin1'));
  }

  flush(): void {
    if (this.size === 0) return;
    const data = Buffer.from(this.chunks.join(''), 'latin1');
    this.chunks = [];
    this.size = 0;
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(1, data, off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EPIPE') process.exit(0);
        throw e;
      }
    }
  }
}
