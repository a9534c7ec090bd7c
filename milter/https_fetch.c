/* https_fetch.c - placeholder until the -C work lands. */
#include "https_fetch.h"
typedef int https_fetch_placeholder;
