/*
 * Fuzzes qemu-launch's config reader: any bytes as a vmtest.ini, read
 * through the real file path (a memfd seen through /proc/self/fd), with
 * the checks the reader itself makes on every target.  The reader
 * prints each problem on stderr: noisy, but silencing stderr would hide
 * the sanitizers' reports too.
 */
#include <sys/mman.h>

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
	char path[64];
	int fd;

	fd = memfd_create("vmtest.ini", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_read(&c, path);
	config_free(&c);
	close(fd);
	return 0;
}
