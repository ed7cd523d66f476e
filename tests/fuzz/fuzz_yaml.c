/* fuzz_yaml.c - YAML loading (lib/yaml.h): grace_yaml_load_string() on
 * the input, then every node of the tree through the describers, the
 * typed converters and grace_yaml_to_jv(). Positions must be 1-based and
 * the tree must free cleanly; a refusal must name a position inside the
 * input (or none). */
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "fuzz.h"
#include "yaml.h"

static void
walk(const struct grace_ynode *n, unsigned depth)
{
	struct grace_err e;
	size_t i;

	if (depth > GRACE_YAML_MAX_DEPTH + 1 || n->line < 1 || n->col < 1)
		abort();
	(void)grace_yaml_describe(n);
	switch (n->kind) {
	case GRACE_YSCALAR: {
		const char *s;
		const char **list = NULL;
		size_t count;
		int b;
		double d;
		int64_t ms, v;

		if (n->str[n->len] != '\0')
			abort();
		(void)grace_yaml_as_string(n, &s, &e);
		(void)grace_yaml_as_bool(n, &b, &e);
		(void)grace_yaml_as_number(n, &d, &e);
		(void)grace_yaml_as_int(n, &v, &e);
		(void)grace_yaml_as_duration(n, &ms, &e);
		if (grace_yaml_as_strlist(n, &list, &count, &e) == 0)
			free(list);
		break;
	}
	case GRACE_YSEQ: {
		const char **list = NULL;
		size_t count;

		if (grace_yaml_as_strlist(n, &list, &count, &e) == 0)
			free(list);
		for (i = 0; i < n->n; i++)
			walk(n->items[i], depth + 1);
		break;
	}
	case GRACE_YMAP: {
		static const char *const allowed[] = { "id", "when", NULL };

		(void)grace_yaml_check_keys(n, allowed, &e);
		(void)grace_yaml_get(n, "id");
		for (i = 0; i < n->n; i++) {
			if (n->pairs[i].key->kind != GRACE_YSCALAR)
				abort();
			walk(n->pairs[i].key, depth + 1);
			walk(n->pairs[i].value, depth + 1);
		}
		break;
	}
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_err e;
	struct grace_ynode *root;
	jv j;

	grace_err_clear(&e);
	root = grace_yaml_load_string("fuzz.yaml", (const char *)data, size, &e);
	if (!root) {
		if (e.code != GRACE_EXIT_USAGE && e.code != GRACE_EXIT_SYSTEM)
			abort();
		fuzz_check_err(&e);
		return 0;
	}
	walk(root, 0);
	j = grace_yaml_to_jv(root);
	if (!jv_is_valid(j))
		abort();
	jv_free(j);
	grace_yaml_free(root);
	return 0;
}
