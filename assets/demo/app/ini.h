#ifndef INISTAT_INI_H
#define INISTAT_INI_H
#include <stdio.h>

/* Called for every key = value line; section is "" before the first [section]. */
typedef void (*ini_handler)(const char *section, const char *key, const char *value, void *user);

/* Parse an INI stream. Returns 0, or the 1-based number of the first malformed line. */
int ini_parse(FILE *f, ini_handler handler, void *user);

#endif
