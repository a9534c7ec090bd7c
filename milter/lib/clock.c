/*
 * clock.c - the monotonic clock in milliseconds (clock.h).
 *
 * Layer milter/lib: helpers with no MTA-STS knowledge (escaping, logging,
 * network lists, names, files, clocks), one module per primitive.  They
 * include nothing from the other layers; every other layer uses them.
 */
#include <time.h>

#include "lib/clock.h"

long long
clock_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
clock_left_ms(long long deadline, int max)
{
	long long ms = deadline - clock_now_ms();

	return ms <= 0 ? 0 : ms > max ? max : (int)ms;
}
