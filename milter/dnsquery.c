/* dnsquery.c - placeholder until the -C work lands. */
#include "dnsquery.h"
typedef int dnsquery_placeholder;
