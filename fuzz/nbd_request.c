/*
 * Fuzzes nbd-fault's request parsing and validation: a stream of
 * requests, with structured replies and base:allocation negotiated, on a
 * 1 MiB memory export.
 */
#include "nbd-harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	run_connection(data, size, true);
	return 0;
}
