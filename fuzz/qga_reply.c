/*
 * Fuzzes the decoding of the guest agent's replies that carry data:
 * guest-exec-status (exit status, signal, base64 output, truncation, and
 * the exit status they mean) and guest-file-read (base64 chunk, count,
 * eof), from one JSON line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "qga.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qga_exec_status st;
	json_error_t jerr;
	unsigned char *buf;
	char why[256];
	size_t len;
	bool eof;
	json_t *reply, *ret;

	reply = jsonl_parse((const char *)data, size, &jerr);
	if (reply == NULL)
		return 0;
	/* A reply object, or a bare return value: try both. */
	ret = json_object_get(reply, "return");
	if (ret == NULL)
		ret = reply;
	if (qga_exec_status_decode(ret, &st, why, sizeof(why)) == 0) {
		/* A decoded status is consistent with itself. */
		if (json_object_get(ret, "out-data") == NULL &&
		    (st.out != NULL || st.out_len != 0))
			abort();
		if (st.exited && !st.has_exitcode && !st.has_signal)
			abort();
		/* Only statuses a guest process can have get through. */
		if ((st.has_exitcode && (st.exitcode < 0 || st.exitcode > 255)) ||
		    (st.has_signal && (st.signal < 1 ||
		    st.signal > QGA_MAX_SIGNAL)))
			abort();
		if (st.exited && (qga_exec_exit_status(&st) < 0 ||
		    qga_exec_exit_status(&st) > 128 + QGA_MAX_SIGNAL))
			abort();
		qga_exec_status_free(&st);
	} else if (why[0] == '\0')
		abort();		/* a failure always says why */
	if (qga_file_read_decode(ret, &buf, &len, &eof, why, sizeof(why)) == 0) {
		if ((json_int_t)len != json_integer_value(json_object_get(ret,
		    "count")))
			abort();
		free(buf);
	}
	json_decref(reply);
	return 0;
}
