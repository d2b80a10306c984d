/*
 * Instantiates the "redis" provider declared in redis_tp.h. The provider is
 * linked statically into redis-server, so this one object both creates the
 * probes and defines the tracepoint structures the call sites test.
 *
 * LTTng's generated code uses GNU extensions; Redis builds with -pedantic.
 */
#pragma GCC diagnostic ignored "-Wpedantic"

#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "redis_tp.h"
