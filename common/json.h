/* vsmigrate: writing JSON text (audit records, --json output), and reading
 * a field back from the one-line replies of vsmigrate's own local tools
 * (the disk export's control socket, vsmigrate-disk probe).
 *
 * Never for network input: nothing here is a general JSON parser. */
#ifndef VSM_COMMON_JSON_H
#define VSM_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* s as a JSON string, quotes included; NULL is written as null. Bytes
 * below 0x20 and DEL are escaped; other bytes pass as they are (the
 * callers' text is UTF-8 already, checked where it came from). */
void json_write_string(FILE *f, const char *s);

/* The same into out (NUL-terminated; len >= 3): a string too long for it
 * is cut short, between escapes and UTF-8 sequences, and still closed.
 * Returns the length written. */
size_t json_quote(char *out, size_t len, const char *s);

/* One element of a --json "checks" array (vsmigrate doctor, vsmigrate-share
 * check): {"name":...,"result":...,"text":...}, after a comma unless first. */
void json_write_check(FILE *f, bool first, const char *name, const char *result, const char *text);

/* The value of "key": in a flat one-line object written by json_write_string
 * (a string, unescaped; or a bare number or word), into out (truncated to
 * len). NULL when the key is absent. */
const char *json_field(const char *json, const char *key, char *out, size_t len);

#endif
