/**
 * Records a real 3-node cluster of the instrumented Redis on loopback (and a
 * replica of the first node), a cluster service (ioredis's cluster client) and the example gateway, all
 * under `redtrace record`: requests through the gateway (SET, GET, INCR on
 * keys of different slots), a PUBLISH, then a slot moved behind the client's
 * back: one GET while it migrates (ASK), one once it moved (MOVED).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/record/free-port.js';
import { sh } from '../src/record/private-session.js';
import { buildRedis } from '../src/record/redis-build.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PRIVATE = here('../../scripts/lttng-private.sh');
const REDTRACE = here('../src/cli/main.js');

/** The key whose slot is moved: the test's redirected GETs. */
export const MOVED_KEY = 'moved';

export interface ClusterRecording {
  /** The three primaries' ports. */
  ports: number[];
  replica: number;
  service: number;
  gateway: number;
  /** Each node's cluster node id, by port. */
  ids: Map<number, string>;
  /** The moved slot's owner before and after. */
  from: number;
  to: number;
}

export function recordCluster(dir: string, requests: number, work: string): ClusterRecording {
  const bins = buildRedis();
  const all = [freePort(), freePort(), freePort(), freePort()];
  const bus = all.map(() => freePort());
  const ports = all.slice(0, 3);
  const replica = all[3];
  const [service, gateway] = [freePort(), freePort()];
  const node = sh(process.execPath);
  const cli = sh(bins.cli);
  const inner = [
    ...all.map((p, i) => [
      `mkdir -p ${sh(`${work}/n${i}`)}`,
      `${sh(bins.server)} --port ${p} --cluster-port ${bus[i]} --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file ${sh(`${work}/n${i}/nodes.conf`)} --dir ${sh(`${work}/n${i}`)} --save '' --appendonly no >${sh(`${work}/n${i}/log`)} 2>&1 & r${i}=$!`,
    ].join('\n')),
    ...all.map((p) => `for i in $(seq 200); do ${cli} -p ${p} ping >/dev/null 2>&1 && break; sleep 0.05; done`),
    `${cli} --cluster create ${ports.map((p) => `127.0.0.1:${p}`).join(' ')} --cluster-yes >/dev/null`,
    // every node must agree the cluster is up before the client reads the slots
    `${cli} --cluster add-node 127.0.0.1:${replica} 127.0.0.1:${ports[0]} --cluster-slave --cluster-master-id $(${cli} -p ${ports[0]} cluster myid) >/dev/null`,
    `for i in $(seq 300); do ${cli} -p ${replica} info replication | grep -q master_link_status:up && break; sleep 0.1; done`,
    `for i in $(seq 200); do ok=0; for p in ${all.join(' ')}; do ${cli} -p $p cluster info | grep -q cluster_state:ok && ok=$((ok+1)); done; [ $ok = 4 ] && break; sleep 0.1; done`,
    `for p in ${all.join(' ')}; do echo "id $p $(${cli} -p $p cluster myid)"; done`,
    `REDTRACE_SERVICE=service REDTRACE_REDIS_PORTS=${ports.join(',')} ${node} ${sh(here('./services/cluster-service.cjs'))} ${service} ${ports[0]} & sp=$!`,
    `REDTRACE_SERVICE=gateway ${node} ${sh(here('./services/gateway.cjs'))} ${gateway} ${service} & gp=$!`,
    `for i in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:${service}/none && curl -s -o /dev/null http://127.0.0.1:${gateway}/ready && break; sleep 0.05; done`,
    `for i in $(seq ${requests}); do curl -s -o /dev/null http://127.0.0.1:${gateway}/api/key$i; done`,
    `curl -s -o /dev/null http://127.0.0.1:${service}/publish`,
    // the node that owns the key answers it; the one after it takes the slot
    `slot=$(${cli} -p ${ports[0]} cluster keyslot ${MOVED_KEY})`,
    `for p in ${ports.join(' ')}; do ${cli} -p $p get ${MOVED_KEY} | grep -q MOVED || src=$p; done`,
    `case $src in ${ports[0]}) dst=${ports[1]};; ${ports[1]}) dst=${ports[2]};; *) dst=${ports[0]};; esac`,
    `srcid=$(${cli} -p $src cluster myid); dstid=$(${cli} -p $dst cluster myid)`,
    `echo "slot $slot from $src to $dst"`,
    `${cli} -p $dst cluster setslot $slot importing $srcid >/dev/null`,
    `${cli} -p $src cluster setslot $slot migrating $dstid >/dev/null`,
    `curl -s -o /dev/null http://127.0.0.1:${service}/get/${MOVED_KEY}`,
    `for p in $dst $src ${ports.join(' ')}; do ${cli} -p $p cluster setslot $slot node $dstid >/dev/null; done`,
    `curl -s -o /dev/null http://127.0.0.1:${service}/get/${MOVED_KEY}`,
    'sleep 1.2', // a whole second more of bus traffic and replica acks: their volume per second
    'kill -TERM $gp $sp; wait $gp $sp || true',
    ...all.map((p) => `${cli} -p ${p} shutdown nosave >/dev/null 2>&1 || true`),
    'wait $r0 $r1 $r2 $r3 || true',
  ].join('\n');
  const r = spawnSync(PRIVATE, [`${node} ${sh(REDTRACE)} record -o ${sh(dir)} -- bash -c ${sh(inner)}`], { encoding: 'utf8', timeout: 150_000 });
  if (r.status !== 0) throw new Error(`recording the cluster failed (${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  const ids = new Map([...r.stdout.matchAll(/^id (\d+) ([0-9a-f]{40})$/gm)].map((m) => [Number(m[1]), m[2]]));
  const moved = /^slot \d+ from (\d+) to (\d+)$/m.exec(r.stdout);
  if (ids.size !== 4 || !moved) throw new Error(`the cluster script did not print the node ids and the moved slot:\n${r.stdout}`);
  return { ports, replica, service, gateway, ids, from: Number(moved[1]), to: Number(moved[2]) };
}
