/**
 * The Node.js model: per service, its server requests and the calls they
 * made (HTTP and Redis) as spans, from the `nodejs` events. Ids are unique
 * per process, so spans are keyed by process and id.
 */
export interface ServerSpan {
  key: string;
  service: string;
  pid: number;
  host: string;
  id: number;
  method: string;
  path: string;
  localPort: number;
  remotePort: number;
  start: number;
  end?: number;
  status?: number;
}

export interface ClientSpan {
  key: string;
  kind: 'http' | 'redis';
  service: string;
  pid: number;
  host: string;
  id: number;
  /** Key of the server span that caused it, if any. */
  parent?: string;
  what: string;
  start: number;
  end?: number;
  localPort: number;
  remotePort: number;
  /** Redis: n-th command on the connection; its size on the wire; ok; redirect. */
  seq?: number;
  bytes?: number;
  ok?: boolean;
  redirect?: string;
}

export interface NodeEvent {
  name: string;
  t: number;
  pid: number;
  host: string;
  service: string;
  p: Record<string, unknown>;
}

export class NodeModel {
  readonly servers = new Map<string, ServerSpan>();
  readonly clients = new Map<string, ClientSpan>();
  readonly services = new Map<string, { pid: number; host: string }[]>();
  /** Event-loop delay p99 (ns) per service: the worst interval. */
  readonly loopP99 = new Map<string, number>();
  readonly gcPauseNs = new Map<string, number>();

  handle(e: NodeEvent): void {
    const k = (id: unknown) => `${e.host}/${e.pid}/${id}`;
    const p = e.p;
    switch (e.name) {
      case 'nodejs:process_start': {
        const list = this.services.get(e.service) ?? [];
        list.push({ pid: e.pid, host: e.host });
        this.services.set(e.service, list);
        return;
      }
      case 'nodejs:http_server_receive':
        this.servers.set(k(p.request_id), {
          key: k(p.request_id), service: e.service, pid: e.pid, host: e.host, id: Number(p.request_id), method: String(p.method), path: String(p.path),
          localPort: Number(p.local_port), remotePort: Number(p.remote_port), start: e.t,
        });
        return;
      case 'nodejs:http_server_response': {
        const s = this.servers.get(k(p.request_id));
        if (s) { s.end = e.t; s.status = Number(p.status); }
        return;
      }
      case 'nodejs:http_client_request':
        this.clients.set(k(`h${p.request_id}`), {
          key: k(`h${p.request_id}`), kind: 'http', service: e.service, pid: e.pid, host: e.host, id: Number(p.request_id),
          parent: Number(p.parent_id) ? k(p.parent_id) : undefined, what: `${p.method} ${p.host}:${p.port}${p.path}`, start: e.t, localPort: 0, remotePort: Number(p.port),
        });
        return;
      case 'nodejs:http_client_response': {
        const c = this.clients.get(k(`h${p.request_id}`));
        if (c) { c.end = e.t; c.localPort = Number(p.local_port); c.remotePort = Number(p.remote_port) || c.remotePort; }
        return;
      }
      case 'nodejs:redis_command_send':
        this.clients.set(k(`r${p.command_id}`), {
          key: k(`r${p.command_id}`), kind: 'redis', service: e.service, pid: e.pid, host: e.host, id: Number(p.command_id),
          parent: Number(p.parent_id) ? k(p.parent_id) : undefined, what: String(p.cmd).toUpperCase(), start: e.t,
          localPort: Number(p.local_port), remotePort: Number(p.remote_port), seq: Number(p.seq), bytes: Number(p.bytes),
        });
        return;
      case 'nodejs:redis_command_reply': {
        const c = this.clients.get(k(`r${p.command_id}`));
        if (c) { c.end = e.t; c.ok = Number(p.ok) === 1; c.redirect = String(p.redirect || '') || undefined; }
        return;
      }
      case 'nodejs:event_loop_delay':
        this.loopP99.set(e.service, Math.max(this.loopP99.get(e.service) ?? 0, Number(p.p99_ns)));
        return;
      case 'nodejs:gc':
        this.gcPauseNs.set(e.service, (this.gcPauseNs.get(e.service) ?? 0) + Number(p.duration_ns));
        return;
    }
  }
}
