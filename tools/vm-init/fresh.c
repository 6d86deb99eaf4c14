#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fresh.h"

int
fresh_clock(const struct timespec *now, long long *moved_ms)
{
	struct timespec before;

	if (clock_gettime(CLOCK_REALTIME, &before) < 0)
		return -1;
	if (clock_settime(CLOCK_REALTIME, now) < 0)
		return -1;
	*moved_ms = ((long long)now->tv_sec - before.tv_sec) * 1000 +
	    (now->tv_nsec - before.tv_nsec) / 1000000;
	return 0;
}

int
fresh_entropy(const unsigned char *bytes, size_t len)
{
	struct rand_pool_info *info;
	int fd, r = -1, e;

	if ((info = malloc(sizeof(*info) + len)) == NULL)
		return -1;
	info->entropy_count = (int)(len * 8);
	info->buf_size = (int)len;
	memcpy(info->buf, bytes, len);
	/*
	 * RNDADDENTROPY mixes the bytes in and credits them; RNDRESEEDCRNG
	 * then makes the CRNG take its next key from the pool now, rather
	 * than at its next scheduled reseed (up to a minute later), which
	 * would leave every restore of one snapshot drawing the same bytes
	 * until then.  Both need CAP_SYS_ADMIN, which PID 1 has.
	 */
	if ((fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC)) >= 0) {
		if (ioctl(fd, RNDADDENTROPY, info) == 0 &&
		    ioctl(fd, RNDRESEEDCRNG) == 0)
			r = 0;
		e = errno;
		close(fd);
		errno = e;
	}
	explicit_bzero(info, sizeof(*info) + len);
	free(info);
	return r;
}
