/*
 * hex.h - the value of one hexadecimal digit.
 *
 * Interface:
 *	hex_value() gives 0..15 for 0-9, a-f and A-F, and -1 for any other
 *	byte (so "hex_value(a) >= 0 && hex_value(b) >= 0" checks a pair).
 *
 * Failure modes: none.  Pure function.
 */
#ifndef MTASTS_HEX_H
#define MTASTS_HEX_H

int	 hex_value(char c);

#endif
