/*
 * Tracepoint provider `redtrace_test` for the real-LTTng integration test.
 * Fields are expressions of the arguments, so one call fills many fields.
 * lttng_ust_field_* are LTTng-UST 2.13's names for the ctf_* macros.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER redtrace_test

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./tp.h"

#if !defined(REDTRACE_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define REDTRACE_TP_H

#include <lttng/tracepoint.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Overlapping ranges and gaps: babeltrace2 lists every matching label, or <unknown>. */
LTTNG_UST_TRACEPOINT_ENUM(redtrace_test, signed_enum,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("ZERO", 0)
		lttng_ust_field_enum_value("ONE", 1)
		lttng_ust_field_enum_range("TWO_TO_FOUR", 2, 4)
		lttng_ust_field_enum_value("THREE", 3)
		lttng_ust_field_enum_range("NEGATIVE", -10, -1)
		lttng_ust_field_enum_range("BIG", 1000, 2000)
	)
)

LTTNG_UST_TRACEPOINT_ENUM(redtrace_test, unsigned_enum,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("A", 0)
		lttng_ust_field_enum_auto("B_AUTO")
		lttng_ust_field_enum_range("HIGH", 200, 255)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(redtrace_test, ints,
	LTTNG_UST_TP_ARGS(int64_t, i, uint64_t, u),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int8_t, s8, (int8_t)i)
		lttng_ust_field_integer(uint8_t, u8, (uint8_t)u)
		lttng_ust_field_integer(int16_t, s16, (int16_t)i)
		lttng_ust_field_integer(uint16_t, u16, (uint16_t)u)
		lttng_ust_field_integer(int32_t, s32, (int32_t)i)
		lttng_ust_field_integer(uint32_t, u32, (uint32_t)u)
		lttng_ust_field_integer(int64_t, s64, i)
		lttng_ust_field_integer(uint64_t, u64, u)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(redtrace_test, hex,
	LTTNG_UST_TP_ARGS(int64_t, i, uint64_t, u),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer_hex(uint8_t, hx8, (uint8_t)u)
		lttng_ust_field_integer_hex(int16_t, hxs16, (int16_t)i)
		lttng_ust_field_integer_hex(uint32_t, hx32, (uint32_t)u)
		lttng_ust_field_integer_hex(int64_t, hxs64, i)
		lttng_ust_field_integer_hex(uint64_t, hx64, u)
		lttng_ust_field_integer_network(int32_t, n32, (int32_t)i)
		lttng_ust_field_integer_network(uint16_t, nu16, (uint16_t)u)
		lttng_ust_field_integer_network(int64_t, n64, i)
		lttng_ust_field_integer_network_hex(uint32_t, nh32, (uint32_t)u)
		lttng_ust_field_integer_network_hex(uint64_t, nh64, u)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(redtrace_test, floats,
	LTTNG_UST_TP_ARGS(float, f, double, d),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_float(float, f32, f)
		lttng_ust_field_float(double, f64, d)
		lttng_ust_field_float(double, neg64, -d)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(redtrace_test, strings,
	LTTNG_UST_TP_ARGS(const char *, s, int, n),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(str, s)
		/* *_len fields prove a string empty (see the test's note on babeltrace2 2.0.4). */
		lttng_ust_field_integer(size_t, str_len, strlen(s))
		lttng_ust_field_integer(int, n, n)
		lttng_ust_field_string(fixed, "const \"x\"")
	)
)

LTTNG_UST_TRACEPOINT_EVENT(redtrace_test, arrays,
	LTTNG_UST_TP_ARGS(const int32_t *, a, const uint8_t *, bytes, const char *, text,
		const int16_t *, seq, size_t, seqlen, const char *, stext, unsigned int, stextlen),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_array(int32_t, a32, a, 3)
		lttng_ust_field_array(uint8_t, a8, bytes, 4)
		lttng_ust_field_array_hex(uint8_t, ahex, bytes, 2)
		lttng_ust_field_array_network(uint16_t, anet, (const uint16_t *)bytes, 2)
		lttng_ust_field_array_text(char, atext, text, 8)
		lttng_ust_field_integer(size_t, atext_len, strnlen(text, 8))
		lttng_ust_field_sequence(int16_t, seq, seq, size_t, seqlen)
		lttng_ust_field_sequence_hex(int16_t, seqhex, seq, size_t, seqlen)
		lttng_ust_field_sequence_text(char, stext, stext, unsigned int, stextlen)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(redtrace_test, enums,
	LTTNG_UST_TP_ARGS(int, e, unsigned int, u),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_enum(redtrace_test, signed_enum, int, se, e)
		lttng_ust_field_enum(redtrace_test, unsigned_enum, uint8_t, ue, (uint8_t)u)
		lttng_ust_field_enum(redtrace_test, signed_enum, int64_t, se64, (int64_t)e * 1000)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(redtrace_test, empty,
	LTTNG_UST_TP_ARGS(),
	LTTNG_UST_TP_FIELDS()
)

#endif /* REDTRACE_TP_H */

#include <lttng/tracepoint-event.h>
