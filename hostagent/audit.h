/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/audit.h: one record per request, and per refused connection.
 *
 * Each record goes to syslog (LOG_AUTHPRIV, so journald keeps it with the
 * other security records) and as one JSON object per line to the audit file:
 * who, via which host, from which address, the action and its object, the
 * result and how long it took. Never a ticket, key or token. Records are
 * ASCII: anything else is escaped (\uXXXX), so no bidi control or other
 * Unicode trick in a name the caller chose acts on the terminal that shows
 * the log. */
#ifndef VSM_HOSTAGENT_AUDIT_H
#define VSM_HOSTAGENT_AUDIT_H

#include <stdbool.h>

#include "common/error.h"

/* A move's figures; a field below 0 is left out. */
struct audit_move {
    bool present;
    long long downtime_ms;           /* source vCPUs stopped to destination running, host clocks */
    long long libvirt_downtime_ms;   /* libvirt's figure, which ends before the hand-off */
    long long handoff_ms;
    long long total_ms;
    long long bytes;
    long long iterations;
    const char *role;                /* "source" or "destination" */
    int definition_saved;            /* the share's copy updated: 1, not: 0, not the source's job: -1 */
    long long queued_ms;             /* waited for a migration slot on this host */
    long long slot_from, slot_until; /* unix ms: held a migration slot here (0: unknown) */
    const char *network;             /* the migration network the tunnels used, or NULL */
};

struct audit_record {
    const char *user;        /* the admin, or the peer host, or "uid 0 (root)" */
    const char *via;         /* the peer host that delegated or asked; NULL: direct */
    const char *address;     /* the client's address */
    const char *action;      /* "connect" for a refused connection */
    const char *vm;
    const char *from;
    const char *to;
    const char *job;
    enum vs_errcode result;
    const char *message;     /* the refusal or failure, for a person */
    long long duration_ms;
    unsigned long unrecorded; /* refusals from the same address left out before this one */
    const struct audit_move *move;   /* NULL, or a move's figures */
};

/* Refusals before authentication cost an attacker nothing, so each address
 * gets AUDIT_REFUSALS_PER_MINUTE records a minute; past that, one record in
 * AUDIT_REFUSAL_SAMPLE is written, and each record says how many refusals
 * from that address were left out before it ("unrecorded"). Writes r (for
 * source, an IP address) or counts it. */
#define AUDIT_REFUSALS_PER_MINUTE 20
#define AUDIT_REFUSAL_SAMPLE 100
void audit_write_refusal(const char *host, const char *source, struct audit_record *r);

/* Open (create, 0640, append) the audit file; false with err. A NULL or
 * empty path: syslog only. Safe to call again on reload. */
bool audit_open(const char *path, struct vs_error *err);
void audit_close(void);
/* Write a record; thread-safe. host is this host's name. */
void audit_write(const char *host, const struct audit_record *r);

#endif
