/*
 * Fuzzes qemu-launch's config reader: any bytes as a vmtest.ini, read
 * through the real file path (a memfd seen through /proc/self/fd), with
 * the checks the reader itself makes on every target (section headers
 * and their names, bare or quoted), then each mounts value split as
 * target_resolve() would, without its look at the file system.  The
 * reader prints each problem on stderr: noisy, but silencing stderr
 * would hide the sanitizers' reports too.
 */
#include <sys/mman.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../tools/qemu-launch/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c = { 0 };
	char path[64], *host, *guest;
	bool writable;
	size_t i, k;
	int fd;

	fd = memfd_create("vmtest.ini", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_read(&c, path);
	for (i = 0; i < c.n; i++) {
		for (k = 0; k < c.targets[i].nmounts; k++) {
			mount_spec_parse(c.targets[i].mounts[k].value, &host,
			    &guest, &writable);
			free(host);
			free(guest);
		}
	}
	config_free(&c);
	close(fd);
	return 0;
}
