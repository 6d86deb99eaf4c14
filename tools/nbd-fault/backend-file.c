/*
 * backend-file.c: a regular file or a block device.
 *
 * Every transfer is a pread or pwrite at an explicit offset, never the
 * shared file position, so connection threads need no lock; lseek's
 * SEEK_DATA and SEEK_HOLE move the position but return their own answer.
 * What the kernel or filesystem cannot do (RWF_DSYNC, ZERO_RANGE,
 * PUNCH_HOLE, SEEK_DATA) is remembered after the first refusal so that
 * later requests go straight to the fallback.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend-impl.h"
#include "xalloc.h"

struct file {
	struct backend b;
	int fd;
	bool blockdev;
	atomic_bool no_dsync;		/* pwritev2(RWF_DSYNC) refused */
	atomic_bool no_zero_range;	/* FALLOC_FL_ZERO_RANGE refused */
	atomic_bool no_punch;		/* FALLOC_FL_PUNCH_HOLE refused */
	atomic_bool no_seek_data;	/* SEEK_DATA refused */
};

/* What writing zeros by hand writes from, as the last fallback of zero. */
static const char zeros[64 * 1024];

/* A refusal meaning "not here", as opposed to a failure of the request. */
static bool
unsupported(int error)
{
	return error == EOPNOTSUPP || error == ENOTSUP || error == ENOSYS;
}

static int
file_read(struct backend *b, void *buf, uint64_t offset, size_t len)
{
	struct file *f = (struct file *)b;
	char *p = buf;

	while (len > 0) {
		ssize_t n = pread(f->fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		/* The file shrank under us since it was opened. */
		if (n == 0)
			return EIO;
		p += n;
		offset += n;
		len -= n;
	}
	return 0;
}

/*
 * pwrite, or pwritev2 with flags, until all of buf is written.  Returns 0,
 * an errno, or -1 when the kernel does not know the flags (before
 * anything was written with them).
 */
static int
write_all(int fd, const void *buf, size_t len, uint64_t offset, int flags)
{
	const char *p = buf;

	while (len > 0) {
		struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
		ssize_t n;

		if (flags != 0)
			n = pwritev2(fd, &iov, 1, (off_t)offset, flags);
		else
			n = pwrite(fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && flags != 0 && (unsupported(errno) ||
		    errno == EINVAL))
			return -1;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO;
		p += n;
		offset += n;
		len -= n;
	}
	return 0;
}

static int
file_flush(struct backend *b)
{
	struct file *f = (struct file *)b;

	return fdatasync(f->fd) == 0 ? 0 : errno;
}

/*
 * FUA: RWF_DSYNC makes just this write durable; where the kernel lacks it,
 * a write and then fdatasync, which flushes the whole file.  An EINVAL or
 * an unsupported error from pwritev2 can only be the flag, and a write that
 * failed with it has written nothing, so the fallback starts over.
 */
static int
file_write(struct backend *b, const void *buf, uint64_t offset, size_t len,
    bool fua)
{
	struct file *f = (struct file *)b;
	int error;

	if (fua && !atomic_load_explicit(&f->no_dsync, memory_order_relaxed)) {
		error = write_all(f->fd, buf, len, offset, RWF_DSYNC);
		if (error != -1)
			return error;
		atomic_store_explicit(&f->no_dsync, true, memory_order_relaxed);
	}
	if ((error = write_all(f->fd, buf, len, offset, 0)) != 0)
		return error;
	return fua ? file_flush(b) : 0;
}

/* fallocate with mode; 0, an errno, or -1 when mode is unsupported here. */
static int
file_fallocate(struct file *f, int mode, uint64_t offset, uint64_t len)
{
	int rc;

	do {
		rc = fallocate(f->fd, mode, (off_t)offset, (off_t)len);
	} while (rc == -1 && errno == EINTR);
	if (rc == 0)
		return 0;
	return unsupported(errno) ? -1 : errno;
}

static int
punch_hole(struct file *f, uint64_t offset, uint64_t len)
{
	int error;

	if (atomic_load_explicit(&f->no_punch, memory_order_relaxed))
		return -1;
	error = file_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    offset, len);
	if (error == -1)
		atomic_store_explicit(&f->no_punch, true, memory_order_relaxed);
	return error;
}

/* Trim is advisory: where holes cannot be punched, it does nothing. */
static int
file_trim(struct backend *b, uint64_t offset, uint64_t len)
{
	int error = punch_hole((struct file *)b, offset, len);

	return error == -1 ? 0 : error;
}

static int
file_zero(struct backend *b, uint64_t offset, uint64_t len, bool may_trim)
{
	struct file *f = (struct file *)b;
	int error;

	if (!atomic_load_explicit(&f->no_zero_range, memory_order_relaxed)) {
		error = file_fallocate(f, FALLOC_FL_ZERO_RANGE |
		    FALLOC_FL_KEEP_SIZE, offset, len);
		if (error != -1)
			return error;
		atomic_store_explicit(&f->no_zero_range, true,
		    memory_order_relaxed);
	}
	/* A punched hole reads as zeros, in files and block devices alike. */
	if (may_trim && (error = punch_hole(f, offset, len)) != -1)
		return error;
	while (len > 0) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);

		if ((error = write_all(f->fd, zeros, n, offset, 0)) != 0)
			return error;
		offset += n;
		len -= n;
	}
	return 0;
}

/*
 * The run of data or hole starting at offset, from SEEK_DATA and
 * SEEK_HOLE.  Where the filesystem cannot tell (or for a block device,
 * where it would say "all data" anyway), everything is data.
 */
static int
file_extent(struct backend *b, uint64_t offset, uint64_t len,
    uint64_t *extent_len, uint32_t *flags)
{
	struct file *f = (struct file *)b;
	off_t data, hole;

	*extent_len = len;
	*flags = 0;
	if (f->blockdev ||
	    atomic_load_explicit(&f->no_seek_data, memory_order_relaxed))
		return 0;
	data = lseek(f->fd, (off_t)offset, SEEK_DATA);
	if (data == -1 && errno == ENXIO) {
		/* No data after offset: the rest of the file is a hole. */
		*flags = BACKEND_HOLE | BACKEND_ZERO;
		return 0;
	}
	if (data == -1) {
		if (errno == EINVAL || unsupported(errno))
			atomic_store_explicit(&f->no_seek_data, true,
			    memory_order_relaxed);
		return 0;
	}
	if ((uint64_t)data > offset) {
		if ((uint64_t)data - offset < len)
			*extent_len = (uint64_t)data - offset;
		*flags = BACKEND_HOLE | BACKEND_ZERO;
		return 0;
	}
	/*
	 * In data: up to the next hole.  A hole at offset itself means the
	 * file changed between the two calls; calling it data is safe.
	 */
	hole = lseek(f->fd, (off_t)offset, SEEK_HOLE);
	if (hole > (off_t)offset && (uint64_t)hole - offset < len)
		*extent_len = (uint64_t)hole - offset;
	return 0;
}

static void
file_close(struct backend *b)
{
	struct file *f = (struct file *)b;

	close(f->fd);
	free(f);
}

static const struct backend_ops file_ops = {
	.read = file_read,
	.write = file_write,
	.flush = file_flush,
	.trim = file_trim,
	.zero = file_zero,
	.extent = file_extent,
	.close = file_close,
};

struct backend *
file_open(const char *path, uint64_t size, bool readonly, char *err,
    size_t errlen)
{
	struct file *f;
	struct stat st;
	uint64_t fsize;
	int fd;

	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "file:%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "file:%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		fsize = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &fsize) == -1) {
			snprintf(err, errlen, "file:%s: BLKGETSIZE64: %s", path,
			    strerror(errno));
			goto fail;
		}
	} else {
		snprintf(err, errlen,
		    "file:%s: not a regular file or block device", path);
		goto fail;
	}
	if (size == 0 && fsize == 0) {
		snprintf(err, errlen, "file:%s: size 0 (the file is empty)",
		    path);
		goto fail;
	}
	if (size > fsize) {
		snprintf(err, errlen,
		    "file:%s: size %llu is larger than the file (%llu bytes)",
		    path, (unsigned long long)size, (unsigned long long)fsize);
		goto fail;
	}
	f = xcalloc(1, sizeof(*f));
	f->b.ops = &file_ops;
	f->b.size = size != 0 ? size : fsize;
	f->b.readonly = readonly;
	f->fd = fd;
	f->blockdev = S_ISBLK(st.st_mode);
	return &f->b;

fail:
	close(fd);
	return NULL;
}
