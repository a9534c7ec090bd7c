/*
 * procstat.c - resident memory and CPU time of another process.
 *
 * Interface (procstat.h): proc_rss_kb(pid) reads VmRSS from
 * /proc/PID/status in KiB; proc_cpu_s(pid) reads utime + stime from
 * /proc/PID/stat (all threads) in seconds.  Both return -1 when the
 * process is gone or the file cannot be parsed; they never block.
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

long
proc_rss_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

double
proc_cpu_s(long pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut, st;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after "(comm)": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
