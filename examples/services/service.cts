// Back-end service of the agent tests: HTTP in front of a real Redis, used
// through two client libraries (ioredis and node-redis) as applications do.
// CommonJS, as most services are (and as OpenTelemetry's oracle instruments best).
// usage: node service.cjs HTTP_PORT REDIS_PORT
import * as http from 'node:http';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

const [port, redisPort] = process.argv.slice(2).map(Number);
const io = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: false, enableOfflineQueue: true });
const nr = createClient({ url: `redis://127.0.0.1:${redisPort}` });

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname.startsWith('/kv/')) {
    const key = url.pathname.slice(4);
    await io.set(`k:${key}`, 'v');
    const v = await io.get(`k:${key}`);
    const [[, n]] = (await io.pipeline().incr(`n:${key}`).get(`n:${key}`).exec()) as [[unknown, number]];
    res.end(JSON.stringify({ v, n }));
    return;
  }
  if (url.pathname === '/count') {
    const n = await nr.incr('hits');
    res.end(JSON.stringify({ n }));
    return;
  }
  res.statusCode = 404;
  res.end();
}

async function main(): Promise<void> {
  await nr.connect();
  await io.ping();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  server.listen(port, '127.0.0.1', () => console.log('ready'));
  process.on('SIGTERM', () => {
    server.close();
    io.disconnect();
    nr.disconnect().catch(() => {});
    setTimeout(() => process.exit(0), 50).unref();
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
