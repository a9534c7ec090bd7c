/* check.c - placeholder until the -C work lands. */
#include "check.h"

int
check_domains(const struct conf *conf, char *const *domains, size_t n,
    bool json, FILE *out)
{
	(void)conf; (void)domains; (void)n; (void)json;
	fprintf(out, "fail -C is not implemented yet\n");
	return 1;
}
