#include <ctype.h>
#include <string.h>

#include "ini.h"

static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

int ini_parse(FILE *f, ini_handler handler, void *user)
{
    char line[1024], section[256] = "";
    int lineno = 0;

    while (fgets(line, sizeof line, f)) {
        char *s = trim(line), *eq;

        lineno++;
        if (*s == '\0' || *s == ';' || *s == '#')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close)
                return lineno;
            *close = '\0';
            strncpy(section, trim(s + 1), sizeof section - 1);
            continue;
        }
        eq = strchr(s, '=');
        if (!eq)
            return lineno;
        *eq = '\0';
        handler(section, trim(s), trim(eq + 1), user);
    }
    return 0;
}
