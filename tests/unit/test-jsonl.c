#include <stdlib.h>
#include <string.h>

#include "../../lib/jsonl.h"
#include "check.h"

static int
parses(const char *text)
{
	json_error_t err;
	json_t *v = jsonl_parse(text, strlen(text), &err);

	json_decref(v);
	return v != NULL;
}

int
main(void)
{
	char buf[128], *s;
	json_error_t err;
	size_t len;
	json_t *v;

	CHECK(parses("{\"return\": {}}"));
	CHECK(parses("{\"return\": {}}\r"));	/* a CRLF's CR is whitespace */
	CHECK(parses("42"));			/* scalars are values too */
	CHECK(!parses("{\"return\": {}} trailing"));
	CHECK(!parses("{\"return\": "));
	CHECK(!parses("{} {}"));
	CHECK(!parses(""));
	CHECK(!parses("\xff{}"));

	/* The line's length counts, not a NUL inside it. */
	v = jsonl_parse("{}\0garbage", 10, &err);
	CHECK(v == NULL);
	v = jsonl_parse("{}\0garbage", 2, &err);
	CHECK(json_is_object(v));
	json_decref(v);

	v = jsonl_parse("{\"a\": ", 6, &err);
	CHECK(v == NULL);
	jsonl_error_text(&err, buf, sizeof(buf));
	CHECK(strstr(buf, "column") != NULL);

	/* Encoding: compact, one line, newline-terminated; scalars allowed. */
	v = json_pack("{s:[i,s]}", "k", 1, "two");
	s = jsonl_encode(v, &len);
	CHECK(s != NULL && strcmp(s, "{\"k\":[1,\"two\"]}\n") == 0 &&
	    len == strlen(s));
	free(s);
	json_decref(v);
	v = json_integer(7);
	s = jsonl_encode(v, &len);
	CHECK(s != NULL && strcmp(s, "7\n") == 0 && len == 2);
	free(s);
	json_decref(v);

	/* Excerpts stay short and printable. */
	jsonl_excerpt("ok\xff\x01\n", 5, buf, sizeof(buf));
	CHECK(strcmp(buf, "ok\\xff\\x01\\x0a") == 0);
	memset(buf, 0, sizeof(buf));
	{
		char longtext[500];

		memset(longtext, 'a', sizeof(longtext));
		jsonl_excerpt(longtext, sizeof(longtext), buf, sizeof(buf));
		CHECK(strlen(buf) < 70 && strcmp(buf + strlen(buf) - 3, "...") == 0);
	}
	return check_result();
}
