/**
 * Callbacks handed to a queue that runs them in the order they were given
 * (process.nextTick's), each kept here with the request context it was
 * queued in. The queue itself is given the same runner for
 * every callback, with no arguments, and each run of the runner takes the
 * oldest entry: no closure and no argument array per call, and Node's
 * nextTick takes its cheapest path. A callback that throws has been taken
 * already, so the order holds after an exception too.
 */
type Fn = (...args: unknown[]) => unknown;

/** Values per entry: context, callback, argument count, three arguments (more than three: the first is an array of them). */
const STRIDE = 6;
/** An emptied queue that grew past this many entries lets its storage go. */
const KEEP = 1024;

export class InOrderCallbacks {
  private slots: unknown[] = [];
  private head = 0;
  private tail = 0;
  /** What the queue is given in place of each callback. */
  readonly runner: () => unknown;

  /** `swap(v)` and `set(v)`: the context slot's (swap sets it and returns what it held). */
  constructor(swap: (v: unknown) => unknown, set: (v: unknown) => void) {
    this.runner = () => {
      const s = this.slots;
      const h = this.head;
      const ctx = s[h];
      const cb = s[h + 1] as Fn;
      const n = s[h + 2] as number;
      const a = s[h + 3];
      const b = s[h + 4];
      const c = s[h + 5];
      s[h] = s[h + 1] = s[h + 3] = s[h + 4] = s[h + 5] = undefined; // what ran is not kept alive
      this.head = h + STRIDE;
      if (this.head === this.tail) {
        this.head = this.tail = 0;
        if (s.length > KEEP * STRIDE) this.slots = [];
      }
      const prev = swap(ctx);
      try {
        switch (n) {
          case 0: return cb();
          case 1: return cb(a);
          case 2: return cb(a, b);
          case 3: return cb(a, b, c);
          default: return Reflect.apply(cb, undefined, a as unknown[]);
        }
      } finally {
        set(prev);
      }
    };
  }

  /** Keeps `cb` and its `n` arguments (n > 3: `a` is an array of them) to run in `ctx`; queue `runner` next. */
  add(ctx: unknown, cb: Fn, n: number, a: unknown, b: unknown, c: unknown): void {
    const s = this.slots;
    const t = this.tail;
    s[t] = ctx;
    s[t + 1] = cb;
    s[t + 2] = n;
    s[t + 3] = a;
    s[t + 4] = b;
    s[t + 5] = c;
    this.tail = t + STRIDE;
  }
}
