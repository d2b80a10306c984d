// An application for the agent's request-context test: each route reaches
// Redis (ioredis, which writes a command when it is called) across one kind
// of asynchronous boundary, or through node-redis (which writes the commands
// of a turn together, later). /b/ROUTE/N sends EXISTS with N keys, so the
// command's argc tells which request sent it; a background timer sends ECHO
// outside any request.
// usage: node context-app.cjs HTTP_PORT REDIS_PORT
/* eslint-disable @typescript-eslint/no-require-imports */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

const [port, redisPort] = process.argv.slice(2).map(Number);
const io = new Redis({ host: '127.0.0.1', port: redisPort });
const nr = createClient({ url: `redis://127.0.0.1:${redisPort}` });

/** How a route sends its EXISTS: through ioredis unless it says otherwise. */
type Via = (keys: string[]) => Promise<unknown>;
const viaIoredis: Via = (keys) => io.exists(...keys);

const EXPECTED = 'thrown on purpose by a route';
process.on('uncaughtException', (e) => {
  if (e.message !== EXPECTED) throw e;
});

type Then = (send: (via?: unknown) => void, req: http.IncomingMessage, res: http.ServerResponse) => void;
const BOUNDARIES: Record<string, Then> = {
  sync: (send) => send(),
  'fs-promise': (send) => void fs.promises.stat('.').then(send),
  'timers-promise': (send) => void sleep(1).then(send),
  timeout: (send) => setTimeout(send, 1),
  interval: (send) => {
    const t = setInterval(() => {
      clearInterval(t);
      send();
    }, 1);
  },
  immediate: (send) => setImmediate(send),
  'next-tick': (send) => process.nextTick(send),
  microtask: (send) => queueMicrotask(send),
  // callbacks given arguments of their own, which they must receive as given
  'timeout-args': (send, _req, res) => setTimeout((a, b, c) => (a === 'a' && b === 'b' && c === 'c' ? send() : res.end('wrong arguments')), 1, 'a', 'b', 'c'),
  'immediate-args': (send, _req, res) => setImmediate((a, b) => (a === 'a' && b === 'b' ? send() : res.end('wrong arguments')), 'a', 'b'),
  'next-tick-args': (send, _req, res) => process.nextTick((a: string, b: string, c: string) => (a === 'a' && b === 'b' && c === 'c' ? send() : res.end('wrong arguments')), 'a', 'b', 'c'),
  'next-tick-many-args': (send, _req, res) => process.nextTick((...a: string[]) => (a.join('') === 'abcde' ? send() : res.end('wrong arguments')), 'a', 'b', 'c', 'd', 'e'),
  // a callback that throws (caught by the process's handler above) changes nothing for the next ones
  'next-tick-after-throw': (send) => {
    process.nextTick(() => {
      throw new Error(EXPECTED);
    });
    process.nextTick(send);
  },
  'microtask-after-throw': (send) => {
    queueMicrotask(() => {
      throw new Error(EXPECTED);
    });
    queueMicrotask(send);
  },
  'request-body': (send, req) => {
    req.on('data', () => {});
    req.on('end', send);
  },
  'response-finish': (send, _req, res) => res.on('finish', send),
  'client-response': (send) => {
    http.get({ host: '127.0.0.1', port, path: '/plain' }, (r) => {
      r.resume();
      r.on('end', send);
    });
  },
  // a client that connects on its first command sends it once connected, from a socket event
  'new-connection': (send) => {
    const lazy = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true });
    send((keys: string[]) => lazy.exists(...keys).finally(() => lazy.disconnect()));
  },
  'node-redis': (send) => send((keys: string[]) => nr.exists(keys)),
  'node-redis-multi': (send) => send((keys: string[]) => nr.multi().exists(keys).exec()),
  // fs callbacks are not carried by the slot: no parent there, never a wrong one
  'fs-callback': (send) => fs.stat('.', send),
};

const server = http.createServer((req, res) => {
  const [, b, name, n] = (req.url ?? '').split('/');
  const then = b === 'b' ? BOUNDARIES[name] : undefined;
  if (!then) {
    res.end('plain');
    return;
  }
  const keys = Array.from({ length: Number(n) }, (_, i) => `c:${i}`);
  let done = false;
  then((arg) => {
    const via = typeof arg === 'function' ? (arg as Via) : viaIoredis; // (a callback's own arguments are not a Via)
    void via(keys).then(() => {
      if (!res.writableEnded) res.end(name);
    });
    done = true;
  }, req, res);
  // response-finish sends after the response; every other route answers once its command is back
  if (name === 'response-finish' && !done) res.end(name);
});

const background = setInterval(() => void io.echo('bg'), 2);
Promise.all([io.ping(), nr.connect()]).then(() => server.listen(port, '127.0.0.1', () => console.log('ready')));
process.on('SIGTERM', () => {
  clearInterval(background);
  server.close();
  io.disconnect();
  nr.disconnect().catch(() => {});
  setTimeout(() => process.exit(0), 50).unref();
});
