// Fixture of bench:agent-hop: one HTTP hop in one process, a server and a
// keep-alive client with ten requests in flight, so that the agent's cost per
// request is measured without the three other busy processes (and their
// scheduling noise) of bench:agent-overhead. Prints one JSON line: the
// process's CPU time (user + system) per request, in µs.
// usage: node [--require AGENT] hop-loop.cjs REQUESTS
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const total = Number(process.argv[2]) || 40_000;
const IN_FLIGHT = 10;
const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('hello'));
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo;
  const one = (): Promise<string> => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/hop', agent }, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => resolve(body));
    }).on('error', reject);
  });
  /** Runs about `n` requests, `IN_FLIGHT` at a time; returns how many exactly. */
  const run = async (n: number): Promise<number> => {
    const each = Math.ceil(n / IN_FLIGHT);
    const worker = async () => {
      for (let i = 0; i < each; i++) if ((await one()) !== 'hello') throw new Error('unexpected reply');
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    return each * IN_FLIGHT;
  };
  await run(Math.max(2000, total / 5)); // warm-up: JIT, sockets
  const c0 = process.cpuUsage();
  const done = await run(total);
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ cpu_us_per_request: (c.user + c.system) / done }));
  server.close();
  agent.destroy();
});
