/*
 * xml: any bytes written as XML 1.0 text or attribute values that every
 * parser accepts and reads back as they were meant.
 */
#ifndef VMTEST_REPORT_XML_H
#define VMTEST_REPORT_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Writes len bytes of s escaped: ill-formed UTF-8 becomes U+FFFD,
 * characters XML 1.0 forbids are dropped, & < > " ' become references,
 * and so do the white space characters a parser would otherwise fold:
 * CR everywhere, tab and LF in an attribute (attr true).  The caller
 * checks ferror(out).
 */
void xml_escape(FILE *out, const char *s, size_t len, bool attr);

#endif
