/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smb-direct: libsmbclient on its own, the baseline for bench/smbio.
 *
 *   smb-direct CCACHE URL seqread|seqwrite            whole file, 1 MiB requests
 *   smb-direct CCACHE URL randread|randwrite SECS N   4 KiB at random offsets,
 *                                                     N threads, one context each
 * Prints one number: MiB/s for seq*, IOPS for rand*. Uses the same
 * libsmbclient options smbio does (Kerberos from KRB5CCNAME, SMB3), and
 * smbio's thread hooks when N > 1 (libsmbclient needs them). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libsmbclient.h>

#include "smbio/threads.h"

static const char *url;
static bool writing;
static uint64_t file_size;
static double deadline;
static atomic_ulong ops;
static pthread_barrier_t ready;   /* the clock starts once every thread is connected */
static double started;

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
auth(SMBCCTX *c, const char *s, const char *sh, char *wg, int wgl, char *un, int unl, char *pw, int pwl)
{
    (void)c; (void)s; (void)sh; (void)wg; (void)wgl;
    snprintf(un, (size_t)unl, "%s", "bench");
    if (pwl > 0)
        pw[0] = '\0';
}

static SMBCCTX *
context(void)
{
    SMBCCTX *ctx;

    smbio_setup_lock();
    ctx = smbc_new_context();
    smbc_setOptionUseKerberos(ctx, 1);
    smbc_setOptionFallbackAfterKerberos(ctx, 0);
    smbc_setOptionNoAutoAnonymousLogin(ctx, 1);
    smbc_setOptionProtocols(ctx, "SMB3", "SMB3");
    smbc_setFunctionAuthDataWithContext(ctx, auth);
    if (smbc_init_context(ctx) == NULL) {
        fprintf(stderr, "smb-direct: cannot initialise libsmbclient\n");
        exit(1);
    }
    smbio_setup_unlock();
    return ctx;
}

static SMBCFILE *
open_file(SMBCCTX *ctx)
{
    SMBCFILE *f;

    smbio_setup_lock();
    f = smbc_getFunctionOpen(ctx)(ctx, url, writing ? O_RDWR : O_RDONLY, 0);
    smbio_setup_unlock();
    if (f == NULL) {
        fprintf(stderr, "smb-direct: open %s: %s\n", url, strerror(errno));
        exit(1);
    }
    return f;
}

static void *
random_io(void *arg)
{
    SMBCCTX *ctx = context();
    SMBCFILE *f = open_file(ctx);
    unsigned seed = (unsigned)(uintptr_t)arg;
    char buf[4096];
    uint64_t blocks = file_size / sizeof buf;

    memset(buf, 0x5a, sizeof buf);
    if (pthread_barrier_wait(&ready) == PTHREAD_BARRIER_SERIAL_THREAD) {
        started = now();
        deadline = started + deadline;   /* deadline held the duration until now */
    }
    pthread_barrier_wait(&ready);
    while (now() < deadline) {
        off_t off = (off_t)((uint64_t)rand_r(&seed) % blocks * sizeof buf);
        ssize_t n;
        smbc_getFunctionLseek(ctx)(ctx, f, off, SEEK_SET);
        n = writing ? smbc_getFunctionWrite(ctx)(ctx, f, buf, sizeof buf)
                    : smbc_getFunctionRead(ctx)(ctx, f, buf, sizeof buf);
        if (n != (ssize_t)sizeof buf) {
            fprintf(stderr, "smb-direct: I/O at %lld: %s\n", (long long)off, strerror(errno));
            exit(1);
        }
        ops++;
    }
    smbc_getFunctionClose(ctx)(ctx, f);
    smbio_setup_lock();
    smbc_free_context(ctx, 1);
    smbio_setup_unlock();
    return NULL;
}

int
main(int argc, char **argv)
{
    struct vs_error err;
    const char *mode;
    SMBCCTX *ctx;
    SMBCFILE *f;
    struct stat st;

    if (argc < 4) {
        fprintf(stderr, "usage: smb-direct CCACHE URL seqread|seqwrite|randread|randwrite [SECS THREADS]\n");
        return 2;
    }
    setenv("KRB5CCNAME", argv[1], 1);
    url = argv[2];
    mode = argv[3];
    writing = strstr(mode, "write") != NULL;
    if (!smbio_threads_init(&err)) {
        fprintf(stderr, "smb-direct: %s\n", err.message);
        return 1;
    }
    ctx = context();
    f = open_file(ctx);
    smbc_getFunctionFstat(ctx)(ctx, f, &st);
    file_size = (uint64_t)st.st_size;
    if (strncmp(mode, "seq", 3) == 0) {
        static char buf[1 << 20];
        double t0 = now();
        memset(buf, 0xa5, sizeof buf);
        for (uint64_t off = 0; off < file_size; off += sizeof buf) {
            ssize_t n = writing ? smbc_getFunctionWrite(ctx)(ctx, f, buf, sizeof buf)
                                : smbc_getFunctionRead(ctx)(ctx, f, buf, sizeof buf);
            if (n <= 0) {
                fprintf(stderr, "smb-direct: I/O at %llu: %s\n", (unsigned long long)off, strerror(errno));
                return 1;
            }
        }
        printf("%.1f\n", (double)file_size / (1 << 20) / (now() - t0));
    } else {
        int secs = argc > 4 ? atoi(argv[4]) : 5, threads = argc > 5 ? atoi(argv[5]) : 1;
        pthread_t tid[64];
        double t0;
        if (threads < 1 || threads > 64 || secs < 1) {
            fprintf(stderr, "smb-direct: 1..64 threads, at least 1 s\n");
            return 2;
        }
        deadline = secs;
        pthread_barrier_init(&ready, NULL, (unsigned)threads);
        for (int i = 0; i < threads; i++)
            pthread_create(&tid[i], NULL, random_io, (void *)(uintptr_t)(i + 1));
        for (int i = 0; i < threads; i++)
            pthread_join(tid[i], NULL);
        t0 = now();
        printf("%.0f\n", (double)ops / (t0 - started));
    }
    smbc_getFunctionClose(ctx)(ctx, f);
    smbc_free_context(ctx, 1);
    return 0;
}
