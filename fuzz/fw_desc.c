/*
 * QEMU's firmware descriptors (fw_desc_parse): any *.json a user or a
 * package drops in a firmware directory is read, for every arch.  None
 * may crash the parse, and what it takes must be whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/qemu-launch/fwdesc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_desc d;
	char why[256];
	int a;

	for (a = 0; a < ARCH_COUNT; a++) {
		if (fw_desc_parse((const char *)data, size, (enum arch)a, &d,
		    why, sizeof(why)) < 0) {
			if (strlen(why) == 0 || d.code != NULL)
				abort();
			continue;
		}
		/* Absolute paths; a machine fits only within its arch. */
		if (d.code == NULL || d.code[0] != '/' ||
		    (d.vars != NULL && d.vars[0] != '/') ||
		    (d.for_machine && !d.for_arch))
			abort();
		fw_desc_free(&d);
	}
	return 0;
}
