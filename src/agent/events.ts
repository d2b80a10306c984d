/**
 * The `nodejs` provider: every event the agent emits, with its fields in
 * order. The CTF metadata, the encoders and docs/events.md follow this
 * table (a test checks the document against it).
 */
export type FieldKind = 'u8' | 'u16' | 'i32' | 'u32' | 'u64' | 'f64' | 'string';

export interface EventSpec {
  name: string;
  fields: [string, FieldKind][];
}

const conn: [string, FieldKind][] = [
  ['local_addr', 'string'],
  ['local_port', 'u16'],
  ['remote_addr', 'string'],
  ['remote_port', 'u16'],
  ['fd', 'i32'],
];

export const NODEJS_EVENTS: EventSpec[] = [
  { name: 'process_start', fields: [['service', 'string'], ['pid', 'u32'], ['node_version', 'string']] },
  { name: 'http_server_receive', fields: [['request_id', 'u64'], ['method', 'string'], ['path', 'string'], ...conn] },
  { name: 'http_server_response', fields: [['request_id', 'u64'], ['status', 'u16'], ['bytes', 'u64']] },
  { name: 'http_client_request', fields: [['request_id', 'u64'], ['parent_id', 'u64'], ['method', 'string'], ['host', 'string'], ['port', 'u16'], ['path', 'string']] },
  { name: 'http_client_response', fields: [['request_id', 'u64'], ['status', 'u16'], ['bytes', 'u64'], ...conn] },
  { name: 'redis_command_send', fields: [['command_id', 'u64'], ['parent_id', 'u64'], ['cmd', 'string'], ['argc', 'u32'], ['bytes', 'u32'], ['pipeline_pos', 'u32'], ['seq', 'u64'], ...conn] },
  { name: 'redis_command_reply', fields: [['command_id', 'u64'], ['ok', 'u8'], ['redirect', 'string'], ['bytes', 'u32'], ['seq', 'u64'], ['local_port', 'u16'], ['fd', 'i32']] },
  { name: 'redis_push', fields: [['kind', 'string'], ['channel', 'string'], ['bytes', 'u32'], ['local_port', 'u16'], ['fd', 'i32']] },
  { name: 'event_loop_delay', fields: [['interval_ns', 'u64'], ['p50_ns', 'u64'], ['p99_ns', 'u64'], ['max_ns', 'u64'], ['mean_ns', 'f64']] },
  { name: 'gc', fields: [['kind', 'string'], ['duration_ns', 'u64']] },
];

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
