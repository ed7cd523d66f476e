/* test_report.c - text, TAP, JUnit and GitHub output. */
#include <string.h>

#include "report.h"
#include "t.h"

static const struct grace_report_item items[] = {
	{ "evt-1", "deploy.requested", "allow", GRACE_OUT_PASS, "p-deploy", "" },
	{ "evt-2", "data.access", "deny", GRACE_OUT_FAIL, "c-no-delete, t-aws", "no <autonomous> deletion\nin prod" },
	{ "evt-3", "", "review", GRACE_OUT_WARN, "p-quorum", "needs 1 more approval: carol" },
	{ "<stdin>:4", NULL, "error", GRACE_OUT_ERROR, "", "jq: error: 100%" },
};

static const char *
render(enum grace_report_fmt f, int color)
{
	static struct grace_buf b;
	struct grace_report *r = grace_report_new(f, "grace-gate", color);
	size_t i;

	grace_buf_reset(&b);
	for (i = 0; i < 4; i++)
		grace_report_add(r, &items[i], &b);
	grace_report_finish(r, &b);
	grace_report_free(r);
	return b.p ? b.p : "";
}

int
main(void)
{
	enum grace_report_fmt f;

	T_INTEQ(grace_report_fmt_parse("junit", &f), 0, "parse junit");
	T_INTEQ(f, GRACE_FMT_JUNIT, "junit");
	T_INTEQ(grace_report_fmt_parse("xml", &f), -1, "unknown format");
	T_STREQ(render(GRACE_FMT_TEXT, 0),
	    "evt-1 allow p-deploy\n"
	    "evt-2 deny c-no-delete, t-aws no <autonomous> deletion in prod\n"
	    "evt-3 review p-quorum needs 1 more approval: carol\n"
	    "<stdin>:4 error - jq: error: 100%\n", "text");
	T_OK(strstr(render(GRACE_FMT_TEXT, 1), "evt-2 \033[31mdeny\033[0m c-no") != NULL, "text with colour");
	T_STREQ(render(GRACE_FMT_TAP, 0),
	    "TAP version 13\n"
	    "ok 1 - evt-1 allow (p-deploy)\n"
	    "not ok 2 - evt-2 deny (c-no-delete, t-aws): no <autonomous> deletion in prod\n"
	    "ok 3 - evt-3 review (p-quorum): needs 1 more approval: carol\n"
	    "not ok 4 - <stdin>:4 error: jq: error: 100%\n"
	    "1..4\n", "tap");
	T_STREQ(render(GRACE_FMT_JUNIT, 0),
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites>\n"
	    "  <testsuite name=\"grace-gate\" tests=\"4\" failures=\"1\" errors=\"1\">\n"
	    "    <testcase classname=\"grace-gate\" name=\"evt-1 deploy.requested\">\n"
	    "      <system-out>allow (p-deploy)</system-out>\n"
	    "    </testcase>\n"
	    "    <testcase classname=\"grace-gate\" name=\"evt-2 data.access\">\n"
	    "      <failure type=\"deny\" message=\"no &lt;autonomous&gt; deletion\nin prod\">c-no-delete, t-aws</failure>\n"
	    "    </testcase>\n"
	    "    <testcase classname=\"grace-gate\" name=\"evt-3\">\n"
	    "      <system-out>review (p-quorum): needs 1 more approval: carol</system-out>\n"
	    "    </testcase>\n"
	    "    <testcase classname=\"grace-gate\" name=\"&lt;stdin&gt;:4\">\n"
	    "      <error type=\"error\" message=\"jq: error: 100%\"></error>\n"
	    "    </testcase>\n"
	    "  </testsuite>\n"
	    "</testsuites>\n", "junit");
	T_STREQ(render(GRACE_FMT_GITHUB, 0),
	    "::error title=grace-gate deny::evt-2: deny by c-no-delete, t-aws - no <autonomous> deletion%0Ain prod\n"
	    "::warning title=grace-gate review::evt-3: review by p-quorum - needs 1 more approval: carol\n"
	    "::error title=grace-gate error::<stdin>:4: error - jq: error: 100%25\n"
	    "::notice title=grace-gate::4 events: 1 passed, 1 warned or held, 1 failed, 1 errors\n", "github");
	return T_DONE();
}
