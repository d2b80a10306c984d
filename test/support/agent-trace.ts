// Reads an agent trace folder with the project's CTF reader, as name + payload.
import { CtfReader } from '../../src/ctf/index.js';

export type AgentEvent = { name: string; p: Record<string, unknown> };

export function readAgentTrace(dir: string): AgentEvent[] {
  const r = CtfReader.open([dir]);
  const out: AgentEvent[] = [];
  for (let ev = r.next(); ev; ev = r.next()) out.push({ name: ev.event.cls.name.replace('nodejs:', ''), p: ev.payload as Record<string, unknown> });
  r.close();
  return out;
}
