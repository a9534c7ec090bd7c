/*
 * clock.h - the monotonic clock, in milliseconds, for deadlines.
 *
 * Interface:
 *	clock_now_ms() reads CLOCK_MONOTONIC: it never jumps with the wall
 *	clock, so "deadline = clock_now_ms() + timeout" stays valid.
 *	clock_left_ms() is what remains of such a deadline, 0 when it has
 *	passed, at most max (so that it fits a poll() timeout).
 *
 * Failure modes: none (clock_gettime cannot fail for CLOCK_MONOTONIC on
 * the systems we build for).  No global state: thread-safe.
 */
#ifndef MTASTS_CLOCK_H
#define MTASTS_CLOCK_H

long long	 clock_now_ms(void);
int		 clock_left_ms(long long deadline, int max);

#endif
