/*
 * report: qemu-launch's JSON lines, each one compact object flushed as
 * it is written, so that jq and `while read` see it at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "jsonl.h"
#include "report.h"

int
report_open(struct report *r, const char *path, bool stdout_is_ours)
{
	r->f = NULL;
	r->name = "stdout";
	if (path != NULL) {
		if ((r->f = fopen(path, "we")) == NULL) {
			error_errno("--report %s", path);
			return -1;
		}
		r->name = path;
	} else if (stdout_is_ours)
		r->f = stdout;
	return 0;
}

static bool
write_line(struct report *r, json_t *o)
{
	bool ok = true;

	if (r->f != NULL && jsonl_write(r->f, o, false) < 0) {
		error_errno("%s", r->name);
		ok = false;
	}
	json_decref(o);
	return ok;
}

static void
set_path(json_t *o, const char *key, const char *dir, const char *file)
{
	char *path = run_path(dir, file);

	json_object_set_new(o, key, json_string(path));
	free(path);
}

/* A kernel target's kernel: the file given, what QEMU boots, and how. */
static json_t *
kernel_json(const struct target *t)
{
	json_t *k;

	if (!t->is_kernel)
		return json_null();
	k = json_object();
	json_object_set_new(k, "path", json_text(t->kernel));
	json_object_set_new(k, "boot", json_text(t->boot_kernel != NULL ?
	    t->boot_kernel : t->kernel));
	json_object_set_new(k, "form", json_string(t->kernel_form != NULL ?
	    t->kernel_form : "as-given"));
	return k;
}

bool
report_ready(struct report *r, const struct launch *l,
    const struct target *t, const struct plan *p, const struct strv *argv,
    pid_t disk_pid)
{
	json_t *o = json_object(), *disk = json_null();

	json_object_set_new(o, "pid", json_integer(l->pid));
	json_object_set_new(o, "name", json_text(t->name));
	json_object_set_new(o, "rundir", json_string(l->rundir));
	set_path(o, "qmp", l->rundir, RUN_QMP);
	set_path(o, "qga", l->rundir, RUN_QGA);
	if (t->gdb)
		set_path(o, "gdb", l->rundir, RUN_GDB);
	else
		json_object_set_new(o, "gdb", json_null());
	if (p->interactive)
		json_object_set_new(o, "serial", json_null());
	else
		set_path(o, "serial", l->rundir, RUN_SERIAL);
	json_object_set_new(o, "accel", json_string(p->accel == ACCEL_KVM ?
	    "kvm" : "tcg"));
	json_object_set_new(o, "arch", json_string(arch_table[t->arch].name));
	json_object_set_new(o, "start", json_string(p->restored ? "snapshot" :
	    "cold"));
	json_object_set_new(o, "snapshot", p->snapshot != NULL ?
	    json_string(p->snapshot) : json_null());
	if (disk_pid > 0) {
		disk = json_object();
		json_object_set_new(disk, "pid", json_integer(disk_pid));
		set_path(disk, "socket", l->rundir, RUN_NBD);
		set_path(disk, "log", l->rundir, RUN_NBD_LOG);
	}
	json_object_set_new(o, "disk", disk);
	json_object_set_new(o, "kernel", kernel_json(t));
	json_object_set_new(o, "argv", argv_json(argv));
	return write_line(r, o);
}

void
report_end(struct report *r, const struct run_end *end)
{
	json_t *o;

	if (r->f == NULL || r->f == stdout)
		return;
	o = json_pack("{s:s, s:i}", "end", end->reason, "status",
	    end->status);
	if (o == NULL)
		return;
	json_object_set_new(o, "message", end->message[0] == '\0' ?
	    json_null() : json_string(end->message));
	write_line(r, o);
}

void
report_close(struct report *r)
{
	if (r->f != NULL && r->f != stdout)
		fclose(r->f);
	r->f = NULL;
}

int
report_argv(const struct target *t, struct plan *p, const char *rundir_arg,
    bool shell)
{
	struct strv argv;
	struct report out = { stdout, "stdout" };
	char *rundir, *line;
	int rc = EXIT_OK;

	rundir = launch_rundir_preview(rundir_arg);
	p->rundir = rundir;
	argv_build(t, p, &argv);
	if (shell) {
		line = argv_shell(&argv);
		if (printf("%s\n", line) < 0 || fflush(stdout) != 0) {
			error_errno("stdout");
			rc = EXIT_LOCAL;
		}
		free(line);
	} else if (!write_line(&out, argv_json(&argv)))
		rc = EXIT_LOCAL;
	strv_free(&argv);
	free(rundir);
	return rc;
}
