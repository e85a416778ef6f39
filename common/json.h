/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: JSON through jansson, for --json output, audit records and the
 * one-line replies of vsmigrate's own local tools (the disk export's control
 * socket, vsmigrate-disk probe).
 *
 * jansson writes and reads; these helpers only fix the form every part
 * uses: compact, keys in the order they were set, one object per line. */
#ifndef VSM_COMMON_JSON_H
#define VSM_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Write j on one line (with a newline) to f, flush, and release j. A NULL j
 * (a json_pack that failed: out of memory, or a string that is not UTF-8)
 * writes nothing and returns false. */
bool json_print_line(FILE *f, json_t *j);

/* j as one line of text without the newline, into out (NUL-terminated);
 * releases j. false (out empty) when j is NULL or does not fit. */
bool json_format_line(json_t *j, char *out, size_t len);

/* One element of a --json "checks" array (vsmigrate doctor, vsmigrate-share
 * check): {"name":...,"result":...,"text":...}. */
json_t *json_check(const char *name, const char *result, const char *text);

/* The value of "key" in the JSON object text json: a string as it is, a
 * number or a literal as its text; truncated to len. NULL when json is not
 * a JSON object or has no such key. */
const char *json_field(const char *json, const char *key, char *out, size_t len);

#endif
