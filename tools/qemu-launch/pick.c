/*
 * pick: every error of a config is reported before any target is used,
 * so one run shows them all.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "jsonl.h"
#include "pick.h"

int
pick_list(const char *path, const char *filter)
{
	struct config c;
	int errors, rc = EXIT_OK, e;
	size_t i;
	json_t *j;
	regex_t re;
	char why[256];

	/* vmtest's --filter: a search, not a whole match, as bash's =~. */
	if ((e = regcomp(&re, filter != NULL ? filter : "", REG_EXTENDED |
	    REG_NOSUB)) != 0) {
		regerror(e, &re, why, sizeof(why));
		die(EXIT_USAGE, "--filter: bad regular expression: %s (%s)",
		    filter, why);
	}
	memset(&c, 0, sizeof(c));
	errors = config_read(&c, path);
	for (i = 0; i < c.n; i++)
		errors += target_resolve(&c.targets[i]);
	if (errors == 0 && c.n == 0) {
		error_msg("%s: no [target NAME] section", path);
		errors++;
	}
	for (i = 0; errors == 0 && i < c.n; i++) {
		if (regexec(&re, c.targets[i].name, 0, NULL, 0) != 0)
			continue;
		j = target_json(&c.targets[i]);
		if (jsonl_write(stdout, j, false) < 0) {
			error_errno("stdout");
			rc = EXIT_LOCAL;
			errors++;
		}
		json_decref(j);
	}
	config_free(&c);
	regfree(&re);
	return errors > 0 && rc == EXIT_OK ? EXIT_USAGE : rc;
}

void
pick_target(const char *config, const char *name, struct target *flags,
    struct config *c, struct target *t)
{
	struct target *found;
	const char *img;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (config != NULL) {
		if (config_read(c, config) > 0)
			exit(EXIT_USAGE);
		if (name == NULL && c->n == 1)
			found = &c->targets[0];
		else if (name == NULL)
			die(EXIT_USAGE, "%s: %zu targets: which one? (--target "
			    "NAME)", config, c->n);
		else if ((found = config_find(c, name)) == NULL) {
			error_msg("%s: no target %s; there are:", config, name);
			for (i = 0; i < c->n; i++)
				note("  %s", c->targets[i].name);
			exit(EXIT_USAGE);
		}
		*t = *found;
		memset(found, 0, sizeof(*found));
		target_overlay(t, flags);
	} else {
		/* vmtest's one-liner: named after the kernel or image. */
		img = flags->set[KEY_KERNEL].value != NULL ?
		    flags->set[KEY_KERNEL].value : flags->set[KEY_IMAGE].value;
		if (img != NULL && strrchr(img, '/') != NULL)
			img = strrchr(img, '/') + 1;
		target_init(t, img != NULL && *img != '\0' ? img : "target",
		    flags->base);
		t->at.flag = "--kernel or --image";
		target_overlay(t, flags);
	}
	if (target_resolve(t) > 0)
		exit(EXIT_USAGE);
}
