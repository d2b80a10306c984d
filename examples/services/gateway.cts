// Front service of the agent tests: each request calls the back-end twice,
// once with http.get and once with fetch.
// usage: node gateway.cjs HTTP_PORT SERVICE_PORT
import * as http from 'node:http';

const [port, servicePort] = process.argv.slice(2).map(Number);

function get(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: servicePort, path }, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

const server = http.createServer(async (req, res) => {
  try {
    const key = (req.url ?? '/').split('/').pop() ?? 'x';
    const kv = await get(`/kv/${key}`);
    const count = await fetch(`http://127.0.0.1:${servicePort}/count`).then((r) => r.text());
    res.end(JSON.stringify({ kv: JSON.parse(kv), count: JSON.parse(count) }));
  } catch (e) {
    res.statusCode = 502;
    res.end(String(e));
  }
});
server.listen(port, '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => {
  server.close();
  setTimeout(() => process.exit(0), 50).unref();
});
