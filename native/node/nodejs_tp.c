/* Instantiates the "nodejs" provider of nodejs_tp.h inside the addon. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "nodejs_tp.h"
