// Preload for bench:agent-overhead: only what the agent's parent ids rest on,
// an AsyncLocalStorage entered for every incoming request, recording nothing.
// Its loss is the floor under any agent that finds parents by async context.
/* eslint-disable @typescript-eslint/no-require-imports */
const { AsyncLocalStorage } = require('node:async_hooks') as typeof import('node:async_hooks');
const { subscribe } = require('node:diagnostics_channel') as typeof import('node:diagnostics_channel');

const context = new AsyncLocalStorage<number>();
let next = 1;
subscribe('http.server.request.start', () => context.enterWith(next++));
