/*
 * write_log: nbd-replay's parser of nbd-fault's write log: the first line
 * as the header, every other as an entry of the export the header sizes.
 * Whatever an accepted entry says lies inside the export.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/nbd-replay/writelog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct wl_header h;
	struct wl_entry e;
	uint64_t export_size = 1 << 20;
	char err[256];
	bool header = true;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (header) {
			if (wl_parse_header(p, (size_t)(nl - p), &h, err,
			    sizeof(err)) == 0) {
				if (h.data == NULL || strchr(h.data, '/') != NULL)
					abort();
				export_size = h.size;
				wl_header_free(&h);
			}
			header = false;
			continue;
		}
		if (wl_parse_entry(p, (size_t)(nl - p), export_size, &e, err,
		    sizeof(err)) == 0) {
			if (e.op <= WL_ZERO && (e.offset > export_size ||
			    e.length > export_size - e.offset))
				abort();
			(void)wl_kept(&e, e.seq);
			wl_entry_free(&e);
		}
	}
	return 0;
}
