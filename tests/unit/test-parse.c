#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/parse.h"
#include "check.h"

static bool
duration_is(const char *s, int64_t want)
{
	int64_t ms = -12345;

	return parse_duration_ms(s, &ms) == 0 && ms == want;
}

/* Whether s fails with errno err and leaves the result alone. */
static bool
duration_fails(const char *s, int err)
{
	int64_t ms = -12345;

	errno = 0;
	return parse_duration_ms(s, &ms) == -1 && errno == err &&
	    ms == -12345;
}

static bool
size_is(const char *s, uint64_t want)
{
	uint64_t bytes = 12345;

	return parse_size(s, &bytes) == 0 && bytes == want;
}

static bool
size_fails(const char *s, int err)
{
	uint64_t bytes = 12345;

	errno = 0;
	return parse_size(s, &bytes) == -1 && errno == err && bytes == 12345;
}

static bool
uint_is(const char *s, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t v = 12345;

	return parse_uint(s, min, max, &v) == 0 && v == want;
}

static bool
uint_fails(const char *s, uint64_t min, uint64_t max, int err)
{
	uint64_t v = 12345;

	errno = 0;
	return parse_uint(s, min, max, &v) == -1 && errno == err &&
	    v == 12345;
}

static int
formats_as(int64_t ms, const char *want)
{
	char buf[32];
	int64_t back = -1;

	format_duration_ms(ms, buf, sizeof(buf));
	return strcmp(buf, want) == 0 && parse_duration_ms(buf, &back) == 0 &&
	    back == ms;
}

int
main(void)
{
	/* Durations: units, and seconds without one. */
	CHECK(duration_is("500ms", 500));
	CHECK(duration_is("5s", 5000));
	CHECK(duration_is("2m", 120000));
	CHECK(duration_is("1h", 3600000));
	CHECK(duration_is("1.5s", 1500));
	CHECK(duration_is("0.25", 250));
	CHECK(duration_is("0", 0));
	CHECK(duration_is("0ms", 0));
	CHECK(duration_is("0h", 0));
	CHECK(duration_is("10", 10000));
	CHECK(duration_is("007s", 7000));
	CHECK(duration_is("0.1m", 6000));
	CHECK(duration_is("0.01h", 36000));
	CHECK(duration_is("1.5m", 90000));

	/* A part of a millisecond rounds up; only exact zero is 0. */
	CHECK(duration_is("0.0001s", 1));
	CHECK(duration_is("0.0001", 1));
	CHECK(duration_is("0.5ms", 1));
	CHECK(duration_is("1.5ms", 2));
	CHECK(duration_is("1.0001ms", 2));
	CHECK(duration_is("0.001s", 1));
	CHECK(duration_is("0.0011s", 2));
	CHECK(duration_is("1.23456789h", 4444445));
	CHECK(duration_is("0.000000000000000000000000000001h", 1));
	CHECK(duration_is("1.000000000000000000000000000001s", 1001));
	CHECK(duration_is("0.000s", 0));
	CHECK(duration_is("0.0", 0));
	CHECK(duration_is("0.0000000000000000000000000000000ms", 0));
	CHECK(duration_is("2.5000000000000000000000000000000s", 2500));

	/* The int64 millisecond boundary, in every unit. */
	CHECK(duration_is("9223372036854775807ms", INT64_MAX));
	CHECK(duration_is("09223372036854775807ms", INT64_MAX));
	CHECK(duration_is("9223372036854775806.5ms", INT64_MAX));
	CHECK(duration_is("9223372036854775.807s", INT64_MAX));
	CHECK(duration_is("9223372036854775s", 9223372036854775000));
	CHECK(duration_is("153722867280912m", 9223372036854720000));
	CHECK(duration_is("2562047788015h", 9223372036854000000));
	CHECK(duration_fails("9223372036854775808ms", ERANGE));
	CHECK(duration_fails("9223372036854775807.1ms", ERANGE));
	CHECK(duration_fails("9223372036854775.8071s", ERANGE));
	CHECK(duration_fails("9223372036854775.808s", ERANGE));
	CHECK(duration_fails("9223372036854776s", ERANGE));
	CHECK(duration_fails("9223372036854776", ERANGE));
	CHECK(duration_fails("153722867280913m", ERANGE));
	CHECK(duration_fails("2562047788016h", ERANGE));
	CHECK(duration_fails("99999999999999999999999999ms", ERANGE));

	/* Malformed, even where the number would also be too large. */
	CHECK(duration_fails("", EINVAL));
	CHECK(duration_fails(" 5s", EINVAL));
	CHECK(duration_fails("5s ", EINVAL));
	CHECK(duration_fails("5 s", EINVAL));
	CHECK(duration_fails("\t5", EINVAL));
	CHECK(duration_fails("5\n", EINVAL));
	CHECK(duration_fails("+5s", EINVAL));
	CHECK(duration_fails("-5s", EINVAL));
	CHECK(duration_fails("-0", EINVAL));
	CHECK(duration_fails("s", EINVAL));
	CHECK(duration_fails("ms", EINVAL));
	CHECK(duration_fails("h", EINVAL));
	CHECK(duration_fails("5x", EINVAL));
	CHECK(duration_fails("5sec", EINVAL));
	CHECK(duration_fails("5S", EINVAL));
	CHECK(duration_fails("5MS", EINVAL));
	CHECK(duration_fails("5d", EINVAL));
	CHECK(duration_fails("5us", EINVAL));
	CHECK(duration_fails("5mss", EINVAL));
	CHECK(duration_fails("5ms5", EINVAL));
	CHECK(duration_fails("5sm", EINVAL));
	CHECK(duration_fails("1.", EINVAL));
	CHECK(duration_fails("1.s", EINVAL));
	CHECK(duration_fails(".5", EINVAL));
	CHECK(duration_fails(".5s", EINVAL));
	CHECK(duration_fails(".", EINVAL));
	CHECK(duration_fails("1..5", EINVAL));
	CHECK(duration_fails("1.5.5", EINVAL));
	CHECK(duration_fails("1,5s", EINVAL));
	CHECK(duration_fails("5e3", EINVAL));
	CHECK(duration_fails("0x10", EINVAL));
	CHECK(duration_fails("inf", EINVAL));
	CHECK(duration_fails("99999999999999999999999999x", EINVAL));

	/* Sizes: every suffix spelling. */
	CHECK(size_is("0", 0));
	CHECK(size_is("1", 1));
	CHECK(size_is("512B", 512));
	CHECK(size_is("512b", 512));
	CHECK(size_is("0K", 0));
	CHECK(size_is("1K", 1024));
	CHECK(size_is("1k", 1024));
	CHECK(size_is("1KB", 1024));
	CHECK(size_is("1KiB", 1024));
	CHECK(size_is("1kib", 1024));
	CHECK(size_is("1M", 1ULL << 20));
	CHECK(size_is("8G", 8ULL << 30));
	CHECK(size_is("8g", 8ULL << 30));
	CHECK(size_is("8GiB", 8ULL << 30));
	CHECK(size_is("8GB", 8ULL << 30));
	CHECK(size_is("8gb", 8ULL << 30));
	CHECK(size_is("8GIB", 8ULL << 30));
	CHECK(size_is("8gIb", 8ULL << 30));
	CHECK(size_is("3T", 3ULL << 40));
	CHECK(size_is("3PiB", 3ULL << 50));
	CHECK(size_is("1E", 1ULL << 60));
	CHECK(size_is("0010m", 10ULL << 20));

	/* The uint64 boundary. */
	CHECK(size_is("15E", 15ULL << 60));
	CHECK(size_fails("16E", ERANGE));
	CHECK(size_fails("16EiB", ERANGE));
	CHECK(size_is("18446744073709551615", UINT64_MAX));
	CHECK(size_is("18446744073709551615B", UINT64_MAX));
	CHECK(size_fails("18446744073709551616", ERANGE));
	CHECK(size_is("17179869183G", 17179869183ULL << 30));
	CHECK(size_fails("17179869184G", ERANGE));
	CHECK(size_is("16383P", 16383ULL << 50));
	CHECK(size_fails("16384P", ERANGE));
	CHECK(size_fails("99999999999999999999999999K", ERANGE));

	/* Malformed. */
	CHECK(size_fails("", EINVAL));
	CHECK(size_fails(" 1", EINVAL));
	CHECK(size_fails("1 ", EINVAL));
	CHECK(size_fails("1 G", EINVAL));
	CHECK(size_fails("+1", EINVAL));
	CHECK(size_fails("-1", EINVAL));
	CHECK(size_fails("1.5G", EINVAL));
	CHECK(size_fails("1.0", EINVAL));
	CHECK(size_fails("B", EINVAL));
	CHECK(size_fails("G", EINVAL));
	CHECK(size_fails("KiB", EINVAL));
	CHECK(size_fails("1X", EINVAL));
	CHECK(size_fails("1Z", EINVAL));
	CHECK(size_fails("1iB", EINVAL));
	CHECK(size_fails("1BB", EINVAL));
	CHECK(size_fails("1Ki", EINVAL));
	CHECK(size_fails("1KiBB", EINVAL));
	CHECK(size_fails("1KB2", EINVAL));
	CHECK(size_fails("1KK", EINVAL));
	CHECK(size_fails("1bytes", EINVAL));
	CHECK(size_fails("1e3", EINVAL));
	CHECK(size_fails("0x10", EINVAL));
	CHECK(size_fails("99999999999999999999999999X", EINVAL));

	/* Numbers: digits only, both ends of the range included. */
	CHECK(uint_is("0", 0, UINT64_MAX, 0));
	CHECK(uint_is("7", 0, 10, 7));
	CHECK(uint_is("007", 0, 10, 7));
	CHECK(uint_is("1", 1, 255, 1));
	CHECK(uint_is("255", 1, 255, 255));
	CHECK(uint_is("18446744073709551615", 0, UINT64_MAX, UINT64_MAX));
	CHECK(uint_is("0018446744073709551615", 0, UINT64_MAX, UINT64_MAX));
	CHECK(uint_is("5", 5, 5, 5));
	CHECK(uint_fails("0", 1, 255, ERANGE));
	CHECK(uint_fails("256", 1, 255, ERANGE));
	CHECK(uint_fails("4", 5, 5, ERANGE));
	CHECK(uint_fails("6", 5, 5, ERANGE));
	/* A maximum below 9, where a digit alone is already too much. */
	CHECK(uint_is("0", 0, 0, 0));
	CHECK(uint_is("05", 0, 5, 5));
	CHECK(uint_fails("9", 0, 0, ERANGE));
	CHECK(uint_fails("9", 0, 8, ERANGE));
	CHECK(uint_fails("10", 0, 5, ERANGE));
	CHECK(uint_fails("18446744073709551616", 0, UINT64_MAX, ERANGE));
	CHECK(uint_fails("99999999999999999999999999", 0, 10, ERANGE));
	CHECK(uint_fails("99999999999999999999999999", 0, UINT64_MAX, ERANGE));

	/* Malformed before out of range; no sign, blank or suffix. */
	CHECK(uint_fails("", 0, 10, EINVAL));
	CHECK(uint_fails(" 1", 0, 10, EINVAL));
	CHECK(uint_fails("1 ", 0, 10, EINVAL));
	CHECK(uint_fails("\t1", 0, 10, EINVAL));
	CHECK(uint_fails("1\n", 0, 10, EINVAL));
	CHECK(uint_fails("+1", 0, 10, EINVAL));
	CHECK(uint_fails("-1", 0, 10, EINVAL));
	CHECK(uint_fails("-0", 0, 10, EINVAL));
	CHECK(uint_fails("1K", 0, UINT64_MAX, EINVAL));
	CHECK(uint_fails("1B", 0, UINT64_MAX, EINVAL));
	CHECK(uint_fails("1.0", 0, 10, EINVAL));
	CHECK(uint_fails("1e3", 0, UINT64_MAX, EINVAL));
	CHECK(uint_fails("0x10", 0, UINT64_MAX, EINVAL));
	CHECK(uint_fails("99999999999999999999999999x", 0, 10, EINVAL));

	/* Formatting is exact, shortest, and parses back to the same value. */
	CHECK(formats_as(0, "0s"));
	CHECK(formats_as(300, "300ms"));
	CHECK(formats_as(1000, "1s"));
	CHECK(formats_as(1500, "1.5s"));
	CHECK(formats_as(1050, "1.05s"));
	CHECK(formats_as(10001, "10.001s"));
	CHECK(formats_as(120000, "2m"));
	CHECK(formats_as(90000, "90s"));
	CHECK(formats_as(7200000, "2h"));

	return check_result();
}
