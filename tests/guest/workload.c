/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The test guest's workload (runs as the guest's only program).
 *
 * One process dirties MEM MiB of memory and checks, before rewriting each
 * word, that it still holds what was written last time: a live migration that
 * loses or corrupts memory shows up as memory errors. The other writes one
 * record every 20 ms to sector SEQ of the disk, with O_DIRECT|O_DSYNC, so that
 * each record is on the disk (through QEMU, NBD and the share) before the
 * next: after a move the records must run on without a gap.
 *
 * usage: workload DEVICE MEM_MIB */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

#define PAGE 4096
#define WORDS_CHECKED 16   /* words checked and rewritten per page per pass */

struct shared {
    volatile uint64_t mem_errors;
    volatile uint64_t mem_passes;
};

static uint64_t
expected(uint64_t page, uint64_t word, uint64_t gen, uint64_t nonce)
{
    return (page << 40) ^ (word << 32) ^ gen ^ nonce;
}

static void
dirty_memory(struct shared *sh, size_t mib, uint64_t nonce)
{
    size_t pages = mib * 1024 * 1024 / PAGE;
    uint64_t *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

    if (mem == MAP_FAILED) {
        perror("vsm-workload: mmap");
        return;
    }
    setpriority(PRIO_PROCESS, 0, 10);   /* the disk writer comes first */
    for (uint64_t gen = 1;; gen++) {
        for (size_t p = 0; p < pages; p++) {
            uint64_t *w = mem + p * (PAGE / 8);
            for (uint64_t k = 0; k < WORDS_CHECKED; k++) {
                uint64_t *slot = w + k * (PAGE / 8 / WORDS_CHECKED);
                if (gen > 1 && *slot != expected(p, k, gen - 1, nonce))
                    sh->mem_errors++;
                *slot = expected(p, k, gen, nonce);
            }
        }
        sh->mem_passes = gen;
    }
}

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* "workload --echo PORT": a TCP echo server, one child per connection,
 * for the echo-gap measurement across a move (tests/tools/echo-gap.py). */
static int
echo_server(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 8) != 0) {
        perror("vsm-echo");
        return 1;
    }
    printf("vsm-echo: listening on %d\n", port);
    fflush(stdout);
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0)
            continue;
        if (fork() == 0) {
            char buf[4096];
            ssize_t n;
            close(l);
            while ((n = read(c, buf, sizeof buf)) > 0)
                if (write(c, buf, (size_t)n) != n)
                    break;
            _exit(0);
        }
        close(c);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
}

int
main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--echo") == 0)
        return echo_server(atoi(argv[2]));
    const char *dev = argc > 1 ? argv[1] : "/dev/vda";
    size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 32;
    struct shared *sh;
    uint64_t nonce = 0, seq, max_seq;
    struct timespec next;
    uint8_t *sector;
    off_t size;
    int fd, rnd;

    rnd = open("/dev/urandom", O_RDONLY);
    if (rnd < 0 || read(rnd, &nonce, sizeof nonce) != sizeof nonce)
        nonce = now_ns();
    if (rnd >= 0)
        close(rnd);
    sh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("vsm-workload: mmap");
        return 1;
    }
    if (fork() == 0) {
        dirty_memory(sh, mib, nonce);
        _exit(1);
    }
    fd = open(dev, O_WRONLY | O_DIRECT | O_DSYNC);
    if (fd < 0) {
        fprintf(stderr, "vsm-workload: open %s: %s\n", dev, strerror(errno));
        for (;;) pause();
    }
    size = lseek(fd, 0, SEEK_END);
    max_seq = size > 0 ? (uint64_t)size / REC_SIZE : 0;
    if (posix_memalign((void **)&sector, PAGE, REC_SIZE) != 0)
        return 1;
    printf("vsm-workload: running: nonce %016llx, %zu MiB of memory, %llu records of room\n",
           (unsigned long long)nonce, mib, (unsigned long long)max_seq);
    fflush(stdout);
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (seq = 0; seq < max_seq; seq++) {
        struct rec_fields f = { seq, nonce, sh->mem_errors, sh->mem_passes, now_ns() };

        rec_encode(sector, &f);
        while (pwrite(fd, sector, REC_SIZE, (off_t)(seq * REC_SIZE)) != REC_SIZE) {
            fprintf(stderr, "vsm-workload: write of record %llu failed: %s; retrying\n",
                    (unsigned long long)seq, strerror(errno));
            sleep(1);
        }
        if (seq % 250 == 0) {
            printf("vsm-workload: record %llu, memory errors %llu, passes %llu\n",
                   (unsigned long long)seq, (unsigned long long)f.mem_errors,
                   (unsigned long long)f.mem_passes);
            fflush(stdout);
        }
        next.tv_nsec += 20 * 1000000L;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    printf("vsm-workload: disk full after %llu records\n", (unsigned long long)seq);
    fflush(stdout);
    for (;;)
        pause();
}
