/*
 * redtrace-tp-app ITERATIONS THREADS: each thread, pinned to CPU (index %
 * CPUs) so per-CPU streams all get events, emits EVENTS_PER_ITERATION
 * redtrace_test events per iteration, cycling through edge-case values.
 * Prints "events N" (the total emitted) on stdout at the end.
 */
#define _GNU_SOURCE
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tp.h"

#define EVENTS_PER_ITERATION 7
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const int64_t signed_values[] = {
	0, 1, -1, 127, -128, 255, -129, 32767, -32768, 65535, 2147483647, -2147483647 - 1,
	4294967295LL, INT64_MAX, INT64_MIN, 9007199254740993LL, -9007199254740993LL,
	1234567890123456789LL, -42,
};

static const uint64_t unsigned_values[] = {
	0, 1, 255, 256, 65535, 4294967295ULL, 9007199254740993ULL, 1ULL << 63,
	UINT64_MAX, 18446744073709551557ULL, 0xdeadbeefcafef00dULL,
};

static const float float_values[] = {
	0.0f, -0.0f, 1.5f, -2.25f, 0.1f, 3.14159274f, 1e-45f, FLT_MIN, FLT_MAX, -FLT_MAX,
	1e-5f, 123456.0f, 1234567.0f, 16777217.0f,
};

static const double double_values[] = {
	0.0, 1.0 / 3.0, -1e-300, 5e-324, DBL_MIN, DBL_MAX, 1e16, 1e17, 100000.0, 1000000.0,
	0.0001, 0.00001, 123456789.125, -0.5,
};

/* Only for the non-finite values: NAN and INFINITY are not constant in every libc. */
static double special_double(unsigned k)
{
	switch (k % 4) {
	case 0: return NAN;
	case 1: return -NAN;
	case 2: return INFINITY;
	default: return -INFINITY;
	}
}

static const char *const string_values[] = {
	"", "plain", "say \"hi\"", "back\\slash", "tab\there", "new\nline", "it's?",
	"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", "bell\a esc\x1b del\x7f", "raw \xff\xfe byte",
	"cr\r ff\f vt\v bs\b",
};

/* array_text stops at the first NUL; the last two fill all 8 bytes. */
static const char text_values[][8] = {
	"", "abc", "tab\tq\"", "12345678", "caf\xc3\xa9\\!",
};

static const int enum_values[] = { 0, 1, 2, 3, 4, 5, -1, -10, -11, 1000, 1500, 2001, 500 };
static const unsigned uenum_values[] = { 0, 1, 2, 199, 200, 255 };

struct worker {
	pthread_t thread;
	int index;
	unsigned long iterations;
};

static void emit(unsigned long k, int t)
{
	unsigned long j = k + (unsigned long)t * 3;
	int64_t i = signed_values[j % COUNT(signed_values)];
	uint64_t u = unsigned_values[j % COUNT(unsigned_values)];
	double d;
	int32_t a[3] = { (int32_t)i, -(int32_t)j, INT32_MIN };
	uint8_t bytes[4] = { (uint8_t)j, 0x80, 0xff, (uint8_t)(u >> 8) };
	int16_t seq[5] = { -1, (int16_t)j, 32767, -32768, 7 };
	const char *s = string_values[j % COUNT(string_values)];

	lttng_ust_tracepoint(redtrace_test, ints, j % 3 == 0 ? (int64_t)((uint64_t)i + j) : i, u);
	lttng_ust_tracepoint(redtrace_test, hex, i, u);
	d = j % 5 == 4 ? special_double(j / 5) : double_values[j % COUNT(double_values)];
	lttng_ust_tracepoint(redtrace_test, floats, float_values[j % COUNT(float_values)], d);
	lttng_ust_tracepoint(redtrace_test, strings, s, (int)j);
	lttng_ust_tracepoint(redtrace_test, arrays, a, bytes, text_values[j % COUNT(text_values)],
		seq, j % 6, s, (unsigned)strlen(s));
	lttng_ust_tracepoint(redtrace_test, enums, enum_values[j % COUNT(enum_values)],
		uenum_values[j % COUNT(uenum_values)]);
	lttng_ust_tracepoint(redtrace_test, empty);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	char name[16];
	unsigned long k;

	CPU_ZERO(&set);
	CPU_SET(w->index % (cpus > 0 ? cpus : 1), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	/* Distinct thread names show up in the procname context. */
	snprintf(name, sizeof(name), "worker-%d", w->index);
	pthread_setname_np(pthread_self(), name);
	for (k = 0; k < w->iterations; k++)
		emit(k, w->index);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long iterations;
	int threads, t;
	struct worker *workers;

	if (argc != 3) {
		fprintf(stderr, "usage: %s ITERATIONS THREADS\n", argv[0]);
		return 2;
	}
	iterations = strtoul(argv[1], NULL, 10);
	threads = atoi(argv[2]);
	if (threads < 1) threads = 1;
	workers = calloc((size_t)threads, sizeof(*workers));
	if (!workers) return 1;
	for (t = 0; t < threads; t++) {
		workers[t].index = t;
		workers[t].iterations = iterations;
		if (pthread_create(&workers[t].thread, NULL, work, &workers[t]) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	for (t = 0; t < threads; t++)
		pthread_join(workers[t].thread, NULL);
	printf("events %lu\n", iterations * (unsigned long)threads * EVENTS_PER_ITERATION);
	free(workers);
	return 0;
}
