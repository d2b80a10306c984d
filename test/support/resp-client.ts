// A known sequence of Redis commands over two raw RESP connections, for the
// instrumented-Redis integration test: SET, GET, a SUBSCRIBE on a second
// connection, a PUBLISH it receives, then three commands in one write (a
// pipeline). Prints, as JSON, the local port of each connection and the
// replies, so the test can find each connection in the trace.
// usage: node resp-client.js PORT
import * as net from 'node:net';

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

class Conn {
  private buf = '';
  private waiters: { n: number; resolve: (s: string) => void }[] = [];
  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.wake();
    });
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.on('error', reject);
    });
  }

  /** Resolves once `lines` more CRLF-terminated lines have arrived. */
  private readLines(lines: number): Promise<string> {
    return new Promise((resolve) => {
      this.waiters.push({ n: lines, resolve });
      this.wake();
    });
  }

  private wake(): void {
    while (this.waiters.length) {
      const w = this.waiters[0];
      let at = 0;
      for (let i = 0; i < w.n; i++) {
        const j = this.buf.indexOf('\r\n', at);
        if (j < 0) return;
        at = j + 2;
      }
      this.waiters.shift();
      const got = this.buf.slice(0, at);
      this.buf = this.buf.slice(at);
      w.resolve(got);
    }
  }

  /** Sends commands in one write and waits for replies of the given line counts. */
  async send(commands: string[][], replyLines: number): Promise<string> {
    this.socket.write(commands.map(encode).join(''));
    return this.readLines(replyLines);
  }
}

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const a = await Conn.open(port);
  const b = await Conn.open(port);
  const replies: string[] = [];
  replies.push(await a.send([['SET', 'k', 'v']], 1));
  replies.push(await a.send([['GET', 'k']], 2));
  replies.push(await b.send([['SUBSCRIBE', 'ch']], 6));
  const message = b.send([], 7); // the published message: *3 $7 message $2 ch $5 hello
  replies.push(await a.send([['PUBLISH', 'ch', 'hello']], 1));
  replies.push(await message);
  replies.push(await a.send([['SET', 'a', '1'], ['INCR', 'a'], ['GET', 'a']], 4));
  const ports = { a: a.socket.localPort, b: b.socket.localPort };
  a.socket.end();
  b.socket.end();
  await new Promise((r) => setTimeout(r, 100));
  console.log(JSON.stringify({ ports, replies }));
}

main().catch((e) => {
  console.error(`resp-client: ${(e as Error).message}`);
  process.exit(1);
});
