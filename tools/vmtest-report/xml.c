/*
 * xml.c: the escaping bin/vmtest's jq did (its "xml" filter and @html:
 * the same characters dropped, the same references, &apos; included), made
 * complete: ill-formed UTF-8 is repaired instead of trusted, and white
 * space that attribute-value normalisation and line-end handling would
 * change is written as references, so a message keeps its lines.
 */
#include <stdint.h>

#include "utf8.h"
#include "xml.h"

/*
 * XML 1.0's Char, less DEL and the two non-characters U+FFFE and U+FFFF,
 * which jq's filter dropped too.  Surrogates never get here: the decoder
 * turns them into U+FFFD.
 */
static bool
allowed(uint32_t cp)
{
	if (cp < 0x20)
		return cp == '\t' || cp == '\n' || cp == '\r';
	return cp != 0x7f && cp != 0xfffe && cp != 0xffff;
}

static const char *
reference(uint32_t cp, bool attr)
{
	switch (cp) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&apos;";
	case '\r': return "&#13;";
	case '\t': return attr ? "&#9;" : NULL;
	case '\n': return attr ? "&#10;" : NULL;
	default: return NULL;
	}
}

void
xml_escape(FILE *out, const char *s, size_t len, bool attr)
{
	const char *run = s, *ref;	/* bytes that go out as they are */
	uint32_t cp;
	size_t n;

	for (; len > 0; s += n, len -= n) {
		n = utf8_next(s, len, &cp);
		ref = reference(cp, attr);
		/* A well-formed U+FFFD takes three bytes; fewer were replaced. */
		if (allowed(cp) && ref == NULL &&
		    (cp != UTF8_REPLACEMENT || n == 3))
			continue;
		fwrite(run, 1, (size_t)(s - run), out);
		run = s + n;
		if (ref != NULL)
			fputs(ref, out);
		else if (allowed(cp))
			fputs("\xef\xbf\xbd", out);
	}
	fwrite(run, 1, (size_t)(s - run), out);
}
