/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: typed INI-style configuration files.
 *
 * A program describes its keys once, in a schema (an array of struct cfg_key);
 * the parser checks a file against it and collects every problem as
 * "file:line: message", so that a person fixes them all in one go.
 *
 * The file format (see docs/vsmigrate-config.pod for the user's view):
 *
 *   # a comment; ';' starts one too
 *   [section]
 *   key = value            # an inline comment needs whitespace before '#'
 *   text = "quoted, with \" and \\ as the only escapes"
 *   ?newer_key = 1         # '?' marks a key optional: ignored if unknown
 *
 * Keys the schema does not know are errors, unless the file marks them '?'.
 * A key set twice is an error. Values are typed:
 *
 *   string     bare or quoted; schema max bounds the length
 *   int        decimal, within [min, max]
 *   bool       yes/no, true/false, on/off, 1/0
 *   enum       one of the schema's choices ("kerberos|local")
 *   duration   1h30m, 250ms, 30s, 2d; read as milliseconds, within [min, max]
 *   size       4096, 64K, 1MiB, 2G (binary units); read as bytes, within [min, max]
 *   cidrs      10.0.0.0/8, 2001:db8::/32, 192.0.2.7 (commas or spaces between)
 *   principals admin@LAB.TEST, vsmigrate/hostb.lab.test@LAB.TEST
 *   names      group or account names: "LAB\VM Migration Admins", S-1-5-32-544
 */
#ifndef VSM_COMMON_CFGFILE_H
#define VSM_COMMON_CFGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum cfg_type {
    CFG_STRING,
    CFG_INT,
    CFG_BOOL,
    CFG_ENUM,
    CFG_DURATION,
    CFG_SIZE,
    CFG_CIDRS,
    CFG_PRINCIPALS,
    CFG_NAMES,
};

#define CFG_REQUIRED 0x1u

/* One key of a schema. min/max bound: int values; durations (ms); sizes
 * (bytes); string length (max, 0 = CFG_STRING_MAX); list length (max, 0 =
 * CFG_LIST_MAX). min = max = 0 means no range. A default is written as it would be in a file. */
struct cfg_key {
    const char *section;
    const char *name;
    enum cfg_type type;
    long long min;
    long long max;
    const char *choices;   /* CFG_ENUM: "a|b|c" */
    const char *def;       /* default, or NULL for none */
    unsigned flags;        /* CFG_REQUIRED */
};

#define CFG_FILE_MAX   (1024 * 1024)
#define CFG_LINE_MAX   4096
#define CFG_STRING_MAX 4096
#define CFG_LIST_MAX   1024
#define CFG_ERRORS_MAX 50

struct cfg_cidr {
    int family;          /* AF_INET or AF_INET6 */
    uint8_t addr[16];    /* network byte order; the first 4 for AF_INET */
    unsigned prefix;
};

/* The problems found, each "file:line: message" (or "file: message"). */
struct cfg_diag {
    char **lines;
    size_t n;
};

struct cfg;

/* Parse a file or a buffer. NULL on any problem, with every problem in diag.
 * On success diag may still hold warnings (n > 0); print them. */
struct cfg *cfg_parse_file(const char *path, const struct cfg_key *schema, size_t nkeys,
                           struct cfg_diag *diag);
struct cfg *cfg_parse_buffer(const char *name, const char *data, size_t len,
                             const struct cfg_key *schema, size_t nkeys, struct cfg_diag *diag);
void cfg_free(struct cfg *cfg);
void cfg_diag_free(struct cfg_diag *diag);

/* Check a schema's own consistency: duplicates, bad defaults, bad ranges.
 * Programs' unit tests call this for their schemas. */
bool cfg_schema_check(const struct cfg_key *schema, size_t nkeys, struct cfg_diag *diag);

/* Getters. Asking for a key the schema lacks, or with the wrong type, is a
 * programming error and aborts. An unset key without a default reads as
 * NULL, 0, false or an empty list; cfg_is_set tells them apart. */
bool cfg_is_set(const struct cfg *cfg, const char *section, const char *name);
unsigned cfg_line_of(const struct cfg *cfg, const char *section, const char *name);
const char *cfg_string(const struct cfg *cfg, const char *section, const char *name);
long long cfg_int(const struct cfg *cfg, const char *section, const char *name);
bool cfg_bool(const struct cfg *cfg, const char *section, const char *name);
const char *cfg_enum(const struct cfg *cfg, const char *section, const char *name);
long long cfg_duration_ms(const struct cfg *cfg, const char *section, const char *name);
uint64_t cfg_size(const struct cfg *cfg, const char *section, const char *name);
const struct cfg_cidr *cfg_cidrs(const struct cfg *cfg, const char *section, const char *name,
                                 size_t *n);
/* CFG_PRINCIPALS and CFG_NAMES */
char *const *cfg_names(const struct cfg *cfg, const char *section, const char *name, size_t *n);

/* A duration written as in a config file ("250ms", "30s", "1h30m", "2d",
 * "0"), in milliseconds; false when it is not one or overflows. For programs
 * that take durations elsewhere (command lines, plugin parameters). */
bool cfg_parse_duration_ms(const char *text, long long *ms);

/* Does addr (AF_INET or AF_INET6) fall inside one of the networks? An
 * IPv4-mapped IPv6 address is matched as IPv4. */
bool cfg_cidr_contains(const struct cfg_cidr *nets, size_t n, const struct sockaddr *addr);

#endif
