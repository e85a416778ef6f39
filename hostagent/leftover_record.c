/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/leftover_record.c: the leftovers still being put right, on
 * disk (leftover_record.h). */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/smallfile.h"
#include "hostagent/leftover_record.h"

#define RECORDS_LOOKED_AT_MAX 4096
#define DEADLINE_DIGITS_MAX 18   /* below LLONG_MAX whatever the digits */

static const char *const kind_names[] = {
    [LEFTOVER_FORGET] = "forget",
    [LEFTOVER_RESUME] = "resume",
};

const char *
leftover_kind_name(enum leftover_kind kind)
{
    return kind == LEFTOVER_RESUME ? kind_names[LEFTOVER_RESUME] : kind_names[LEFTOVER_FORGET];
}

/* a VM name that can be a file name here (as RUNTIME/arrivals/ asks) */
static bool
vm_name_ok(const char *vm)
{
    size_t n = strnlen(vm, sizeof ((struct leftover_record *)0)->vm);
    return n > 0 && n < sizeof ((struct leftover_record *)0)->vm && vm[0] != '.' &&
           memchr(vm, '/', n) == NULL;
}

static bool
job_id_ok(const char *job, size_t n)
{
    if (n == 0 || n >= sizeof ((struct leftover_record *)0)->job)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((job[i] >= 'a' && job[i] <= 'z') || (job[i] >= 'A' && job[i] <= 'Z') ||
              (job[i] >= '0' && job[i] <= '9') || job[i] == '-'))
            return false;
    return true;
}

bool
leftover_record_format(const struct leftover_record *r, char *line, size_t len)
{
    if (!vm_name_ok(r->vm) || !job_id_ok(r->job, strnlen(r->job, sizeof r->job)) ||
        r->deadline < 0)
        return false;
    int n = snprintf(line, len, "%s %lld %d\n", r->job, r->deadline, r->stale ? 1 : 0);
    return n > 0 && (size_t)n < len;
}

static bool
path_of(const char *runtime_dir, enum leftover_kind kind, const char *vm, char *path, size_t len)
{
    return vm_name_ok(vm) && (size_t)snprintf(path, len, "%s/leftovers/%s.%s", runtime_dir, vm,
                                              leftover_kind_name(kind)) < len;
}

/* "<vm>.<kind>" */
static bool
parse_file_name(const char *name, struct leftover_record *out)
{
    const char *dot = strrchr(name, '.');

    if (dot == NULL || (size_t)(dot - name) >= sizeof out->vm)
        return false;
    if (strcmp(dot + 1, kind_names[LEFTOVER_RESUME]) == 0)
        out->kind = LEFTOVER_RESUME;
    else if (strcmp(dot + 1, kind_names[LEFTOVER_FORGET]) == 0)
        out->kind = LEFTOVER_FORGET;
    else
        return false;
    memcpy(out->vm, name, (size_t)(dot - name));
    out->vm[dot - name] = '\0';
    return vm_name_ok(out->vm);
}

/* the decimal number text[*at..] up to a space or the end, advanced past */
static bool
parse_deadline(const char *text, size_t len, size_t *at, long long *out)
{
    long long v = 0;
    size_t start = *at;

    while (*at < len && text[*at] >= '0' && text[*at] <= '9' && *at - start < DEADLINE_DIGITS_MAX)
        v = v * 10 + (text[(*at)++] - '0');
    *out = v;
    return *at > start && (*at == len || text[*at] < '0' || text[*at] > '9');
}

bool
leftover_record_parse(const char *file_name, const char *text, size_t len,
                      struct leftover_record *out, struct vs_error *err)
{
    memset(out, 0, sizeof *out);
    if (!parse_file_name(file_name, out)) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' is not <vm>.resume or <vm>.forget", file_name);
        return false;
    }
    const char *space = memchr(text, ' ', len);
    size_t at = space ? (size_t)(space - text) : 0;
    bool ok = space != NULL && job_id_ok(text, at);
    if (ok) {
        memcpy(out->job, text, at);
        out->job[at] = '\0';
        at++;
        ok = parse_deadline(text, len, &at, &out->deadline);
    }
    /* then exactly " 0\n" or " 1\n", and nothing after */
    ok = ok && len - at == 3 && text[at] == ' ' && (text[at + 1] == '0' || text[at + 1] == '1') &&
         text[at + 2] == '\n';
    if (!ok) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' does not hold one line 'JOB DEADLINE STALE'",
                     file_name);
        return false;
    }
    out->stale = text[at + 1] == '1';
    return true;
}

bool
leftover_record_save(const char *runtime_dir, const struct leftover_record *r,
                     struct vs_error *err)
{
    char dir[512], path[800], line[128];

    if (!path_of(runtime_dir, r->kind, r->vm, path, sizeof path) ||
        !leftover_record_format(r, line, sizeof line)) {
        vs_error_set(err, VS_ERR_INVALID, "the leftover of '%s' (job '%s') cannot be written down",
                     r->vm, r->job);
        return false;
    }
    snprintf(dir, sizeof dir, "%s/leftovers", runtime_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        vs_error_set(err, VS_ERR_IO, "cannot make %s: %s", dir, strerror(errno));
        return false;
    }
    /* written whole, then renamed: a reader never sees half a line */
    return vs_smallfile_replace(path, line, strlen(line), err);
}

/* the record in path, read with a bound; false if it is no good record */
static bool
record_read(const char *path, const char *file_name, struct leftover_record *out,
            struct vs_error *err)
{
    char text[128];
    size_t n;

    return vs_smallfile_read(path, text, sizeof text, &n, err) &&
           leftover_record_parse(file_name, text, n, out, err);
}

void
leftover_record_drop(const char *runtime_dir, enum leftover_kind kind, const char *vm,
                     const char *job)
{
    char path[800], name[300];
    struct leftover_record r;
    struct vs_error err;

    if (!path_of(runtime_dir, kind, vm, path, sizeof path))
        return;
    snprintf(name, sizeof name, "%s.%s", vm, leftover_kind_name(kind));
    if (!record_read(path, name, &r, &err) || strcmp(r.job, job) == 0)
        unlink(path);
}

size_t
leftover_records_each(const char *runtime_dir,
                      void (*fn)(const struct leftover_record *r, void *arg), void *arg)
{
    char dir[512], path[1024];
    struct leftover_record r;
    struct vs_error err;
    size_t given = 0, looked = 0;
    struct dirent *e;

    snprintf(dir, sizeof dir, "%s/leftovers", runtime_dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL && looked++ < RECORDS_LOOKED_AT_MAX) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!record_read(path, e->d_name, &r, &err)) {
            /* a half-written .new of a killed agent, or not ours */
            vs_warn("%s: removed (%s)", path, err.message);
            unlink(path);
            continue;
        }
        fn(&r, arg);
        given++;
    }
    closedir(d);
    return given;
}
