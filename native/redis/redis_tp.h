/*
 * LTTng-UST 2.13 tracepoint provider "redis": the events an instrumented
 * redis-server emits. docs/events.md describes every event; keep the two in
 * sync (a test compares the event names).
 *
 * Thread and process identity are not fields: record the vtid, vpid and
 * procname contexts instead.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER redis

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./redis_tp.h"

#if !defined(REDIS_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define REDIS_TP_H

#include <stdint.h>
#include <lttng/tracepoint.h>

/* What kind of peer a connection links to. */
LTTNG_UST_TRACEPOINT_ENUM(redis, conn_kind,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("client", 0)
        lttng_ust_field_enum_value("cluster_link", 1)
        lttng_ust_field_enum_value("replica", 2)
        lttng_ust_field_enum_value("unix", 3)
        lttng_ust_field_enum_value("tls", 4)
    )
)

/* Which half of the I/O a thread is handed. */
LTTNG_UST_TRACEPOINT_ENUM(redis, io_op,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("read", 0)
        lttng_ust_field_enum_value("write", 1)
    )
)

/* Cluster bus message types, as numbered by cluster.h (CLUSTERMSG_TYPE_*). */
LTTNG_UST_TRACEPOINT_ENUM(redis, cluster_msg_type,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("ping", 0)
        lttng_ust_field_enum_value("pong", 1)
        lttng_ust_field_enum_value("meet", 2)
        lttng_ust_field_enum_value("fail", 3)
        lttng_ust_field_enum_value("publish", 4)
        lttng_ust_field_enum_value("failover_auth_request", 5)
        lttng_ust_field_enum_value("failover_auth_ack", 6)
        lttng_ust_field_enum_value("update", 7)
        lttng_ust_field_enum_value("mfstart", 8)
        lttng_ust_field_enum_value("module", 9)
        lttng_ust_field_enum_value("publishshard", 10)
    )
)

/* ---- client reads, commands, replies (networking.c, server.c) ---- */

LTTNG_UST_TRACEPOINT_EVENT(redis, start_read_client_query,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, end_read_client_query,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id, int64_t, bytes_read),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
        lttng_ust_field_integer(int64_t, bytes_read, bytes_read)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, call_command_start,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id, const char *, cmd,
                      int, argc, int, db),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
        lttng_ust_field_string(cmd, cmd)
        lttng_ust_field_integer(int32_t, argc, argc)
        lttng_ust_field_integer(int32_t, db, db)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, call_command_end,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id, const char *, cmd,
                      int64_t, dirty, int, ok),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
        lttng_ust_field_string(cmd, cmd)
        lttng_ust_field_integer(int64_t, dirty, dirty)
        lttng_ust_field_integer(uint8_t, ok, ok)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, end_process_command,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, insert_client_write_queue,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id, uint64_t, bytes),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
        lttng_ust_field_integer(uint64_t, bytes, bytes)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, write_to_client_start,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, write_to_client_end,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id, int64_t, bytes_written),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
        lttng_ust_field_integer(int64_t, bytes_written, bytes_written)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, free_client,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, accept_connection,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id, const char *, peer_ip,
                      int, peer_port, int, local_port, int, kind),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
        lttng_ust_field_string(peer_ip, peer_ip)
        lttng_ust_field_integer(int32_t, peer_port, peer_port)
        lttng_ust_field_integer(int32_t, local_port, local_port)
        lttng_ust_field_enum(redis, conn_kind, uint8_t, kind, kind)
    )
)

/* Defined in every build so the vocabulary does not depend on BUILD_TLS;
 * only tls.c calls it. */
LTTNG_UST_TRACEPOINT_EVENT(redis, ssl_read,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, bytes_asked, int, bytes_got,
                      int, bytes_pending),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, bytes_asked, bytes_asked)
        lttng_ust_field_integer(int32_t, bytes_got, bytes_got)
        lttng_ust_field_integer(int32_t, bytes_pending, bytes_pending)
    )
)

/* ---- event loop (ae.c) ---- */

LTTNG_UST_TRACEPOINT_EVENT(redis, add_file_event,
    LTTNG_UST_TP_ARGS(int, fd, int, mask),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(int32_t, mask, mask)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, delete_file_event,
    LTTNG_UST_TP_ARGS(int, fd, int, mask),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(int32_t, mask, mask)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, before_sleep_start,
    LTTNG_UST_TP_ARGS(),
    LTTNG_UST_TP_FIELDS()
)

LTTNG_UST_TRACEPOINT_EVENT(redis, before_sleep_end,
    LTTNG_UST_TP_ARGS(),
    LTTNG_UST_TP_FIELDS()
)

LTTNG_UST_TRACEPOINT_EVENT(redis, after_sleep,
    LTTNG_UST_TP_ARGS(int, fired_events),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fired_events, fired_events)
    )
)

/* ---- threaded I/O (networking.c) ---- */

LTTNG_UST_TRACEPOINT_EVENT(redis, handle_pending_reads_start,
    LTTNG_UST_TP_ARGS(int, count),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, count, count)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, handle_pending_reads_end,
    LTTNG_UST_TP_ARGS(int, count),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, count, count)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, handle_pending_writes_start,
    LTTNG_UST_TP_ARGS(int, count),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, count, count)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, handle_pending_writes_end,
    LTTNG_UST_TP_ARGS(int, count),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, count, count)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, io_thread_assign,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id, int, thread_index, int, op),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
        lttng_ust_field_integer(int32_t, thread_index, thread_index)
        lttng_ust_field_enum(redis, io_op, uint8_t, op, op)
    )
)

/* ---- cluster bus and pub/sub (cluster.c, pubsub.c) ----
 * Node names are 40 characters without a terminating NUL, hence arrays. */

LTTNG_UST_TRACEPOINT_EVENT(redis, cluster_send,
    LTTNG_UST_TP_ARGS(const char *, peer_node, int, msg_type, uint64_t, bytes),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_array_text(char, peer_node, peer_node, 40)
        lttng_ust_field_enum(redis, cluster_msg_type, uint16_t, msg_type, msg_type)
        lttng_ust_field_integer(uint64_t, bytes, bytes)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, cluster_read,
    LTTNG_UST_TP_ARGS(const char *, peer_node, uint64_t, bytes),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_array_text(char, peer_node, peer_node, 40)
        lttng_ust_field_integer(uint64_t, bytes, bytes)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, cluster_process_packet,
    LTTNG_UST_TP_ARGS(int, msg_type, uint32_t, total_len, const char *, sender),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_enum(redis, cluster_msg_type, uint16_t, msg_type, msg_type)
        lttng_ust_field_integer(uint32_t, total_len, total_len)
        lttng_ust_field_array_text(char, sender, sender, 40)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, publish_propagate,
    LTTNG_UST_TP_ARGS(const char *, channel, uint32_t, nodes, uint64_t, bytes),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_string(channel, channel)
        lttng_ust_field_integer(uint32_t, nodes, nodes)
        lttng_ust_field_integer(uint64_t, bytes, bytes)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, pubsub_deliver,
    LTTNG_UST_TP_ARGS(const char *, channel, int, receivers),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_string(channel, channel)
        lttng_ust_field_integer(int32_t, receivers, receivers)
    )
)

/* ---- light profile: at most two events per request ----
 * Times are CLOCK_MONOTONIC nanoseconds, the clock LTTng-UST stamps events
 * with, so they compare directly with event timestamps. 0 means "not taken"
 * (the event was enabled after that point of the request). */

LTTNG_UST_TRACEPOINT_EVENT(redis, request,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id, const char *, cmd, int, argc,
                      uint64_t, read_start_ns, uint64_t, read_end_ns,
                      uint64_t, exec_start_ns, uint64_t, exec_end_ns),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
        lttng_ust_field_string(cmd, cmd)
        lttng_ust_field_integer(int32_t, argc, argc)
        lttng_ust_field_integer(uint64_t, read_start_ns, read_start_ns)
        lttng_ust_field_integer(uint64_t, read_end_ns, read_end_ns)
        lttng_ust_field_integer(uint64_t, exec_start_ns, exec_start_ns)
        lttng_ust_field_integer(uint64_t, exec_end_ns, exec_end_ns)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(redis, reply_written,
    LTTNG_UST_TP_ARGS(int, fd, uint64_t, client_id, int64_t, bytes,
                      uint64_t, write_start_ns, uint64_t, write_end_ns),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer(uint64_t, client_id, client_id)
        lttng_ust_field_integer(int64_t, bytes, bytes)
        lttng_ust_field_integer(uint64_t, write_start_ns, write_start_ns)
        lttng_ust_field_integer(uint64_t, write_end_ns, write_end_ns)
    )
)

#endif /* REDIS_TP_H */

#include <lttng/tracepoint-event.h>
