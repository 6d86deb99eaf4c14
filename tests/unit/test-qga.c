#include <stdlib.h>
#include <string.h>

#include "../../lib/jsonl.h"
#include "../../lib/qga.h"
#include "check.h"

static json_t *
j(const char *text)
{
	json_error_t err;

	return jsonl_parse(text, strlen(text), &err);
}

static int
status_decodes(const char *text, struct qga_exec_status *st)
{
	char why[256];
	json_t *v = j(text);
	int rc = qga_exec_status_decode(v, st, why, sizeof(why));

	json_decref(v);
	return rc == 0;
}

int
main(void)
{
	struct qga_exec_status st;
	unsigned char *buf;
	char why[256];
	size_t len;
	bool eof;
	json_t *v;

	/* Versions compare as (major, minor) tuples, unlike vmtest's test. */
	CHECK(qga_version_at_least("8.1.0", 8, 1));
	CHECK(qga_version_at_least("8.2.2", 8, 1));
	CHECK(qga_version_at_least("9.0.0", 8, 1));
	CHECK(qga_version_at_least("10.0.2", 8, 1));
	CHECK(!qga_version_at_least("8.0.5", 8, 1));
	CHECK(!qga_version_at_least("7.2.22", 8, 1));
	CHECK(!qga_version_at_least("", 8, 1));
	CHECK(!qga_version_at_least("eight", 8, 1));
	CHECK(!qga_version_at_least(NULL, 8, 1));

	/* Exit statuses, signals, output and truncation. */
	CHECK(status_decodes("{\"exited\": false}", &st) && !st.exited);
	qga_exec_status_free(&st);
	CHECK(status_decodes("{\"exitcode\": 3, \"exited\": true, "
	    "\"out-data\": \"aGkK\", \"err-data\": \"\"}", &st));
	CHECK(st.exited && st.has_exitcode && st.exitcode == 3 &&
	    !st.has_signal && st.out_len == 3 && memcmp(st.out, "hi\n", 3) == 0 &&
	    st.err_len == 0);
	qga_exec_status_free(&st);
	CHECK(status_decodes("{\"signal\": 9, \"exited\": true, "
	    "\"out-truncated\": true}", &st));
	CHECK(st.has_signal && st.signal == 9 && st.out_truncated &&
	    !st.err_truncated);
	qga_exec_status_free(&st);

	/* What a status may not be. */
	CHECK(!status_decodes("{}", &st));
	CHECK(!status_decodes("{\"exited\": \"yes\"}", &st));
	CHECK(!status_decodes("{\"exited\": true}", &st));
	CHECK(!status_decodes("{\"exited\": true, \"exitcode\": 1.5}", &st));
	CHECK(!status_decodes("{\"exited\": true, \"exitcode\": 4294967296}", &st));
	CHECK(!status_decodes("{\"exited\": true, \"exitcode\": 0, "
	    "\"out-data\": \"!!!\"}", &st));
	CHECK(!status_decodes("[1]", &st));

	/*
	 * Statuses no guest process can have: not 0..255, not a signal
	 * 1..64.  They would pass for others (256 for success, 200 for 72).
	 */
	CHECK(!status_decodes("{\"exited\": true, \"exitcode\": 256}", &st));
	CHECK(!status_decodes("{\"exited\": true, \"exitcode\": 1024}", &st));
	CHECK(!status_decodes("{\"exited\": true, \"exitcode\": -1}", &st));
	CHECK(!status_decodes("{\"exited\": true, \"signal\": 200}", &st));
	CHECK(!status_decodes("{\"exited\": true, \"signal\": 65}", &st));
	CHECK(!status_decodes("{\"exited\": true, \"signal\": 0}", &st));
	CHECK(!status_decodes("{\"exited\": true, \"signal\": -9}", &st));
	v = j("{\"exited\": true, \"exitcode\": 256}");
	CHECK(qga_exec_status_decode(v, &st, why, sizeof(why)) < 0 &&
	    strstr(why, "256") != NULL);
	json_decref(v);
	v = j("{\"exited\": true, \"signal\": -3}");
	CHECK(qga_exec_status_decode(v, &st, why, sizeof(why)) < 0 &&
	    strstr(why, "-3") != NULL);
	json_decref(v);

	/* The exit status a decoded status means, at the ends of the ranges. */
	CHECK(status_decodes("{\"exited\": true, \"exitcode\": 0}", &st) &&
	    qga_exec_exit_status(&st) == 0);
	CHECK(status_decodes("{\"exited\": true, \"exitcode\": 255}", &st) &&
	    qga_exec_exit_status(&st) == 255);
	CHECK(status_decodes("{\"exited\": true, \"signal\": 1}", &st) &&
	    qga_exec_exit_status(&st) == 129);
	CHECK(status_decodes("{\"exited\": true, \"signal\": 64}", &st) &&
	    qga_exec_exit_status(&st) == 192);
	/* A signal wins over an exit code that comes with it. */
	CHECK(status_decodes("{\"exited\": true, \"exitcode\": 0, "
	    "\"signal\": 15}", &st) && qga_exec_exit_status(&st) == 143);

	/* File reads: the count must match the bytes. */
	v = j("{\"count\": 5, \"buf-b64\": \"aGVsbG8=\", \"eof\": true}");
	CHECK(qga_file_read_decode(v, &buf, &len, &eof, why, sizeof(why)) == 0 &&
	    len == 5 && memcmp(buf, "hello", 5) == 0 && eof);
	free(buf);
	json_decref(v);
	v = j("{\"count\": 4, \"buf-b64\": \"aGVsbG8=\", \"eof\": false}");
	CHECK(qga_file_read_decode(v, &buf, &len, &eof, why, sizeof(why)) < 0);
	json_decref(v);
	v = j("{\"count\": 0, \"eof\": true}");
	CHECK(qga_file_read_decode(v, &buf, &len, &eof, why, sizeof(why)) < 0);
	json_decref(v);
	return check_result();
}
