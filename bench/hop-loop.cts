// Fixture of bench:agent-hop: one HTTP hop in one process, a server and a
// keep-alive client with ten requests in flight, so that the agent's cost per
// request is measured without the three other busy processes (and their
// scheduling noise) of bench:agent-overhead. Prints one JSON line: the
// process's CPU time (user + system) per request, in µs.
// With "in-request", the hop is made from inside a request, as a gateway
// calls its back end (a front server's handler makes it, so the client side
// runs in that request's context), one request at a time: with several in
// flight, how reads and ticks batch depends on timing, which moves an
// instruction count by 2 %.
// usage: node [--require AGENT] hop-loop.cjs REQUESTS [in-request]
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const total = Number(process.argv[2]) || 40_000;
const IN_REQUEST = process.argv[3] === 'in-request';
const IN_FLIGHT = IN_REQUEST ? 1 : 10;
const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function main(): Promise<void> {
  const back = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('hello'));
  });
  const backPort = await listen(back);
  let front: http.Server | undefined;
  let port = backPort;
  if (IN_REQUEST) {
    front = http.createServer((req, res) => {
      req.resume();
      get(backPort, '/hop').then((body) => res.end(body), () => res.destroy());
    });
    port = await listen(front);
  }
  /** Runs about `n` requests, `IN_FLIGHT` at a time; returns how many exactly. */
  const run = async (n: number): Promise<number> => {
    const each = Math.ceil(n / IN_FLIGHT);
    const worker = async () => {
      for (let i = 0; i < each; i++) if ((await get(port, IN_REQUEST ? '/front' : '/hop')) !== 'hello') throw new Error('unexpected reply');
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    return each * IN_FLIGHT;
  };
  await run(Math.max(2000, total / 5)); // warm-up: JIT, sockets
  const c0 = process.cpuUsage();
  const done = await run(total);
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ cpu_us_per_request: (c.user + c.system) / done }));
  back.close();
  front?.close();
  agent.destroy();
}

void main();
