#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "readfile.h"
#include "xalloc.h"

/* Opens path for reading and insists on a regular file. */
static int
open_regular(const char *path, struct stat *st)
{
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, st) < 0)
		goto fail;
	if (S_ISDIR(st->st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
read_whole(const char *path, size_t limit, unsigned char **data, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t size, got = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open_regular(path, &st)) < 0)
		return -1;
	if ((uintmax_t)st.st_size > limit) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	size = (size_t)st.st_size;
	/* One byte more: an empty file still gets a buffer of its own. */
	buf = xmalloc(size + 1);
	/* A file that shrinks while read is read as far as it goes. */
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
}

int
map_whole(const char *path, const unsigned char **data, size_t *len)
{
	static const unsigned char empty[1];
	struct stat st;
	void *p;
	int fd, saved;

	if ((fd = open_regular(path, &st)) < 0)
		return -1;
	if (st.st_size == 0) {
		close(fd);
		*data = empty;
		*len = 0;
		return 0;
	}
	if ((uintmax_t)st.st_size > SIZE_MAX) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	saved = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = saved;
		return -1;
	}
	*data = p;
	*len = (size_t)st.st_size;
	return 0;
}

void
unmap_whole(const unsigned char *data, size_t len)
{
	if (len > 0)
		munmap((void *)data, len);
}
