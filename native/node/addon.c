/*
 * N-API addon: the agent's events through LTTng-UST (provider "nodejs"), so
 * Node.js and Redis events land in one session. emit(id, values) takes the
 * event's index in `names` (the agent checks the order against its own
 * table at load) and its field values in declaration order.
 */
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include "nodejs_tp.h"

static const char *const NAMES[] = {
    "process_start", "http_server_receive", "http_server_response", "http_client_request",
    "http_client_response", "redis_command_send", "redis_command_reply", "redis_push",
    "event_loop_delay", "gc",
};
#define NEVENTS (sizeof(NAMES) / sizeof(NAMES[0]))
#define MAXV 16
#define STRMAX 4096

typedef struct {
    double num[MAXV];
    char str[MAXV][STRMAX];
} values_t;

/* Reads the array into numbers and strings (each slot holds whichever the value is). */
static int read_values(napi_env env, napi_value arr, values_t *v, uint32_t *n) {
    if (napi_get_array_length(env, arr, n) != napi_ok || *n > MAXV) return -1;
    for (uint32_t i = 0; i < *n; i++) {
        napi_value x;
        napi_valuetype t;
        if (napi_get_element(env, arr, i, &x) != napi_ok || napi_typeof(env, x, &t) != napi_ok) return -1;
        v->str[i][0] = '\0';
        v->num[i] = 0;
        if (t == napi_string) {
            size_t len;
            napi_get_value_string_utf8(env, x, v->str[i], STRMAX, &len);
        } else if (t == napi_number) {
            napi_get_value_double(env, x, &v->num[i]);
        }
    }
    return 0;
}

static __thread values_t vals;

#define S(i) vals.str[i]
#define U64(i) ((uint64_t)vals.num[i])
#define U32(i) ((uint32_t)vals.num[i])
#define U16(i) ((uint16_t)vals.num[i])
#define I32(i) ((int32_t)vals.num[i])
#define CONN(i) (conn_at(&c, i), &c)

static void conn_at(struct nodejs_conn *c, int i) {
    c->local_addr = S(i);
    c->local_port = U16(i + 1);
    c->remote_addr = S(i + 2);
    c->remote_port = U16(i + 3);
    c->fd = I32(i + 4);
}

static napi_value emit(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2];
    uint32_t id, n;
    struct nodejs_conn c;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return NULL;
    if (napi_get_value_uint32(env, argv[0], &id) != napi_ok || id >= NEVENTS) return NULL;
    if (read_values(env, argv[1], &vals, &n) != 0) return NULL;
    switch (id) {
    case 0: lttng_ust_tracepoint(nodejs, process_start, S(0), U32(1), S(2)); break;
    case 1: lttng_ust_tracepoint(nodejs, http_server_receive, U64(0), S(1), S(2), CONN(3)); break;
    case 2: lttng_ust_tracepoint(nodejs, http_server_response, U64(0), U16(1), U64(2)); break;
    case 3: lttng_ust_tracepoint(nodejs, http_client_request, U64(0), U64(1), S(2), S(3), U16(4), S(5)); break;
    case 4: lttng_ust_tracepoint(nodejs, http_client_response, U64(0), U16(1), U64(2), CONN(3)); break;
    case 5: lttng_ust_tracepoint(nodejs, redis_command_send, U64(0), U64(1), S(2), U32(3), U32(4), U32(5), U64(6), CONN(7)); break;
    case 6: lttng_ust_tracepoint(nodejs, redis_command_reply, U64(0), (uint8_t)vals.num[1], S(2), U32(3), U64(4), U16(5), I32(6)); break;
    case 7: lttng_ust_tracepoint(nodejs, redis_push, S(0), S(1), U32(2), U16(3), I32(4)); break;
    case 8: lttng_ust_tracepoint(nodejs, event_loop_delay, U64(0), U64(1), U64(2), U64(3), vals.num[4]); break;
    case 9: lttng_ust_tracepoint(nodejs, gc, S(0), U64(1)); break;
    }
    return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
    napi_value fn, names, s;
    napi_create_function(env, "emit", NAPI_AUTO_LENGTH, emit, NULL, &fn);
    napi_set_named_property(env, exports, "emit", fn);
    napi_create_array_with_length(env, NEVENTS, &names);
    for (uint32_t i = 0; i < NEVENTS; i++) {
        napi_create_string_utf8(env, NAMES[i], NAPI_AUTO_LENGTH, &s);
        napi_set_element(env, names, i, s);
    }
    napi_set_named_property(env, exports, "names", names);
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
