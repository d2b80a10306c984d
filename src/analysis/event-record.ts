/**
 * From a decoded CTF event to what the models take: shared by the single
 * pass and the workers, so both hand the Redis model the same record.
 */
import type { CtfEvent } from '../ctf/index.js';
import type { RedisEvent } from './redis/model.js';

/** A field as a number (64-bit integers decode as bigint). */
export function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : Number(v ?? 0);
}

/** Fills `re` (one record reused for every event: the model keeps none) from a Redis event at analysis time `t`. */
export function redisEvent(re: RedisEvent, ev: CtfEvent, t: number, vpid: number, host: string | undefined): RedisEvent {
  const ctx = ev.streamContext as Record<string, unknown> | undefined;
  re.name = ev.event.cls.name;
  re.t = t;
  re.mono = Number(ev.stream.base) + ev.cycles;
  re.vpid = vpid;
  re.vtid = num(ctx?.vtid ?? vpid);
  re.p = ev.payload as Record<string, unknown>;
  re.host = host;
  return re;
}
