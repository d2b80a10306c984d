// Back-end service of the cluster example (the demo and the cluster analysis test): HTTP in front of a 3-node
// Redis cluster, through ioredis's cluster client. The slot cache is never
// refreshed on a timer, so a slot moved behind its back answers MOVED (or ASK
// while it migrates) and the client retries on the node that owns it now.
// usage: node cluster-service.cjs HTTP_PORT SEED_PORT
import * as http from 'node:http';
import { Cluster } from 'ioredis';

const [port, seed] = process.argv.slice(2).map(Number);
const cluster = new Cluster([{ host: '127.0.0.1', port: seed }], { slotsRefreshInterval: 0 });

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname.startsWith('/kv/')) {
    const key = url.pathname.slice(4);
    await cluster.set(`k:${key}`, 'v');
    res.end(JSON.stringify({ v: await cluster.get(`k:${key}`) }));
  } else if (url.pathname === '/count') {
    res.end(JSON.stringify({ n: await cluster.incr('hits') }));
  } else if (url.pathname === '/publish') {
    res.end(JSON.stringify({ receivers: await cluster.publish('news', 'hello') }));
  } else if (url.pathname.startsWith('/get/')) {
    res.end(JSON.stringify({ v: await cluster.get(url.pathname.slice(5)) }));
  } else {
    res.statusCode = 404;
    res.end();
  }
}

cluster.once('ready', () => {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  server.listen(port, '127.0.0.1', () => console.log('ready'));
  process.on('SIGTERM', () => {
    server.close();
    cluster.disconnect();
    setTimeout(() => process.exit(0), 50).unref();
  });
});
