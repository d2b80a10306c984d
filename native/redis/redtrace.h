/*
 * redtrace.h: the calls redtrace's patch adds to Redis, one macro per call
 * site. Anything that depends on Redis internals lives here, so porting the
 * patch to another Redis version means fixing this file, not the call sites.
 *
 * Cost without a session: lttng_ust_tracepoint() evaluates its arguments only
 * after testing the event's enabled flag, and every clock read or syscall
 * made for an event sits behind the same test (RT_ON), so each site is a
 * load and a predictable branch.
 *
 * Include it after server.h (after cluster.h in cluster.c). ae.c includes it
 * alone: ae.c is also linked into redis-cli and redis-benchmark, whose copy
 * (ae.o) is built with REDTRACE_OFF; redis-server links ae_traced.o instead
 * (see the patch to src/Makefile).
 */
#ifndef REDTRACE_H
#define REDTRACE_H

#ifdef REDTRACE_OFF

#define RT_TP(...) ((void)0)

#else

#include <stdint.h>
#include <time.h>
#include "redis_tp.h"

#define RT_ON(ev) lttng_ust_tracepoint_enabled(redis, ev)
#define RT_TP(...) lttng_ust_tracepoint(redis, __VA_ARGS__)
#define RT_DO(...) lttng_ust_do_tracepoint(redis, __VA_ARGS__)

/* Same clock as LTTng-UST's default event timestamps. */
static inline uint64_t rtNowNs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A light-profile timestamp: read the clock only if EV is being recorded. */
#define RT_STAMP(ev) (RT_ON(ev) ? rtNowNs() : 0)

/* Values of the conn_kind and io_op enums in redis_tp.h. */
enum { RT_KIND_CLIENT, RT_KIND_CLUSTER_LINK, RT_KIND_REPLICA, RT_KIND_UNIX,
       RT_KIND_TLS };
enum { RT_IO_READ, RT_IO_WRITE };

#endif /* REDTRACE_OFF */

/* ---- ae.c: the event loop ---- */
#define RT_ADD_FILE_EVENT(fd, mask) RT_TP(add_file_event, (fd), (mask))
#define RT_DELETE_FILE_EVENT(fd, mask) RT_TP(delete_file_event, (fd), (mask))
#define RT_BEFORE_SLEEP_START() RT_TP(before_sleep_start)
#define RT_BEFORE_SLEEP_END() RT_TP(before_sleep_end)
#define RT_AFTER_SLEEP(fired) RT_TP(after_sleep, (fired))

#if defined(__REDIS_H) && !defined(REDTRACE_OFF)

/* Fake clients (Lua, modules, AOF loading) have no connection. */
#define RT_FD(c) ((c)->conn ? (c)->conn->fd : -1)

/* createClient: the light-profile stamps start out as "not taken". */
#define RT_CLIENT_INIT(c) \
    ((c)->rt_read_start_ns = (c)->rt_read_end_ns = (c)->rt_exec_start_ns = 0)

/* readQueryFromClient, around connRead; also runs in I/O threads. The
 * request event reports the last read before the command ran. */
#define RT_READ_START(c) do { \
    RT_TP(start_read_client_query, RT_FD(c), (c)->id); \
    if (RT_ON(request)) (c)->rt_read_start_ns = rtNowNs(); \
} while (0)
#define RT_READ_END(c, nread) do { \
    if (RT_ON(request)) (c)->rt_read_end_ns = rtNowNs(); \
    RT_TP(end_read_client_query, RT_FD(c), (c)->id, (nread)); \
} while (0)

/* call(), around the command's proc. ERRORS_BEFORE is
 * server.stat_total_error_replies read before the proc ran. */
#define RT_CALL_START(c) \
    RT_TP(call_command_start, RT_FD(c), (c)->id, (c)->cmd->fullname, \
          (c)->argc, (c)->db->id)
#define RT_CALL_END(c, dirty, errors_before) \
    RT_TP(call_command_end, RT_FD(c), (c)->id, (c)->cmd->fullname, (dirty), \
          server.stat_total_error_replies == (errors_before))

/* processCommandAndResetClient: stamp before processCommand(), emit the
 * request right after it (argv and cmd are reset by commandProcessed()). */
#define RT_EXEC_START(c) do { \
    if (RT_ON(request)) (c)->rt_exec_start_ns = rtNowNs(); \
} while (0)
static inline void rtRequest(client *c) {
    uint64_t exec_end = rtNowNs();
    RT_DO(request, RT_FD(c), c->id, c->cmd ? c->cmd->fullname : "(unknown)",
          c->argc, c->rt_read_start_ns, c->rt_read_end_ns,
          c->rt_exec_start_ns, exec_end);
}
#define RT_REQUEST(c) do { if (RT_ON(request)) rtRequest(c); } while (0)

/* A client freed during processing is gone: only live ones get the event. */
#define RT_END_PROCESS_COMMAND(c, dead) do { \
    if (!(dead)) RT_TP(end_process_command, RT_FD(c), (c)->id); \
} while (0)

/* _addReplyToBufferOrList: LEN reply bytes appended to the output queue. */
#define RT_REPLY_QUEUED(c, len) \
    RT_TP(insert_client_write_queue, RT_FD(c), (c)->id, (len))

/* writeToClient: returns the light start stamp (0 when not recording). */
static inline uint64_t rtWriteStart(client *c) {
    RT_TP(write_to_client_start, RT_FD(c), c->id);
    return RT_STAMP(reply_written);
}
#define RT_WRITE_START(c) rtWriteStart(c)
#define RT_WRITE_END(c, start, written) do { \
    if (RT_ON(reply_written) && (written) > 0) { \
        uint64_t rt_end_ = rtNowNs(); \
        RT_DO(reply_written, RT_FD(c), (c)->id, (written), (start), rt_end_); \
    } \
    RT_TP(write_to_client_end, RT_FD(c), (c)->id, (written)); \
} while (0)

#define RT_FREE_CLIENT(c) RT_TP(free_client, RT_FD(c), (c)->id)

/* Addresses cost two syscalls: only when the event is recorded. */
static inline void rtAccept(connection *conn, uint64_t id, int kind) {
    char peer[NET_IP_STR_LEN] = "", local[NET_IP_STR_LEN] = "";
    int peer_port = 0, local_port = 0;
    connPeerToString(conn, peer, sizeof(peer), &peer_port);
    connSockName(conn, local, sizeof(local), &local_port);
    RT_DO(accept_connection, conn->fd, id,
          kind == RT_KIND_UNIX && server.unixsocket ? server.unixsocket : peer,
          peer_port, local_port, kind);
}
/* acceptCommonHandler, once the client exists. */
#define RT_ACCEPT_CLIENT(c, flags) do { \
    if (RT_ON(accept_connection)) \
        rtAccept((c)->conn, (c)->id, \
                 ((flags) & CLIENT_UNIX_SOCKET) ? RT_KIND_UNIX : \
                 connGetType((c)->conn) == CONN_TYPE_TLS ? RT_KIND_TLS : \
                 RT_KIND_CLIENT); \
} while (0)
/* clusterAcceptHandler: a link from another node (no client, id 0). */
#define RT_ACCEPT_CLUSTER(conn) do { \
    if (RT_ON(accept_connection)) rtAccept((conn), 0, RT_KIND_CLUSTER_LINK); \
} while (0)
/* syncCommand / partial resync: an accepted client turns into a replica. */
#define RT_BECAME_REPLICA(c) do { \
    if (RT_ON(accept_connection) && (c)->conn) \
        rtAccept((c)->conn, (c)->id, RT_KIND_REPLICA); \
} while (0)

/* connTLSRead, right after SSL_read (tls.c, BUILD_TLS only). */
#define RT_SSL_READ(tlsconn, asked, got) \
    RT_TP(ssl_read, (tlsconn)->c.fd, (asked), (got), SSL_pending((tlsconn)->ssl))

/* handleClientsWithPending{Reads,Writes}UsingThreads, when there is work.
 * Thread index 0 is the main thread. */
#define RT_PENDING_READS_START(n) RT_TP(handle_pending_reads_start, (n))
#define RT_PENDING_READS_END(n) RT_TP(handle_pending_reads_end, (n))
#define RT_PENDING_WRITES_START(n) RT_TP(handle_pending_writes_start, (n))
#define RT_PENDING_WRITES_END(n) RT_TP(handle_pending_writes_end, (n))
#define RT_IO_ASSIGN(c, thread, op) \
    RT_TP(io_thread_assign, RT_FD(c), (c)->id, (thread), (op))

/* pubsubPublishMessage: local subscribers reached. */
static inline void rtPubsubDeliver(robj *channel, int receivers) {
    robj *name = getDecodedObject(channel);
    RT_DO(pubsub_deliver, name->ptr, receivers);
    decrRefCount(name);
}
#define RT_PUBSUB_DELIVER(channel, receivers) do { \
    if (RT_ON(pubsub_deliver)) rtPubsubDeliver((channel), (receivers)); \
} while (0)

#endif /* __REDIS_H && !REDTRACE_OFF */

#if defined(__CLUSTER_H) && !defined(REDTRACE_OFF)

/* Inbound links learn their node late: until then the peer is all NULs. */
static inline const char *rtLinkNode(clusterLink *link) {
    static const char unknown[CLUSTER_NAMELEN];
    return link->node ? link->node->name : unknown;
}

/* clusterSendMessage: one message queued on one link. */
#define RT_CLUSTER_SEND(link, type, len) \
    RT_TP(cluster_send, rtLinkNode(link), (type), (len))
/* clusterReadHandler: a whole message is in the link's buffer. */
#define RT_CLUSTER_READ(hdr) \
    RT_TP(cluster_read, (hdr)->sender, ntohl((hdr)->totlen))
/* clusterProcessPacket, on entry. */
#define RT_CLUSTER_PROCESS(type, totlen, hdr) \
    RT_TP(cluster_process_packet, (type), (totlen), (hdr)->sender)

/* clusterSendPublish: the same message goes to every linked node when
 * broadcasting (as clusterBroadcastMessage does), else to one. */
static inline void rtPublishPropagate(robj *channel, int bcast, uint32_t len) {
    uint32_t nodes = 1;
    if (bcast) {
        dictIterator *di = dictGetIterator(server.cluster->nodes);
        dictEntry *de;
        nodes = 0;
        while ((de = dictNext(di)) != NULL) {
            clusterNode *node = dictGetVal(de);
            if (node->link &&
                !(node->flags & (CLUSTER_NODE_MYSELF|CLUSTER_NODE_HANDSHAKE)))
                nodes++;
        }
        dictReleaseIterator(di);
    }
    RT_DO(publish_propagate, channel->ptr, nodes, len);
}
#define RT_PUBLISH_PROPAGATE(channel, bcast, len) do { \
    if (RT_ON(publish_propagate)) rtPublishPropagate((channel), (bcast), (len)); \
} while (0)

#endif /* __CLUSTER_H && !REDTRACE_OFF */

#endif /* REDTRACE_H */
