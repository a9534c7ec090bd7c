/*
 * procstat.h - resident memory and CPU time of another process (Linux
 * /proc); see procstat.c.  -1 when unknown.
 */

#ifndef PROCSTAT_H
#define PROCSTAT_H

long	 proc_rss_kb(long pid);
double	 proc_cpu_s(long pid);

#endif /* PROCSTAT_H */
