/*
 * snapqmp: saving and resuming a guest through qemu-launch's own QMP
 * monitor (RUN_MONITOR), never the run's: a command may be using that
 * one, and QEMU serves one client per monitor at a time.
 *
 * The save stops the guest, which waits at the handoff for its
 * configuration, migrates it into a file, and continues it.  Stopping
 * first makes the migration one pass, and makes every restore come up
 * paused: qemu-launch continues it once it is ready to hand over.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "deadline.h"
#include "diag.h"
#include "qmp.h"
#include "snapfile.h"
#include "snapshot.h"
#include "sock.h"
#include "xalloc.h"

/* A 4 GiB guest's state is some 150 MB: seconds, even on a slow disk. */
#define SAVE_TIMEOUT_MS 120000
#define MONITOR_TIMEOUT_MS 10000
#define POLL_MS 5

static int
monitor_open(struct qmp *q, const char *rundir, struct deadline d)
{
	struct sock_addr addr = { .is_unix = true };
	int fd;

	addr.path = xasprintf("%s/%s", rundir, RUN_MONITOR);
	fd = sock_connect(&addr, d);
	free(addr.path);
	if (fd < 0)
		return -1;
	qmp_init(q, fd);
	if (qmp_read_greeting(q, d) != QMP_OK ||
	    qmp_negotiate(q, false, d) != QMP_OK) {
		qmp_close(q);
		return -1;
	}
	return 0;
}

/*
 * Runs one command; its "return" in *ret (a new reference, or NULL).
 * -1 with the reason in q->why if it failed or QEMU said no.
 */
static int
call(struct qmp *q, const char *name, json_t *args, struct deadline d,
    json_t **ret)
{
	json_t *cmd = qmp_command(name, args), *id, *reply = NULL;
	const char *class, *desc;
	int rc = -1;

	if (ret != NULL)
		*ret = NULL;
	if (qmp_send(q, cmd, &id, d) == QMP_OK &&
	    qmp_await_reply(q, id, d, &reply) == QMP_OK) {
		if (qmp_reply_error(reply, &class, &desc))
			snprintf(q->why, sizeof(q->why), "%s: %s", name, desc);
		else {
			rc = 0;
			if (ret != NULL && (*ret = json_object_get(reply,
			    "return")) != NULL)
				json_incref(*ret);
		}
	}
	json_decref(reply);
	json_decref(cmd);
	return rc;
}

/* The status of a query's "return", e.g. query-migrate's. */
static char *
status_of(json_t *ret)
{
	const char *s = json_string_value(json_object_get(ret, "status"));

	return xstrdup(s != NULL ? s : "");
}

/* exec:cat >> 'PATH', quoted for QEMU's /bin/sh. */
static char *
exec_uri(const char *path)
{
	char *uri = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&uri, &len)) == NULL)
		xalloc_die();
	fputs("exec:cat >> '", f);
	for (; *path != '\0'; path++)
		if (*path == '\'')
			fputs("'\\''", f);
		else
			fputc(*path, f);
	fputc('\'', f);
	if (fclose(f) != 0)
		xalloc_die();
	return uri;
}

/*
 * QEMU refuses to migrate this setup (a device of extra_args that blocks
 * migration): it will refuse every time, so say it once, in a file that
 * stops later runs from trying.
 */
static void
never_again(const struct snapshot *s, const char *why)
{
	char *path = xasprintf("%s/%s%s", s->dir, s->key,
	    SNAPFILE_NOSAVE_SUFFIX);
	FILE *f;

	if ((f = fopen(path, "we")) != NULL) {
		fprintf(f, "%s\n", why);
		fclose(f);
	}
	free(path);
}

static bool
never(const struct snapshot *s)
{
	char *path = xasprintf("%s/%s%s", s->dir, s->key,
	    SNAPFILE_NOSAVE_SUFFIX);
	bool yes = access(path, F_OK) == 0;

	free(path);
	return yes;
}

/* -1, or -2 if QEMU refused the migration itself. */
static int
migrate(struct qmp *q, const char *tmp, struct deadline d)
{
	json_t *ret;
	char *uri = exec_uri(tmp), *st = NULL;
	int rc = -1;

	/* The default cap, 32 MiB/s, is for live migration over a network. */
	call(q, "migrate-set-parameters", json_pack("{s:I}", "max-bandwidth",
	    (json_int_t)1 << 40), d, NULL);
	if (call(q, "migrate", json_pack("{s:s}", "uri", uri), d, NULL) < 0) {
		rc = q->failure == QMP_OK ? -2 : -1;
		goto out;
	}
	for (;;) {
		if (call(q, "query-migrate", NULL, d, &ret) < 0)
			goto out;
		free(st);
		st = status_of(ret);
		if (strcmp(st, "completed") == 0)
			rc = 0;
		else if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled")
		    == 0) {
			const char *e = json_string_value(json_object_get(ret,
			    "error-desc"));

			snprintf(q->why, sizeof(q->why), "migrate: %s", e != NULL
			    ? e : st);
		}
		json_decref(ret);
		if (rc == 0 || strcmp(st, "failed") == 0 ||
		    strcmp(st, "cancelled") == 0)
			break;
		if (deadline_passed(d)) {
			snprintf(q->why, sizeof(q->why), "migrate: still %s "
			    "after %d s", st, SAVE_TIMEOUT_MS / 1000);
			break;
		}
		deadline_sleep_ms(d, POLL_MS);
	}
out:
	free(st);
	free(uri);
	return rc;
}

static int
resume(struct qmp *q, const char *rundir)
{
	struct deadline d = deadline_in_ms(MONITOR_TIMEOUT_MS);

	if (q->failure == QMP_OK && call(q, "cont", NULL, d, NULL) == 0)
		return 0;
	if (q->failure == QMP_OK)
		return -1;	/* QEMU said no: it says why */
	qmp_close(q);
	if (monitor_open(q, rundir, d) < 0)
		return -1;
	return call(q, "cont", NULL, d, NULL);
}

int
snapshot_save(void *arg)
{
	struct snapshot *s = arg;
	struct deadline d = deadline_in_ms(SAVE_TIMEOUT_MS);
	char why[600] = "", *lock, *tmp = NULL;
	struct qmp q;
	int lfd, rc = -1, mrc;

	if (never(s))
		return 0;
	lock = xasprintf("%s/%s%s", s->dir, s->key, SNAPFILE_LOCK_SUFFIX);
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock);
	/* Another run saves this one: boot on without waiting for it. */
	if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0 ||
	    access(s->path, F_OK) == 0) {
		if (lfd >= 0)
			close(lfd);
		return 0;
	}
	if (monitor_open(&q, s->rundir, deadline_in_ms(MONITOR_TIMEOUT_MS))
	    < 0) {
		note("snapshot not saved: no answer on %s/%s", s->rundir,
		    RUN_MONITOR);
		close(lfd);
		return -1;
	}
	if ((tmp = snapfile_begin(s->dir, s->key, why, sizeof(why))) == NULL)
		goto out;
	if (call(&q, "stop", NULL, d, NULL) < 0) {
		snprintf(why, sizeof(why), "%s", q.why);
		goto out;
	}
	if ((mrc = migrate(&q, tmp, d)) < 0) {
		snprintf(why, sizeof(why), "%s", q.why);
		if (mrc == -2) {
			never_again(s, why);
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
			    " (not tried again for this setup)");
		}
	}
	else if (snapfile_commit(tmp, s->path, why, sizeof(why)) == 0)
		rc = 0;
	/*
	 * The guest goes on, saved or not; on a new connection if this one
	 * broke, for a guest left stopped would never answer.
	 */
	if (resume(&q, s->rundir) < 0 && rc == 0) {
		snprintf(why, sizeof(why), "%s", q.why);
		rc = -1;
	}
out:
	if (rc < 0 && tmp != NULL)
		unlink(tmp);
	if (rc < 0)
		note("snapshot %s not saved: %s", s->path, why);
	else
		snapfile_evict(s->dir, snapshot_cache_max());
	free(tmp);
	qmp_close(&q);
	close(lfd);
	return rc;
}

static bool
stopped(struct launch *l)
{
	int sig = launch_take_signal(0);

	if (sig != 0)
		l->signal = sig;
	return sig != 0;
}

int
snapshot_resume(struct launch *l, int64_t timeout_ms)
{
	struct deadline d = deadline_in_ms(timeout_ms);
	json_t *ret;
	struct qmp q;
	char *st;
	int rc = -1, sig;

	if (monitor_open(&q, l->rundir, d) < 0)
		return stopped(l) ? -2 : -1;
	for (;;) {
		if (call(&q, "query-status", NULL, d, &ret) < 0)
			break;
		st = status_of(ret);
		json_decref(ret);
		if (strcmp(st, "inmigrate") != 0) {
			/* Saved stopped, so restored paused: go. */
			rc = strcmp(st, "running") == 0 ? 0 :
			    call(&q, "cont", NULL, d, NULL);
			free(st);
			break;
		}
		free(st);
		if (deadline_passed(d))
			break;
		if ((sig = launch_take_signal(POLL_MS)) != 0) {
			l->signal = sig;
			rc = -2;
			break;
		}
	}
	qmp_close(&q);
	/* A stop signal ends the waits above: it is no fault of the state. */
	if (rc == -1 && stopped(l))
		rc = -2;
	return rc;
}
