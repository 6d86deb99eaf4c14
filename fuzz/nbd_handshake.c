/*
 * Fuzzes nbd-fault's fixed-newstyle handshake: client flags and options
 * (INFO, GO, LIST, meta contexts, structured replies, unknown ones, bad
 * lengths and magics), then whatever requests follow.
 */
#include "nbd-harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	run_connection(data, size, false);
	return 0;
}
