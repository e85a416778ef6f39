/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/readahead.c: read-ahead for a client that reads in order, one
 * request at a time (see struct readahead in smbio/lane.h for when it may
 * be kept). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smbio/lane.h"

/* ---- read-ahead ------------------------------------------------------------------ */

/* Before a read of [off, off+len) on lane l: when reads come in order and
 * the disk is the only writer with no write in flight, ask the read-ahead
 * thread for the next [off+len, off+2*len). */
void
readahead_ask(struct smbio_disk *d, struct lane *l, uint64_t off, size_t len)
{
    struct readahead *ra = &d->ra;
    uint64_t started;

    /* every read passes here: one out of order, or one that may not be read
     * ahead, costs an atomic exchange and takes no lock */
    if (atomic_exchange(&ra->next_off, off + len) != off || !d->want_active ||
        len > READAHEAD_MAX || off + 2 * (uint64_t)len > INT64_MAX)
        return;
    pthread_mutex_lock(&ra->lock);
    started = d->writes_started;
    /* one read-ahead nobody took (the reader went elsewhere) makes way */
    if (!ra->claimed && (ra->state == RA_READY || ra->state == RA_ASKED))
        ra->state = RA_IDLE;
    if (ra->state == RA_IDLE && started == d->writes_done) {
        ra->state = RA_ASKED;
        ra->off = off + len;
        ra->len = len;
        ra->lane = l;
        ra->writes_at_ask = started;
        pthread_cond_broadcast(&ra->changed);
    }
    pthread_mutex_unlock(&ra->lock);
}

static void *
readahead_loop(void *arg)
{
    struct smbio_disk *d = arg;
    struct readahead *ra = &d->ra;

    pthread_mutex_lock(&ra->lock);
    for (;;) {
        struct vs_error err;
        struct op op;

        while (!ra->stop && ra->state != RA_ASKED)
            pthread_cond_wait(&ra->changed, &ra->lock);
        if (ra->stop)
            break;
        ra->state = RA_SENT;
        op_init(&op, OP_READ, ra->buf, ra->len, ra->off);
        pthread_mutex_unlock(&ra->lock);
        /* one attempt: after a lost session, the next real read reconnects */
        lane_run(d, ra->lane, &op, &err);
        pthread_mutex_lock(&ra->lock);
        ra->err = op.err;
        ra->state = RA_READY;
        pthread_cond_broadcast(&ra->changed);
    }
    pthread_mutex_unlock(&ra->lock);
    return NULL;
}

bool
readahead_start(struct smbio_disk *d, struct vs_error *err)
{
    struct readahead *ra = &d->ra;
    int e;

    if (!d->pipelined)
        return true;
    ra->buf = malloc(READAHEAD_MAX);
    if (ra->buf == NULL)
        e = ENOMEM;
    else
        e = pthread_create(&ra->thread, NULL, readahead_loop, d);   /* returns, not errno */
    if (e != 0) {
        vs_error_set(err, VS_ERR_NOMEM, "cannot start the read-ahead: %s (the export needs %u MiB "
                     "and one thread more; or start it with io=serial, which has no read-ahead)",
                     strerror(e), READAHEAD_MAX >> 20);
        return false;
    }
    ra->running = true;
    return true;
}

void
readahead_stop(struct smbio_disk *d)
{
    struct readahead *ra = &d->ra;

    if (ra->running) {
        pthread_mutex_lock(&ra->lock);
        ra->stop = true;
        pthread_cond_broadcast(&ra->changed);
        pthread_mutex_unlock(&ra->lock);
        pthread_join(ra->thread, NULL);   /* after its read in flight, if any */
        ra->running = false;
    }
    free(ra->buf);
    ra->buf = NULL;
}

/* Answer a read from the read-ahead, when it is that read and still valid,
 * and ask for the next: true when buf was filled. */
bool
readahead_take(struct smbio_disk *d, void *buf, size_t len, uint64_t off)
{
    struct readahead *ra = &d->ra;
    struct lane *l;
    bool good;

    if (ra->state == RA_IDLE)
        return false;   /* the common case for random reads, without the lock */
    pthread_mutex_lock(&ra->lock);
    if (ra->state == RA_IDLE || ra->claimed || ra->off != off || ra->len != len) {
        pthread_mutex_unlock(&ra->lock);
        return false;
    }
    ra->claimed = true;
    while (ra->state != RA_READY)
        pthread_cond_wait(&ra->changed, &ra->lock);
    /* no write of ours started since it was asked for, and still the only writer */
    good = ra->err == 0 && d->want_active && d->writes_started == ra->writes_at_ask;
    if (good) {
        memcpy(buf, ra->buf, len);
        d->readahead_hits++;
    }
    ra->state = RA_IDLE;
    ra->claimed = false;
    l = ra->lane;
    pthread_mutex_unlock(&ra->lock);
    if (good)
        readahead_ask(d, l, off, len);
    return good;
}
