/**
 * The `nodejs` provider: every event the agent emits, with its fields in
 * order. The CTF metadata, the encoders and docs/events.md follow this
 * table (a test checks the document against it).
 */
export type FieldKind = 'u8' | 'u16' | 'i32' | 'u32' | 'u64' | 'f64' | 'string';

export interface EventSpec {
  name: string;
  /** Every field, in trace order. */
  fields: [string, FieldKind][];
  /** Events on a connection: the position of the value that stands for the five last fields (a Conn). */
  connAt?: number;
}

/** A connection's addresses, ports and fd: read once per socket, passed as one value, written as five fields. */
export interface Conn {
  readonly localAddr: string;
  readonly localPort: number;
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly fd: number;
}

/** What an event is given: one value per field, except that a Conn stands for the connection's five. */
export type Value = string | number | Conn;

const CONN_FIELDS: [string, FieldKind][] = [
  ['local_addr', 'string'],
  ['local_port', 'u16'],
  ['remote_addr', 'string'],
  ['remote_port', 'u16'],
  ['fd', 'i32'],
];

function onConnection(name: string, fields: [string, FieldKind][]): EventSpec {
  return { name, fields: [...fields, ...CONN_FIELDS], connAt: fields.length };
}

export const NODEJS_EVENTS: EventSpec[] = [
  { name: 'process_start', fields: [['service', 'string'], ['pid', 'u32'], ['node_version', 'string']] },
  onConnection('http_server_receive', [['request_id', 'u64'], ['method', 'string'], ['path', 'string']]),
  { name: 'http_server_response', fields: [['request_id', 'u64'], ['status', 'u16'], ['bytes', 'u64']] },
  { name: 'http_client_request', fields: [['request_id', 'u64'], ['parent_id', 'u64'], ['method', 'string'], ['host', 'string'], ['port', 'u16'], ['path', 'string']] },
  onConnection('http_client_response', [['request_id', 'u64'], ['status', 'u16'], ['bytes', 'u64']]),
  onConnection('redis_command_send', [['command_id', 'u64'], ['parent_id', 'u64'], ['cmd', 'string'], ['argc', 'u32'], ['bytes', 'u32'], ['pipeline_pos', 'u32'], ['seq', 'u64']]),
  { name: 'redis_command_reply', fields: [['command_id', 'u64'], ['ok', 'u8'], ['redirect', 'string'], ['bytes', 'u32'], ['seq', 'u64'], ['local_port', 'u16'], ['fd', 'i32']] },
  { name: 'redis_push', fields: [['kind', 'string'], ['channel', 'string'], ['bytes', 'u32'], ['local_port', 'u16'], ['fd', 'i32']] },
  { name: 'event_loop_delay', fields: [['interval_ns', 'u64'], ['p50_ns', 'u64'], ['p99_ns', 'u64'], ['max_ns', 'u64'], ['mean_ns', 'f64']] },
  { name: 'gc', fields: [['kind', 'string'], ['duration_ns', 'u64']] },
];

/** The values of an event with its Conn spread into five (for sinks that take fields one by one). */
export function fieldValues(id: number, values: readonly Value[]): (string | number)[] {
  const at = NODEJS_EVENTS[id].connAt;
  if (at === undefined) return values as (string | number)[];
  const c = values[at] as Conn;
  return [...(values.slice(0, at) as (string | number)[]), c.localAddr, c.localPort, c.remoteAddr, c.remotePort, c.fd];
}

export const EVENT_ID: Record<string, number> = Object.fromEntries(NODEJS_EVENTS.map((e, i) => [e.name, i]));

/** Event ids by name, for call sites: a constant property read, where a lookup by a variable name would be a slow generic one. */
export const EV = {
  process_start: EVENT_ID.process_start,
  http_server_receive: EVENT_ID.http_server_receive,
  http_server_response: EVENT_ID.http_server_response,
  http_client_request: EVENT_ID.http_client_request,
  http_client_response: EVENT_ID.http_client_response,
  redis_command_send: EVENT_ID.redis_command_send,
  redis_command_reply: EVENT_ID.redis_command_reply,
  redis_push: EVENT_ID.redis_push,
  event_loop_delay: EVENT_ID.event_loop_delay,
  gc: EVENT_ID.gc,
} as const;
