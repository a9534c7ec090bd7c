/* report.c - placeholder until the -r work lands. */
#include "report.h"

int
report_run(char *const *files, int nfiles, bool json, FILE *out, FILE *err)
{
	(void)files; (void)nfiles; (void)json; (void)out;
	fprintf(err, "-r is not implemented yet\n");
	return 1;
}
