/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate-disk: ask a running disk export to release or promote its writer
 * handle, or to report its state.
 *
 *   vsmigrate-disk release|promote|status --control SOCKET [--json]
 *
 * and, without an export, check that a disk on the share can be opened:
 *
 *   vsmigrate-disk probe URL (--keytab KT --principal P | --ccache CC) [--write] [--json]
 *   vsmigrate-disk cat URL (--keytab KT --principal P | --ccache CC)
 *   vsmigrate-disk put URL --from FILE (--keytab KT --principal P | --ccache CC) [--json]
 *
 * cat prints a small file (a VM's definition, at most 1 MiB) as it is; put
 * replaces one with FILE's bytes, whole (smbio/sharefile.h).
 *
 * Exit status: 0 done; 1 the export refused (another host holds the writer
 * handle, the flush failed, ...) or the probe's open failed; 2 bad usage;
 * 3 the export cannot be reached; 4 (cat) no such file. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/json.h"
#include "smbio/control.h"
#include "smbio/creds.h"
#include "smbio/disk.h"
#include "smbio/sharefile.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: vsmigrate-disk release|promote|status --control SOCKET [--json]\n"
               "       vsmigrate-disk probe URL (--keytab KT --principal P | --ccache CC) [--write] [--json]\n"
               "       vsmigrate-disk cat URL (--keytab KT --principal P | --ccache CC)\n"
               "       vsmigrate-disk put URL --from FILE (--keytab KT --principal P | --ccache CC) [--json]\n"
               "  release   flush, then close the writer handle: the disk goes standby\n"
               "  promote   take the writer handle (fails while another host holds it)\n"
               "  status    mode and counters\n"
               "  probe     open URL on the share (read-only, or read-write with --write), then close it\n"
               "  cat       print URL, a file of at most 1 MiB (a VM's definition)\n"
               "  put       replace URL with FILE (at most 1 MiB), whole: the old file or the new one,\n"
               "            never half\n"
               "exit status: 0 done, 1 refused or failed, 2 usage, 3 export unreachable,\n"
               "  4 (cat) no such file\n");
}

#define CAT_MAX (1024 * 1024)

/* cat: the file's bytes to stdout, read through an open disk. */
static bool
cat_file(struct smbio_disk *d, uint64_t size, struct vs_error *err)
{
    char *buf;

    if (size > CAT_MAX) {
        vs_error_set(err, VS_ERR_INVALID, "the file is %llu bytes; cat prints at most %d (a VM's "
                     "definition)", (unsigned long long)size, CAT_MAX);
        return false;
    }
    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    bool ok = size == 0 || smbio_disk_pread(d, buf, size, 0, err);
    if (ok && fwrite(buf, 1, size, stdout) != size) {
        vs_error_set(err, VS_ERR_IO, "cannot write to standard output");
        ok = false;
    }
    free(buf);
    return ok;
}

enum file_verb { VERB_PROBE, VERB_CAT, VERB_PUT };

/* FILE's bytes (at most SMBIO_SHARE_FILE_MAX), malloc'd; NULL with err */
static char *
read_local(const char *path, size_t *len, struct vs_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(SMBIO_SHARE_FILE_MAX + 1);

    if (f == NULL || buf == NULL) {
        vs_error_set(err, f ? VS_ERR_NOMEM : VS_ERR_NOTFOUND, "cannot read %s: %s", path,
                     f ? "out of memory" : strerror(errno));
    } else {
        *len = fread(buf, 1, SMBIO_SHARE_FILE_MAX + 1, f);
        if (ferror(f))
            vs_error_set(err, VS_ERR_IO, "cannot read %s: %s", path, strerror(errno));
        else if (*len > SMBIO_SHARE_FILE_MAX)
            vs_error_set(err, VS_ERR_INVALID, "%s is more than %d bytes: put takes a VM's "
                         "definition, not a disk", path, SMBIO_SHARE_FILE_MAX);
        else {
            fclose(f);
            return buf;
        }
    }
    if (f)
        fclose(f);
    free(buf);
    return NULL;
}

/* put: replace url with FILE's bytes */
static bool
put_file(const char *url, const char *ccache, const char *from, struct vs_error *err)
{
    size_t len = 0;
    char *buf = read_local(from, &len, err);
    bool ok = buf && smbio_share_file_replace(url, ccache, buf, len, err);

    free(buf);
    return ok;
}

/* probe: can these credentials open the file? Nothing is read or written.
 * cat: the same open, then the file's bytes. put: the file replaced. */
static int
file_verb(int argc, char **argv, enum file_verb verb)
{
    static const struct option opts[] = {
        { "keytab", required_argument, NULL, 'k' }, { "principal", required_argument, NULL, 'p' },
        { "ccache", required_argument, NULL, 'c' }, { "write", no_argument, NULL, 'w' },
        { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
        { "from", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 },
    };
    const char *keytab = NULL, *principal = NULL, *ccache = NULL, *url, *from = NULL;
    struct smbio_disk_options o = { .connections = 1, .reconnect_timeout_ms = 1000 };
    struct smbio_creds *creds = NULL;
    struct smbio_disk *d = NULL;
    struct vs_error err = { 0 };
    uint64_t size = 0;
    bool write = false, json = false, ok;
    int c;

    optind = 2;
    while ((c = getopt_long(argc, argv, "k:p:c:wjhf:", opts, NULL)) != -1) {
        switch (c) {
        case 'k': keytab = optarg; break;
        case 'p': principal = optarg; break;
        case 'c': ccache = optarg; break;
        case 'w': write = true; break;
        case 'j': json = true; break;
        case 'f': from = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || (ccache == NULL) == (keytab == NULL) ||
        (keytab != NULL) != (principal != NULL) || (verb == VERB_PUT) != (from != NULL) ||
        (verb == VERB_PUT && write) || (verb == VERB_CAT && (write || json))) {
        usage(stderr);
        return 2;
    }
    url = argv[optind];
    ok = true;
    if (keytab != NULL) {
        ok = smbio_creds_from_keytab(keytab, principal, 0, NULL, &creds, &err);
        if (ok)
            ccache = smbio_creds_ccache(creds);
    }
    if (ok && verb == VERB_PUT)
        ok = put_file(url, ccache, from, &err);
    else if (ok)
        ok = smbio_disk_open(url, ccache, write ? SMBIO_ACTIVE : SMBIO_STANDBY, &o, &d, &err) &&
             smbio_disk_size(d, &size, &err);
    if (ok && verb == VERB_CAT)
        ok = cat_file(d, size, &err);
    smbio_disk_close(d);
    smbio_creds_destroy(creds);
    if (verb == VERB_CAT) {
        if (!ok)
            fprintf(stderr, "vsmigrate-disk: cat: %s\n", err.message);
        return ok ? 0 : err.code == VS_ERR_NOTFOUND ? 4 : 1;
    }
    if (json) {
        json_t *j = json_pack("{s:b,s:s,s:s}", "ok", ok, "url", url, "access",
                              verb == VERB_PUT ? "replace" : write ? "read-write" : "read");
        if (ok && verb != VERB_PUT)
            json_object_set_new(j, "size", json_integer((json_int_t)size));
        else {
            json_object_set_new(j, "code", json_string(vs_errcode_name(err.code)));
            json_object_set_new(j, "error", json_string(err.message));
        }
        json_print_line(stdout, j);
    } else if (ok && verb == VERB_PUT) {
        printf("put: %s replaced with %s\n", url, from);
    } else if (ok) {
        printf("probe: %s opens %s (%llu bytes)\n", url, write ? "read-write" : "read-only",
               (unsigned long long)size);
    } else {
        fprintf(stderr, "vsmigrate-disk: %s: %s\n", verb == VERB_PUT ? "put" : "probe", err.message);
    }
    return ok ? 0 : 1;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "control", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    const char *control = NULL;
    enum smbio_command cmd;
    char reply[4096], mode[32], error[2048], v[32];
    bool json = false;
    size_t used = 0;
    ssize_t n;
    int c, fd;

    if (argc > 1 && strcmp(argv[1], "probe") == 0)
        return file_verb(argc, argv, VERB_PROBE);
    if (argc > 1 && strcmp(argv[1], "cat") == 0)
        return file_verb(argc, argv, VERB_CAT);
    if (argc > 1 && strcmp(argv[1], "put") == 0)
        return file_verb(argc, argv, VERB_PUT);
    while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': control = optarg; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || control == NULL || !smbio_control_parse(argv[optind], &cmd)) {
        usage(stderr);
        return 2;
    }
    if (strlen(control) >= sizeof sun.sun_path) {
        fprintf(stderr, "vsmigrate-disk: %s is too long for a unix socket path\n", control);
        return 2;
    }
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", control);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        fprintf(stderr, "vsmigrate-disk: cannot reach the disk export at %s: %s (is the export "
                "running, and was it started with control=%s?)\n", control, strerror(errno), control);
        return 3;
    }
    dprintf(fd, "%s\n", smbio_command_name(cmd));
    while (used < sizeof reply - 1 && (n = read(fd, reply + used, sizeof reply - 1 - used)) > 0)
        used += (size_t)n;
    close(fd);
    reply[used] = '\0';
    if (used == 0 || strstr(reply, "\"ok\":") == NULL) {
        fprintf(stderr, "vsmigrate-disk: the export at %s closed without an answer\n", control);
        return 3;
    }
    bool ok = strncmp(reply, "{\"ok\":true", 10) == 0;
    if (json) {
        fputs(reply, stdout);
    } else {
        json_field(reply, "mode", mode, sizeof mode);
        if (ok)
            printf("%s: done; the disk is %s\n", smbio_command_name(cmd), mode);
        else
            printf("%s refused: %s (the disk stays %s)\n", smbio_command_name(cmd),
                   json_field(reply, "error", error, sizeof error) ? error : "unknown error", mode);
        if (cmd == SMBIO_CMD_STATUS) {
            static const char *const keys[] = { "reads", "writes", "flushes", "bytes_read",
                                                "bytes_written", "errors", "connections", "io",
                                                "max_in_flight", "readahead_hits", "reconnects" };
            for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                printf("  %-14s %s\n", keys[i], json_field(reply, keys[i], v, sizeof v) ? v : "?");
        }
    }
    return ok ? 0 : 1;
}
