/**
 * The attribute tree: hierarchical paths (`Redis/node-7001/Connections/12`)
 * mapped to dense integer ids (quarks), created on first use. Serialised
 * portably (parent id and UTF-8 name per quark) into the history file.
 */
export class AttributeTree {
  private readonly names: string[] = [];
  private readonly parents: number[] = [];
  private readonly children: Map<string, number>[] = [];
  private readonly roots = new Map<string, number>();

  get size(): number {
    return this.names.length;
  }

  /** The quark of a path, created (with its ancestors) if new. */
  quark(path: readonly string[] | string): number {
    const parts = typeof path === 'string' ? splitPath(path) : path;
    let q = -1;
    for (const name of parts) q = this.child(q, name, true);
    if (q < 0) throw new Error('empty attribute path');
    return q;
  }

  /** The quark of a path, or -1 if it does not exist. */
  find(path: readonly string[] | string): number {
    const parts = typeof path === 'string' ? splitPath(path) : path;
    let q = -1;
    for (const name of parts) {
      q = this.child(q, name, false);
      if (q < 0) return -1;
    }
    return q;
  }

  /** The quark of `name` under `parent` (-1: the root), created when `create`. */
  child(parent: number, name: string, create: boolean): number {
    const map = parent < 0 ? this.roots : this.children[parent];
    const found = map.get(name);
    if (found !== undefined || !create) return found ?? -1;
    const q = this.names.length;
    this.names.push(name);
    this.parents.push(parent);
    this.children.push(new Map());
    map.set(name, q);
    return q;
  }

  name(q: number): string {
    return this.names[q];
  }

  parent(q: number): number {
    return this.parents[q];
  }

  path(q: number): string[] {
    const out: string[] = [];
    for (let x = q; x >= 0; x = this.parents[x]) out.push(this.names[x]);
    return out.reverse();
  }

  childQuarks(q: number): number[] {
    return [...(q < 0 ? this.roots : this.children[q]).values()];
  }

  /** count (u32), then per quark: parent + 1 (u32, 0 = root), name length (u32), UTF-8 name. */
  serialize(): Buffer {
    const parts: Buffer[] = [];
    const head = Buffer.alloc(4);
    head.writeUInt32LE(this.names.length);
    parts.push(head);
    for (let q = 0; q < this.names.length; q++) {
      const name = Buffer.from(this.names[q], 'utf8');
      const h = Buffer.alloc(8);
      h.writeUInt32LE(this.parents[q] + 1, 0);
      h.writeUInt32LE(name.length, 4);
      parts.push(h, name);
    }
    return Buffer.concat(parts);
  }

  static deserialize(b: Buffer): AttributeTree {
    const t = new AttributeTree();
    if (b.length < 4) throw new RangeError('attribute tree too short');
    const n = b.readUInt32LE(0);
    let o = 4;
    for (let q = 0; q < n; q++) {
      if (o + 8 > b.length) throw new RangeError('attribute tree truncated');
      const parent = b.readUInt32LE(o) - 1;
      const len = b.readUInt32LE(o + 4);
      o += 8;
      if (parent >= q || o + len > b.length) throw new RangeError(`attribute ${q} is malformed`);
      const got = t.child(parent, b.toString('utf8', o, o + len), true);
      if (got !== q) throw new RangeError(`attribute ${q} duplicates another`);
      o += len;
    }
    return t;
  }
}

/** `a/b/c` → ['a', 'b', 'c']; a name holding `/` must be given as an array. */
export function splitPath(p: string): string[] {
  return p.split('/').filter((x) => x.length > 0);
}
