/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/lane.h: the inside of smbio/disk.c's disk, shared by the files
 * that implement it (disk.c: connections, modes and the API; lane.c:
 * holding a connection and sending requests on it, pipelined or one at a
 * time; readahead.c). Not for use outside smbio/.
 *
 * A lane is one SMB connection. Its holder is the one thread that may use
 * its libsmbclient context at a time: either for one blocking call (open,
 * size, flush, promote, release, reconnect, or any request when serial), or
 * as the pipeline's leader, which sends the requests other threads queued on
 * the lane with Samba's asynchronous calls and runs the lane's tevent loop
 * until its own request is answered; it then hands the loop to a thread
 * whose request is still in flight. Nobody else ever touches the context,
 * which libsmbclient needs (it is not thread-safe within a context), and no
 * extra thread sits in the path: with one request at a time, the caller
 * sends and receives it itself. */
#ifndef VSM_SMBIO_LANE_H
#define VSM_SMBIO_LANE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libsmbclient.h>
#include <talloc.h>
#include <tevent.h>

#include "smbio/disk.h"

/* A read fills the first lanes first: another lane is opened only once this
 * many requests wait on each before it. A connection used now and then
 * restarts TCP slow start after each pause (a QD1 sequential read ran at 40%
 * of libsmbclient's speed when requests rotated over 8 connections), and one
 * connection carries 8 pipelined reads faster than 8 connections one each. */
#define LANE_SPREAD 4

/* One read or write, or a blocking request, on a lane. Lives on its
 * caller's stack; the fields below "lane" change under the lane's lock. */
struct op {
    enum { OP_READ, OP_WRITE, OP_SIZE, OP_FLUSH } kind;
    char *buf;
    size_t len;
    uint64_t off;
    uint64_t size;            /* OP_SIZE's answer */
    struct lane *lane;
    size_t done;              /* bytes read or written so far */
    unsigned gen;             /* the lane connection it went out on */
    int err;                  /* once finished: 0, an errno, or -1 (with a vs_error) */
    /* OP_FINISHED, OP_LEAD (its thread was handed the lane), OP_ASLEEP: set
     * under the lane's lock, read without it, so that the thread of a
     * finished request returns without touching the lock (it would only
     * contend with the holder that just woke it) */
    _Atomic uint32_t state;
    struct op *next;          /* in the lane's queue or in-flight list */
};

enum { OP_FINISHED = 1, OP_LEAD = 2, OP_ASLEEP = 4 };

struct lane {
    struct smbio_disk *disk;
    pthread_mutex_t lock;
    pthread_cond_t free;      /* held went false */
    bool held;                /* a thread holds the lane (see the top of the file) */
    unsigned blocking_waiting;/* threads waiting to hold it for a blocking call */
    bool leader_asleep;       /* the holder waits in tevent: wake it to send more */
    struct op *queue, **queue_end;   /* not sent yet */
    struct op *sent;          /* in flight */
    unsigned nsent;
    _Atomic unsigned load;    /* queued + in flight: for choosing a lane */
    unsigned gen;             /* counts the lane's connections */
    /* the holder's alone: */
    SMBCCTX *ctx;
    SMBCFILE *reader;
    SMBCFILE *writer;         /* lane 0 only, while active */
    struct tevent_context *ev;/* pipelined: the lane's event loop */
    int wake_fd;              /* pipelined: an eventfd the loop watches */
    TALLOC_CTX *answered;     /* pipelined: answered requests, freed after the loop turn */
};

/* Read-ahead, for a client that reads one request at a time in order: while
 * the answer to one read travels to the client and the client asks for the
 * next, the next is already on its way from the server, read by the disk's
 * read-ahead thread (which also takes in the answer, so that its decoding
 * is not in the next request's path). Only while active: then no other
 * client can write the file (the share mode), so the data read ahead can
 * only be changed by our own writes, and any write started after it was
 * asked for discards it, as does a release or a reconnect. Standby reads
 * always go to the server. Pipelined lanes only: the read-ahead goes out on
 * the same connection as the read that asked for it. */
#define READAHEAD_MAX (2u << 20)

struct readahead {
    pthread_mutex_t lock;     /* everything below */
    pthread_cond_t changed;
    /* where the last read ended (a read here is in order), and the state:
     * atomic, so that a read out of order checks them without the lock */
    _Atomic uint64_t next_off;
    _Atomic enum { RA_IDLE, RA_ASKED, RA_SENT, RA_READY } state;
    bool claimed;             /* a read waits for it */
    bool stop;
    uint64_t off;
    size_t len;
    struct lane *lane;
    uint64_t writes_at_ask;   /* d->writes_started when it was asked for */
    int err;                  /* when READY */
    char *buf;                /* READAHEAD_MAX bytes */
    pthread_t thread;
    bool running;
};

struct smbio_disk {
    char *principal;
    char url[SMBIO_URL_MAX];
    struct smbio_url parts;
    struct smbio_disk_options opts;
    bool pipelined;
    /* Whether the disk should hold the writer: survives a lost session, so
     * the reconnect re-takes it. Changed only while lane 0 is held. */
    _Atomic bool want_active;
    _Atomic uint64_t reconnects, writer_lost, max_in_flight;
    /* writes sent and answered; a mode change counts as both */
    _Atomic uint64_t writes_started, writes_done;
    _Atomic uint64_t readahead_hits;
    struct readahead ra;
    unsigned nlanes;
    struct lane lanes[SMBIO_CONNECTIONS_MAX];
};

/* lane.c */
void lane_init(struct smbio_disk *d, struct lane *l);
bool lane_loop_create(struct smbio_disk *d, struct lane *l, struct vs_error *err);
void lane_hold(struct lane *l);
void lane_let_go(struct lane *l);
void op_init(struct op *op, int kind, void *buf, size_t len, uint64_t off);
/* A request on a held lane, blocking: 0, an errno, or -1 with err set. */
int op_blocking(struct smbio_disk *d, struct lane *l, struct op *op, struct vs_error *err);
int lane_run(struct smbio_disk *d, struct lane *l, struct op *op, struct vs_error *err);
int run_with_reconnect(struct smbio_disk *d, struct lane *l, struct op *op, struct vs_error *err);
struct lane *lane_for_read(struct smbio_disk *d);

/* disk.c */
bool lane_reconnect(struct smbio_disk *d, struct lane *l, struct vs_error *err);

/* readahead.c */
void readahead_ask(struct smbio_disk *d, struct lane *l, uint64_t off, size_t len);
bool readahead_take(struct smbio_disk *d, void *buf, size_t len, uint64_t off);
bool readahead_start(struct smbio_disk *d, struct vs_error *err);
void readahead_stop(struct smbio_disk *d);

#endif
