#include "../../lib/deadline.h"
#include "check.h"

int
main(void)
{
	struct deadline never = DEADLINE_NEVER, soon, now;
	int64_t t0;

	CHECK(deadline_is_never(never));
	CHECK(!deadline_passed(never));
	CHECK(deadline_poll_ms(never) == -1);
	CHECK(deadline_is_never(deadline_in_ms(-1)));

	now = deadline_in_ms(0);
	CHECK(deadline_passed(now));
	CHECK(deadline_poll_ms(now) == 0);

	soon = deadline_in_ms(50);
	CHECK(!deadline_passed(soon));
	CHECK(deadline_poll_ms(soon) > 0 && deadline_poll_ms(soon) <= 50);
	CHECK(deadline_min(soon, never).at_ns == soon.at_ns);
	CHECK(deadline_min(never, soon).at_ns == soon.at_ns);

	/* A sleep is cut short by the deadline, never lengthened past it. */
	t0 = monotonic_ns();
	deadline_sleep_ms(soon, 10000);
	CHECK(deadline_passed(soon));
	CHECK(monotonic_ns() - t0 < 1000 * 1000000LL);

	return check_result();
}
