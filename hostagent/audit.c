/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/audit.c: audit records to syslog and a JSON lines file. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "hostagent/audit.h"

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *audit_file;

bool
audit_open(const char *path, struct vs_error *err)
{
    FILE *f = NULL;

    if (path != NULL && path[0] != '\0') {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0 || (f = fdopen(fd, "a")) == NULL) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            vs_error_set(err, VS_ERR_IO, "cannot open the audit log %s: %s (create its directory, "
                         "or set audit_log in [agent])", path, strerror(e));
            /* say what is true: no file gets records until one opens (the old
             * one may be the file the admin moved away from on purpose) */
            audit_close();
            return false;
        }
        setvbuf(f, NULL, _IOLBF, 0);
    }
    pthread_mutex_lock(&audit_lock);
    if (audit_file)
        fclose(audit_file);
    audit_file = f;
    pthread_mutex_unlock(&audit_lock);
    return true;
}

void
audit_close(void)
{
    pthread_mutex_lock(&audit_lock);
    if (audit_file)
        fclose(audit_file);
    audit_file = NULL;
    pthread_mutex_unlock(&audit_lock);
}

void
audit_write(const char *host, const struct audit_record *r)
{
    char *line, when[64], stamp[40];
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when, sizeof when, "%s.%03ldZ", stamp, ts.tv_nsec / 1000000);
    /* the keys in this order, optional ones only when set: the same lines as
     * before jansson wrote them (docs/vsmigrated.pod, AUDIT) */
    json_t *j = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s?}", "time", when, "host", host, "user",
                          r->user, "via", r->via, "address", r->address, "action", r->action);
    if (j == NULL)   /* text that is not UTF-8: the agent checked it, so this is a bug */
        j = json_pack("{s:s,s:s?,s:s}", "time", when, "host", host, "action", "unrecordable");
    const struct { const char *key, *value; } optional[] = {
        { "vm", r->vm }, { "from", r->from }, { "to", r->to }, { "job", r->job },
    };
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if (optional[i].value)
            json_object_set_new(j, optional[i].key, json_string(optional[i].value));
    json_object_set_new(j, "result", json_string(r->result == VS_OK ? "ok" : vs_errcode_name(r->result)));
    if (r->message)
        json_object_set_new(j, "message", json_string(r->message));
    json_object_set_new(j, "duration_ms", json_integer(r->duration_ms));
    if (r->move && r->move->present) {
        const struct { const char *key; long long v; } figures[] = {
            { "downtime_ms", r->move->downtime_ms }, { "libvirt_downtime_ms", r->move->libvirt_downtime_ms },
            { "handoff_ms", r->move->handoff_ms }, { "total_ms", r->move->total_ms },
            { "bytes", r->move->bytes }, { "iterations", r->move->iterations },
            { "queued_ms", r->move->queued_ms },
        };
        if (r->move->role)
            json_object_set_new(j, "role", json_string(r->move->role));
        for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
            if (figures[i].v >= 0)
                json_object_set_new(j, figures[i].key, json_integer(figures[i].v));
        if (r->move->slot_from > 0 && r->move->slot_until > 0) {
            json_object_set_new(j, "slot_from_ms", json_integer(r->move->slot_from));
            json_object_set_new(j, "slot_until_ms", json_integer(r->move->slot_until));
        }
        if (r->move->network)
            json_object_set_new(j, "network", json_string(r->move->network));
        if (r->move->definition_saved >= 0)
            json_object_set_new(j, "definition_saved", json_boolean(r->move->definition_saved));
    }
    if (r->unrecorded)
        json_object_set_new(j, "unrecorded", json_integer((json_int_t)r->unrecorded));
    line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(j);
    if (line == NULL)
        return;
    syslog(LOG_AUTHPRIV | (r->result == VS_OK ? LOG_INFO : LOG_NOTICE), "audit: %s", line);
    pthread_mutex_lock(&audit_lock);
    if (audit_file) {
        fputs(line, audit_file);
        fputc('\n', audit_file);
        fflush(audit_file);
    }
    pthread_mutex_unlock(&audit_lock);
    free(line);
}

/* ---- refusals before authentication: per-address budget ---------------------------- */

#define REFUSAL_SLOTS 256
#define REFUSAL_WINDOW_MS 60000

static struct refusal_slot {
    char source[64];
    long long window_start_ms;
    unsigned recorded;           /* in this window */
    unsigned long unrecorded;    /* since the last record */
} refusal_slots[REFUSAL_SLOTS];

static long long
monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The slot of source: its own, else a free one, else the one idle longest. */
static struct refusal_slot *
refusal_slot(const char *source)
{
    struct refusal_slot *oldest = &refusal_slots[0];

    for (size_t i = 0; i < REFUSAL_SLOTS; i++) {
        struct refusal_slot *s = &refusal_slots[i];
        if (strcmp(s->source, source) == 0)
            return s;
        if (s->window_start_ms < oldest->window_start_ms)
            oldest = s;
    }
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->source, sizeof oldest->source, "%s", source);
    return oldest;
}

void
audit_write_refusal(const char *host, const char *source, struct audit_record *r)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    long long now = monotonic_ms();
    bool write;

    pthread_mutex_lock(&lock);
    struct refusal_slot *s = refusal_slot(source);
    if (s->window_start_ms == 0 || now - s->window_start_ms >= REFUSAL_WINDOW_MS) {
        s->window_start_ms = now;
        s->recorded = 0;
    }
    /* the budget, then one record per AUDIT_REFUSAL_SAMPLE more: a flood
     * shows, with its size, without filling the disk */
    write = s->recorded < AUDIT_REFUSALS_PER_MINUTE || s->unrecorded + 1 >= AUDIT_REFUSAL_SAMPLE;
    if (write) {
        s->recorded++;
        r->unrecorded = s->unrecorded;
        s->unrecorded = 0;
    } else {
        s->unrecorded++;
    }
    pthread_mutex_unlock(&lock);
    if (write)
        audit_write(host, r);
}
