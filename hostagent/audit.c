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

static void
field(FILE *f, const char *name, const char *value)
{
    fprintf(f, ",\"%s\":", name);
    json_write_string(f, value);
}

void
audit_write(const char *host, const struct audit_record *r)
{
    char *line = NULL, when[40];
    size_t len = 0;
    struct timespec ts;
    struct tm tm;
    FILE *m;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    m = open_memstream(&line, &len);
    if (m == NULL)
        return;
    fprintf(m, "{\"time\":\"%s.%03ldZ\"", when, ts.tv_nsec / 1000000);
    field(m, "host", host);
    field(m, "user", r->user);
    field(m, "via", r->via);
    field(m, "address", r->address);
    field(m, "action", r->action);
    if (r->vm)
        field(m, "vm", r->vm);
    if (r->from)
        field(m, "from", r->from);
    if (r->to)
        field(m, "to", r->to);
    if (r->job)
        field(m, "job", r->job);
    field(m, "result", r->result == VS_OK ? "ok" : vs_errcode_name(r->result));
    if (r->message)
        field(m, "message", r->message);
    fprintf(m, ",\"duration_ms\":%lld}", r->duration_ms);
    fclose(m);
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
