/*
 * LTTng-UST 2.13 tracepoint provider "nodejs": the agent's events, when they
 * go through LTTng (redtrace record) instead of the agent's own CTF writer.
 * Same names and fields as src/agent/events.ts (a test compares them).
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER nodejs

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./nodejs_tp.h"

#if !defined(NODEJS_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define NODEJS_TP_H

#include <stdint.h>
#include <lttng/tracepoint.h>

#ifndef NODEJS_CONN_DEFINED
#define NODEJS_CONN_DEFINED
/* The TCP connection of an event: 4-tuple and file descriptor (a struct, as tracepoints take at most 10 arguments). */
struct nodejs_conn {
    const char *local_addr;
    uint16_t local_port;
    const char *remote_addr;
    uint16_t remote_port;
    int32_t fd;
};
#endif

#define NODEJS_CONN_ARGS const struct nodejs_conn *, conn
#define NODEJS_CONN_FIELDS \
    lttng_ust_field_string(local_addr, conn->local_addr) \
    lttng_ust_field_integer(uint16_t, local_port, conn->local_port) \
    lttng_ust_field_string(remote_addr, conn->remote_addr) \
    lttng_ust_field_integer(uint16_t, remote_port, conn->remote_port) \
    lttng_ust_field_integer(int32_t, fd, conn->fd)

LTTNG_UST_TRACEPOINT_EVENT(nodejs, process_start,
    LTTNG_UST_TP_ARGS(const char *, service, uint32_t, pid, const char *, node_version),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_string(service, service)
        lttng_ust_field_integer(uint32_t, pid, pid)
        lttng_ust_field_string(node_version, node_version)))

LTTNG_UST_TRACEPOINT_EVENT(nodejs, http_server_receive,
    LTTNG_UST_TP_ARGS(uint64_t, request_id, const char *, method, const char *, path, NODEJS_CONN_ARGS),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, request_id, request_id)
        lttng_ust_field_string(method, method)
        lttng_ust_field_string(path, path)
        NODEJS_CONN_FIELDS))

LTTNG_UST_TRACEPOINT_EVENT(nodejs, http_server_response,
    LTTNG_UST_TP_ARGS(uint64_t, request_id, uint16_t, status, uint64_t, bytes),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, request_id, request_id)
        lttng_ust_field_integer(uint16_t, status, status)
        lttng_ust_field_integer(uint64_t, bytes, bytes)))

LTTNG_UST_TRACEPOINT_EVENT(nodejs, http_client_request,
    LTTNG_UST_TP_ARGS(uint64_t, request_id, uint64_t, parent_id, const char *, method, const char *, host, uint16_t, port, const char *, path),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, request_id, request_id)
        lttng_ust_field_integer(uint64_t, parent_id, parent_id)
        lttng_ust_field_string(method, method)
        lttng_ust_field_string(host, host)
        lttng_ust_field_integer(uint16_t, port, port)
        lttng_ust_field_string(path, path)))

LTTNG_UST_TRACEPOINT_EVENT(nodejs, http_client_response,
    LTTNG_UST_TP_ARGS(uint64_t, request_id, uint16_t, status, uint64_t, bytes, NODEJS_CONN_ARGS),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, request_id, request_id)
        lttng_ust_field_integer(uint16_t, status, status)
        lttng_ust_field_integer(uint64_t, bytes, bytes)
        NODEJS_CONN_FIELDS))

LTTNG_UST_TRACEPOINT_EVENT(nodejs, redis_command_send,
    LTTNG_UST_TP_ARGS(uint64_t, command_id, uint64_t, parent_id, const char *, cmd, uint32_t, argc, uint32_t, bytes, uint32_t, pipeline_pos, uint64_t, seq, NODEJS_CONN_ARGS),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, command_id, command_id)
        lttng_ust_field_integer(uint64_t, parent_id, parent_id)
        lttng_ust_field_string(cmd, cmd)
        lttng_ust_field_integer(uint32_t, argc, argc)
        lttng_ust_field_integer(uint32_t, bytes, bytes)
        lttng_ust_field_integer(uint32_t, pipeline_pos, pipeline_pos)
        lttng_ust_field_integer(uint64_t, seq, seq)
        NODEJS_CONN_FIELDS))

LTTNG_UST_TRACEPOINT_EVENT(nodejs, redis_command_reply,
    LTTNG_UST_TP_ARGS(uint64_t, command_id, uint8_t, ok, const char *, redirect, uint32_t, bytes, uint64_t, seq, uint16_t, local_port, int32_t, fd),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, command_id, command_id)
        lttng_ust_field_integer(uint8_t, ok, ok)
        lttng_ust_field_string(redirect, redirect)
        lttng_ust_field_integer(uint32_t, bytes, bytes)
        lttng_ust_field_integer(uint64_t, seq, seq)
        lttng_ust_field_integer(uint16_t, local_port, local_port)
        lttng_ust_field_integer(int32_t, fd, fd)))

LTTNG_UST_TRACEPOINT_EVENT(nodejs, redis_push,
    LTTNG_UST_TP_ARGS(const char *, kind, const char *, channel, uint32_t, bytes, uint16_t, local_port, int32_t, fd),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_string(kind, kind)
        lttng_ust_field_string(channel, channel)
        lttng_ust_field_integer(uint32_t, bytes, bytes)
        lttng_ust_field_integer(uint16_t, local_port, local_port)
        lttng_ust_field_integer(int32_t, fd, fd)))

LTTNG_UST_TRACEPOINT_EVENT(nodejs, event_loop_delay,
    LTTNG_UST_TP_ARGS(uint64_t, interval_ns, uint64_t, p50_ns, uint64_t, p99_ns, uint64_t, max_ns, double, mean_ns),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, interval_ns, interval_ns)
        lttng_ust_field_integer(uint64_t, p50_ns, p50_ns)
        lttng_ust_field_integer(uint64_t, p99_ns, p99_ns)
        lttng_ust_field_integer(uint64_t, max_ns, max_ns)
        lttng_ust_field_float(double, mean_ns, mean_ns)))

LTTNG_UST_TRACEPOINT_EVENT(nodejs, gc,
    LTTNG_UST_TP_ARGS(const char *, kind, uint64_t, duration_ns),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_string(kind, kind)
        lttng_ust_field_integer(uint64_t, duration_ns, duration_ns)))

#endif /* NODEJS_TP_H */

#include <lttng/tracepoint-event.h>
