/**
 * What a Redis command works on and whether it writes, from its name: the
 * Requests/<fd>/Type and Data structure of the model. Redis's command table
 * groups commands the same way (string, list, hash...; @read, @write); the
 * trace carries only the name, so the grouping is kept here for the commands
 * applications use.
 */

export type CommandType = 'read' | 'write' | 'other';

export interface CommandInfo {
  type: CommandType;
  /** `string`, `list`, `hash`, `set`, `sorted set`, `stream`, `hyperloglog`, `bitmap`, `geo`, `pubsub`, `keyspace`, `scripting`, `transactions`, or `server` for the rest. */
  structure: string;
}

const words = (s: string) => s.trim().split(/\s+/);

const GROUPS: Record<string, { read: string; write: string }> = {
  string: {
    read: 'get mget strlen getrange substr lcs',
    write: 'set setnx setex psetex getset getdel getex mset msetnx append incr incrby incrbyfloat decr decrby setrange',
  },
  list: {
    read: 'llen lrange lindex lpos',
    write: 'lpush rpush lpushx rpushx lpop rpop lset linsert lrem ltrim rpoplpush lmove blpop brpop brpoplpush blmove lmpop blmpop',
  },
  hash: {
    read: 'hget hmget hlen hkeys hvals hgetall hexists hstrlen hrandfield hscan',
    write: 'hset hmset hdel hincrby hincrbyfloat hsetnx',
  },
  set: {
    read: 'smembers sismember smismember scard srandmember sinter sintercard sunion sdiff sscan',
    write: 'sadd srem spop smove sinterstore sunionstore sdiffstore',
  },
  'sorted set': {
    read: 'zrange zrangebyscore zrevrangebyscore zrangebylex zrevrangebylex zrevrange zrank zrevrank zscore zmscore zcard zcount zlexcount zrandmember zscan zunion zinter zintercard zdiff',
    write: 'zadd zrem zincrby zpopmin zpopmax bzpopmin bzpopmax zremrangebyscore zremrangebyrank zremrangebylex zunionstore zinterstore zdiffstore zrangestore zmpop bzmpop',
  },
  stream: {
    read: 'xlen xrange xrevrange xread xinfo|stream xinfo|groups xinfo|consumers xpending',
    write: 'xadd xdel xtrim xack xclaim xautoclaim xsetid xreadgroup xgroup|create xgroup|destroy xgroup|setid xgroup|createconsumer xgroup|delconsumer',
  },
  hyperloglog: { read: 'pfcount', write: 'pfadd pfmerge' },
  bitmap: { read: 'getbit bitcount bitpos bitfield_ro', write: 'setbit bitop bitfield' },
  geo: {
    read: 'geopos geodist geohash georadius_ro georadiusbymember_ro geosearch',
    write: 'geoadd georadius georadiusbymember geosearchstore',
  },
  pubsub: { read: '', write: 'publish spublish' },
  keyspace: {
    read: 'exists type ttl pttl expiretime pexpiretime keys scan randomkey dump object|encoding object|freq object|idletime object|refcount touch dbsize',
    write: 'del unlink expire pexpire expireat pexpireat persist rename renamenx move copy restore flushdb flushall swapdb sort',
  },
};

const OTHER: Record<string, string> = {
  subscribe: 'pubsub', psubscribe: 'pubsub', ssubscribe: 'pubsub', unsubscribe: 'pubsub', punsubscribe: 'pubsub', sunsubscribe: 'pubsub',
  eval: 'scripting', evalsha: 'scripting', eval_ro: 'scripting', evalsha_ro: 'scripting', fcall: 'scripting', fcall_ro: 'scripting',
  multi: 'transactions', exec: 'transactions', discard: 'transactions', watch: 'transactions', unwatch: 'transactions',
};

const TABLE = new Map<string, CommandInfo>();
for (const [structure, g] of Object.entries(GROUPS)) {
  for (const c of words(g.read)) if (c) TABLE.set(c, { type: 'read', structure });
  for (const c of words(g.write)) if (c) TABLE.set(c, { type: 'write', structure });
}
for (const [c, structure] of Object.entries(OTHER)) TABLE.set(c, { type: 'other', structure });

const SERVER: CommandInfo = { type: 'other', structure: 'server' };

/** The command's type and data structure (`cmd` as the events name it: lower case, `container|sub`). */
export function commandInfo(cmd: string): CommandInfo {
  return TABLE.get(cmd) ?? (cmd.startsWith('pubsub|') ? { type: 'other', structure: 'pubsub' } : SERVER);
}
