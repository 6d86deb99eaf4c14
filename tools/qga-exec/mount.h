/*
 * mount: --mount TAG:DIR[:ro|:rw], the 9p shares mounted in the guest
 * before the command, through the agent's guest-exec and a POSIX sh
 * script (any guest with /bin/sh and mount(8) will do).
 */
#ifndef QGA_EXEC_MOUNT_H
#define QGA_EXEC_MOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "agent.h"

/* The most --mount options: the script's exit status names one. */
#define MOUNT_MAX 64
/* How long mounting may take, the guest's retries included. */
#define MOUNT_TIMEOUT_MS 60000

struct mount {
	char *tag;		/* the share's mount_tag */
	char *dir;		/* the guest directory, any bytes but NUL */
	bool ro;
};

/*
 * Parses TAG:DIR[:ro|:rw]: TAG ends at the first ':', a final ":ro" or
 * ":rw" is the mode (rw by default), DIR is all between, colons and all,
 * and starts with '/'.  Returns -1 with a reason in why.  Free with
 * mount_free.
 */
int mount_parse(const char *text, struct mount *m, char *why, size_t whylen);
void mount_free(struct mount *m);

/*
 * Mounts the n shares; returns 0, or the exit status with one message
 * naming the share that failed: 1 (the guest refused the mount), 124 (it
 * took longer than MOUNT_TIMEOUT_MS), or another call's failure.
 */
int mount_all(struct agent *a, const struct mount *m, int n);

#endif
