/* vsmigrate: writing JSON text (audit records, --json output).
 *
 * Only writing: vsmigrate never parses JSON from the network. */
#ifndef VSM_COMMON_JSON_H
#define VSM_COMMON_JSON_H

#include <stdio.h>

/* s as a JSON string, quotes included; NULL is written as null. Bytes
 * below 0x20 and DEL are escaped; other bytes pass as they are (the
 * callers' text is UTF-8 already, checked where it came from). */
void json_write_string(FILE *f, const char *s);

#endif
