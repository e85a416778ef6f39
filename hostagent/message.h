/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/message.h: the messages inside SEALED frames.
 *
 * After krb/'s unwrap, a message is
 *
 *   0  u8  kind        REQUEST, REPLY or EVENT
 *   1  u8  0           reserved, must be zero
 *   2  u16 count       number of fields, at most VSM_MSG_FIELDS_MAX
 *   4  u32 id          request id, chosen by the client, never 0; a reply
 *                      and the events of a request carry its id
 *   8  fields, each:   u16 tag, u32 length, value
 *
 * Every tag has a fixed type (text or u64), a length limit, and a scope.
 * A RECORD field (its value an enum vsm_record_kind) starts a record: the
 * fields after it, up to the next RECORD, are that record's, each at most
 * once per record, and only tags whose scope allows a record. Tags that
 * belong to the message only (action, result, message, ...) are the
 * message's wherever they stand, each at most once; tags that may be either
 * are the message's only before the first record. Lists travel so: one record per check of a
 * report, per VM of a list, per job or setting of a status. Meaning is in
 * typed fields (pass, code, memory_mib), never in text to be searched.
 * An unknown tag, a second copy of a field, a field outside its scope, a
 * control character in text or a byte left over refuses the whole message.
 * Pure code: unit-tested and fuzzed. docs/protocol.md lists the tags and
 * what each request carries. */
#ifndef VSM_HOSTAGENT_MESSAGE_H
#define VSM_HOSTAGENT_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define VSM_MSG_FIELDS_MAX 512
#define VSM_MSG_HEADER 8
#define VSM_PARALLEL_MAX 8

enum vsm_msg_kind { VSM_MSG_REQUEST = 1, VSM_MSG_REPLY = 2, VSM_MSG_EVENT = 3 };

enum vsm_tag {
    VSM_TAG_ACTION = 1,     /* text: status, list, check, move, cancel, ... */
    VSM_TAG_VM,             /* text: a libvirt domain name */
    VSM_TAG_FROM,           /* text: source host */
    VSM_TAG_TO,             /* text: destination host */
    VSM_TAG_JOB,            /* text: a job id */
    VSM_TAG_RESULT,         /* u64: enum vs_errcode, 0 = ok */
    VSM_TAG_MESSAGE,        /* text: a sentence for a person */
    VSM_TAG_RECORD,         /* u64: enum vsm_record_kind; starts a record */
    VSM_TAG_PROGRESS,       /* u64: per mille done */
    VSM_TAG_PHASE,          /* text: the phase a job is in */
    VSM_TAG_ON_BEHALF_OF,   /* text: the admin a hop-2 request acts for */
    VSM_TAG_DOMAIN_XML,     /* text with line ends: a libvirt domain definition */
    VSM_TAG_VIA,            /* text: the host a request was forwarded through */
    VSM_TAG_NAME,           /* text, in a record: a check's, VM's, setting's or network's name */
    VSM_TAG_PASS,           /* u64 0 or 1, in a CHECK record */
    VSM_TAG_CODE,           /* u64 enum vs_errcode, in a CHECK record: what kind of failure */
    VSM_TAG_TEXT,           /* text, in a record: a check's reason, a setting's value */
    VSM_TAG_STATE,          /* text, in a VM record: libvirt's state */
    VSM_TAG_MEMORY_MIB,     /* u64, in a VM record */
    VSM_TAG_VCPUS,          /* u64, in a VM record */
    VSM_TAG_CHANNEL,        /* text: a tunnel's channel, "libvirt" or "migration" */
    VSM_TAG_BYTES,          /* u64: bytes of memory sent so far */
    VSM_TAG_TOTAL_BYTES,    /* u64: the guest's memory, what a first pass sends */
    VSM_TAG_REMAINING,      /* u64: bytes still to send (dirty memory) */
    VSM_TAG_RATE,           /* u64: bytes per second, lately */
    VSM_TAG_ITERATIONS,     /* u64: passes over memory */
    VSM_TAG_ELAPSED_MS,     /* u64: since the move began */
    VSM_TAG_DOWNTIME_MS,    /* u64: source vCPUs stopped to destination running, host clocks */
    VSM_TAG_LIBVIRT_DOWNTIME_MS, /* u64: libvirt's own figure (ends at Finish, before the hand-off) */
    VSM_TAG_HANDOFF_MS,     /* u64: the writer hand-off inside the downtime */
    VSM_TAG_RESUMED_AT,     /* u64: unix time in ms when the destination took the writer */
    VSM_TAG_PARALLEL,       /* u64: a move's multifd channels, 1 to VSM_PARALLEL_MAX */
    VSM_TAG_MIGRATION_MS,   /* u64: libvirt's migration alone (the move less its pre-flight) */
    VSM_TAG_DEFINITION_SAVED, /* u64: 1 the definition on the share was updated after a move, 0 not */
    VSM_TAG_DEFINITION_ERROR, /* text: why it was not */
    VSM_TAG_QUEUE_PLACE,    /* u64: a waiting move's place in its host's queue, 1 next */
    VSM_TAG_BANDWIDTH,      /* u64: a move's bandwidth cap, MiB/s */
    VSM_TAG_MAX_DOWNTIME_MS,/* u64: the downtime a move aims for */
    VSM_TAG_BLACKOUT_POLICY,/* text: "cancel" or "continue" when the downtime is not reached in time */
    VSM_TAG_COMPRESS,       /* u64: 1 compress the memory stream */
    VSM_TAG_QUEUED_MS,      /* u64: how long a move waited for its turn */
    VSM_TAG_VALUE,          /* u64, in a check record: its figure (memory: free MiB there) */
    VSM_TAG_NETWORK,        /* text: the migration network a move went over, "CIDR via ADDRESS" */
    VSM_TAG_RUNS_HERE,      /* u64 0 or 1, vm-state's answer: the VM runs there holding its writer */
    VSM_TAG_QUEUE_STATE,    /* u64: enum vsm_queue_state (job records; a waiting move's EVENTs) */
    VSM__TAG_END
};

/* how a job stands in its host's queue (status's job records) */
enum vsm_queue_state {
    VSM_QUEUE_RUNNING = 0,  /* its turn came */
    VSM_QUEUE_CROSSED,      /* runs, let in over the limit: a crossing move (jobs.h) */
    VSM_QUEUE_WAITING,      /* waits for a slot, at its queue_place */
    VSM_QUEUE_MENDING,      /* waits while the agent mends its VM here (a disk export
                             * started again, a resume): then its turn decides */
    VSM__QUEUE_END
};

enum vsm_record_kind {
    VSM_RECORD_CHECK = 1,   /* NAME, PASS, CODE, TEXT, VALUE (optional) */
    VSM_RECORD_VM,          /* NAME, STATE, MEMORY_MIB, VCPUS */
    VSM_RECORD_SETTING,     /* NAME, TEXT */
    VSM_RECORD_JOB,         /* JOB, VM, TO, PHASE, PROGRESS, ON_BEHALF_OF, QUEUE_PLACE, QUEUE_STATE */
    VSM_RECORD_NETWORK,     /* NAME */
    VSM_RECORD_ADDRESS,     /* NAME (an address of the destination), NETWORK: its migration networks, in order */
    VSM__RECORD_END
};

struct vsm_field {
    enum vsm_tag tag;
    const uint8_t *text;    /* text fields: not NUL-terminated; points into the input */
    uint32_t len;
    uint64_t number;        /* u64 fields */
};

struct vsm_message {
    enum vsm_msg_kind kind;
    uint32_t id;
    size_t n;
    struct vsm_field fields[VSM_MSG_FIELDS_MAX];
};

/* Parse a whole message; err says what was wrong (and where). */
bool vsm_message_parse(const uint8_t *data, size_t len, struct vsm_message *m, struct vs_error *err);

/* Writing: begin, add fields, end (which fills in the count). */
void vsm_message_begin(struct vs_writer *w, enum vsm_msg_kind kind, uint32_t id);
bool vsm_message_add_text(struct vs_writer *w, enum vsm_tag tag, const char *text);
bool vsm_message_add_u64(struct vs_writer *w, enum vsm_tag tag, uint64_t value);
bool vsm_message_end(struct vs_writer *w, struct vs_error *err);

/* The request id of a message being written (0 before vsm_message_begin). */
uint32_t vsm_message_writer_id(const struct vs_writer *w);

/* Lookups of the message's own fields (see above). _text copies
 * into buf (NUL-terminated); false if absent. */
bool vsm_message_text(const struct vsm_message *m, enum vsm_tag tag, char *buf, size_t len);
/* A malloc'd copy of a text field (NULL if absent or out of memory). */
char *vsm_message_strdup(const struct vsm_message *m, enum vsm_tag tag);
bool vsm_message_u64(const struct vsm_message *m, enum vsm_tag tag, uint64_t *value);

/* Records. Writing: vsm_message_record(w, kind), then its fields. */
bool vsm_message_record(struct vs_writer *w, enum vsm_record_kind kind);

struct vsm_record {
    enum vsm_record_kind kind;
    const struct vsm_field *fields;   /* the fields after the RECORD field */
    size_t n;
};
/* The next record after *pos (start with *pos = 0); false when none is left. */
bool vsm_record_next(const struct vsm_message *m, size_t *pos, struct vsm_record *r);
/* How many records of kind (0: any) the message has. */
size_t vsm_record_count(const struct vsm_message *m, enum vsm_record_kind kind);
bool vsm_record_text(const struct vsm_record *r, enum vsm_tag tag, char *buf, size_t len);
bool vsm_record_u64(const struct vsm_record *r, enum vsm_tag tag, uint64_t *value);

const char *vsm_tag_name(enum vsm_tag tag);
/* Is tag a u64 field (else text)? */
bool vsm_tag_is_number(enum vsm_tag tag);
/* "running", "crossed", "waiting", "mending"; "unknown" for anything else */
const char *vsm_queue_state_name(uint64_t state);

#endif
