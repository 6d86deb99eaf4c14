/*
 * Fuzzes qemu-launch's reader of what toml-targets.py prints for a
 * vmtest.toml: any bytes as python3's JSON lines, judged and fed to the
 * targets as config_toml_read() does once python3 has answered, then
 * each mounts value split as target_resolve() would, without its look
 * at the file system.  The reader prints each problem on stderr.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/qemu-launch/configtoml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c = { 0 };
	char *host, *guest;
	bool writable;
	size_t i, k;

	c.path = "fuzz.toml";
	c.dir = strdup("/");
	if (c.dir == NULL)
		abort();
	config_toml_feed(&c, (const char *)data, size);
	for (i = 0; i < c.n; i++) {
		for (k = 0; k < c.targets[i].nmounts; k++) {
			mount_spec_parse(c.targets[i].mounts[k].value, &host,
			    &guest, &writable);
			free(host);
			free(guest);
		}
	}
	config_free(&c);
	return 0;
}
