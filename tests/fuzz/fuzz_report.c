/* fuzz_report.c - grace-log report over any file: the input is the log,
 * verified (it will not be, mostly) and reported on; the page must be
 * whole (it ends with </html>), hold no script element, and every '<' in
 * it must open one of the page's own elements, never one of the data. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "log/log.h"

static const char *const tags[] = { "!DOCTYPE", "html", "head", "meta",
	"title", "style", "body", "h1", "h2", "p", "code", "svg", "rect",
	"text", "span", "i", "b", "table", "thead", "tbody", "tr", "th", "td",
	NULL };

static int
known_tag(const char *p, size_t left)
{
	size_t i, k;

	if (left && p[0] == '/') {
		p++;
		left--;
	}
	for (i = 0; tags[i]; i++) {
		k = strlen(tags[i]);
		if (left > k && memcmp(p, tags[i], k) == 0 &&
		    (p[k] == '>' || p[k] == ' '))
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *files[1];
	struct grace_chain ch;
	struct grace_buf out = {0};
	struct grace_err e;
	char path[64];
	size_t i;

	if (fuzz_file(0, data, size, path) < 0)
		return 0;
	files[0] = path;
	grace_chain_init(&ch);
	ch.files = files;
	ch.nfiles = 1;
	if (grace_chain_verify(&ch, &e) == 0) {
		if (grace_log_report_html(&ch, &out, &e) < 0)
			fuzz_check_err(&e);
		else {
			if (out.len < 8 || memcmp(out.p + out.len - 8, "</html>\n",
			    8) != 0)
				abort();
			for (i = 0; i < out.len; i++)
				if (out.p[i] == '<' &&
				    !known_tag(out.p + i + 1, out.len - i - 1))
					abort();
		}
	} else
		fuzz_check_err(&e);
	grace_chain_free(&ch);
	grace_buf_free(&out);
	return 0;
}
