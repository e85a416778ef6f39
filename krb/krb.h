/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate krb/: mutual Kerberos authentication and two-hop constrained
 * delegation (S4U2Proxy) on MIT GSSAPI.
 *
 * The shape of a move's authentication:
 *
 *   ws (admin)  --GSSAPI, mutual-->  hosta: krb_acceptor / krb_accept_*
 *   hosta --proxy credential, S4U2Proxy-->  hostb: krb_initiate_* (as admin)
 *   hosta --S4U2Proxy-->  cifs/fs: krb_cifs_ccache_create (a FILE: ccache
 *                                  for libsmbclient, holding one ticket)
 *
 * The admin's TGT never leaves the workstation: the client asks for no
 * delegation, and the acceptor gets a proxy credential that the KDC honours
 * only toward the services in the host's msDS-AllowedToDelegateTo.
 *
 * No global state: every function works on the objects it is given. Nothing
 * here logs; errors come back as sentences in struct vs_error that name the
 * cause and the fix, and never contain a key, ticket or token.
 */
#ifndef VSM_KRB_H
#define VSM_KRB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gssapi/gssapi.h>

#include "common/error.h"

/* ---- errors -------------------------------------------------------------- */

/* What was being done when GSSAPI failed: it decides which explanation fits. */
enum krb_op {
    KRB_OP_ACQUIRE_ACCEPTOR,   /* opening the keytab for the service */
    KRB_OP_ACQUIRE_INITIATOR,  /* finding the caller's own TGT (the workstation) */
    KRB_OP_INIT,               /* starting a context toward a service with our own TGT */
    KRB_OP_ACCEPT,             /* accepting a client's context */
    KRB_OP_S4U2PROXY,          /* starting a context as the client, through a proxy credential */
    KRB_OP_STORE,              /* writing a ccache */
    KRB_OP_WRAP,
    KRB_OP_UNWRAP,
    KRB_OP_PRF,                /* deriving a key from a context (gss_pseudo_random) */
};

/* Facts that sharpen an explanation; any may be NULL or false. */
struct krb_hint {
    const char *target;        /* the principal we were trying to reach */
    const char *keytab;        /* the keytab in use */
    const char *service;       /* our own service principal */
    const char *impersonator;  /* the host account that delegates (e.g. hosta$@LAB.TEST) */
    const char *client;        /* the user we act for */
    bool evidence_known;       /* the two below were learned from the client's ticket */
    bool evidence_forwardable; /* the client's ticket to us was forwardable */
    bool client_not_delegated; /* the PAC marks the account "sensitive, cannot be delegated" */
};

/* Turn a GSS major/minor pair into one sentence with the cause and the fix,
 * written into err (code VS_ERR_AUTH or VS_ERR_DENIED or VS_ERR_UNAVAILABLE).
 * Pure apart from gss_display_status: unit-tested with synthetic codes. */
void krb_explain(enum krb_op op, uint32_t major, uint32_t minor, const struct krb_hint *hint,
                 struct vs_error *err);

/* ---- PAC ----------------------------------------------------------------- */

#define KRB_SID_MAX 192   /* "S-1-5-21-...": 1 + 1 + 15 sub-authorities, with room */

struct krb_pac_info {
    char user_sid[KRB_SID_MAX];
    char **group_sids;        /* primary group, groups, extra SIDs and resource groups */
    size_t ngroups;
    uint32_t acct_flags;      /* samr ACB_* flags */
    bool not_delegated;       /* ACB_NOT_DELEGATED: "sensitive and cannot be delegated" */
    char *logon_domain;       /* NetBIOS domain, e.g. LAB */
    char *account_name;       /* sAMAccountName, e.g. admin */
};

/* Decode a PAC_LOGON_INFO buffer (what GSSAPI's "urn:mspac:logon-info" name
 * attribute holds). false with err set on malformed input. */
bool krb_pac_decode_logon_info(const void *blob, size_t len, struct krb_pac_info *out,
                               struct vs_error *err);
/* Decode a PAC_CONSTRAINED_DELEGATION buffer ("urn:mspac:delegation-info"):
 * the services that delegated on the client's behalf, newest last. The
 * caller frees the array and its strings with krb_strv_free. */
bool krb_pac_decode_delegation(const void *blob, size_t len, char ***services, size_t *n,
                               struct vs_error *err);
void krb_pac_info_free(struct krb_pac_info *info);
void krb_strv_free(char **v, size_t n);
bool krb_pac_has_group(const struct krb_pac_info *info, const char *sid);

/* ---- acceptor ------------------------------------------------------------- */

struct krb_acceptor;
struct krb_context;

/* A credential for SPN (e.g. "vsmigrate/hosta.lab.test@LAB.TEST") from the
 * keytab, usable both ways (the keytab is the client keytab too), so that
 * accepting yields proxy credentials. Its TGT lives in a MEMORY ccache of its
 * own. */
bool krb_acceptor_open(const char *keytab, const char *spn, struct krb_acceptor **out,
                       struct vs_error *err);
void krb_acceptor_close(struct krb_acceptor *acc);
/* The machine account the acceptor's keytab holds ("HOSTA$@LAB.TEST"):
 * who this host is when it talks to a peer as itself. */
const char *krb_acceptor_machine(const struct krb_acceptor *acc);
/* The machine account NAME$@REALM in keytab, REALM that of spn (malloc'd);
 * false with err naming what to export into the keytab. */
bool krb_keytab_machine(const char *keytab, const char *spn, char **out, struct vs_error *err);

/* "vsmigrate/<fqdn>@<REALM>" for a host name: a name without a dot gets the
 * default realm's name, lowercased, as its domain; the realm is krb5.conf's
 * default. *out is malloc'd. Used when a config or command line names no SPN. */
bool krb_service_principal_for(const char *service, const char *host, char **out,
                               struct vs_error *err);

/* What an accepted client is. Filled in once the context is complete. */
struct krb_peer {
    char *principal;             /* admin@LAB.TEST */
    struct krb_pac_info pac;     /* user and group SIDs, account flags */
    bool have_pac;
    bool proxy_credential;       /* a usable proxy credential came back */
    bool ticket_forwardable;     /* the client's ticket to us was forwardable */
    char **delegated_by;         /* from the PAC: services that delegated, if any */
    size_t ndelegated_by;
};

/* ---- contexts (both sides) ------------------------------------------------ */

/* Start accepting. Feed each token from the client to krb_context_step. */
bool krb_accept_begin(struct krb_acceptor *acc, struct krb_context **out, struct vs_error *err);

/* Start a context toward target (an explicit principal, e.g.
 * "vsmigrate/hostb.lab.test@LAB.TEST"). With proxy == NULL the caller's
 * default ccache is used (the workstation); with a context accepted earlier,
 * its proxy credential is (S4U2Proxy: we act as that context's client).
 * Mutual authentication, replay and sequence detection are required. */
bool krb_initiate_begin(const char *target, struct krb_context *proxy, struct krb_context **out,
                        struct vs_error *err);

/* Start a context toward target as this host's machine account, with the
 * acceptor's own credential: for requests a host makes for itself (a
 * compatibility check toward a peer it may not delegate to). The acceptor
 * must outlive the context. */
bool krb_initiate_as_host(const char *target, struct krb_acceptor *acc, struct krb_context **out,
                          struct vs_error *err);

/* One round: in/inlen is the peer's token (NULL/0 for an initiator's first
 * call). *out (malloc'd, may be NULL) goes to the peer. *done is set when the
 * context is complete on this side. */
bool krb_context_step(struct krb_context *ctx, const void *in, size_t inlen, void **out,
                      size_t *outlen, bool *done, struct vs_error *err);

/* Accepted contexts: who the client is. NULL before completion. */
const struct krb_peer *krb_context_peer(const struct krb_context *ctx);

void krb_context_free(struct krb_context *ctx);

/* ---- CIFS hand-off -------------------------------------------------------- */

/* Obtain a ticket for cifs_principal ("cifs/fs.lab.test@LAB.TEST") as the
 * accepted client, through S4U2Proxy, and write it alone into a FILE: ccache
 * in a new 0700 directory under parent_dir. *ccache_name is "FILE:/...". */
struct krb_ccache_file;
bool krb_cifs_ccache_create(struct krb_context *accepted, const char *cifs_principal,
                            const char *parent_dir, struct krb_ccache_file **out,
                            struct vs_error *err);
const char *krb_ccache_file_name(const struct krb_ccache_file *cc);
/* Delete the ccache and its directory, and free cc. */
void krb_ccache_file_remove(struct krb_ccache_file *cc);

/* ---- a host's own check (vsmigrate doctor) ------------------------------------ */

struct krb_keytab_status {
    char machine[256];           /* the machine account as the keytab spells it */
    int machine_kvno;            /* highest in the keytab; -1: no entry */
    int service_kvno;
    bool tgt_ok;                 /* the machine account got a TGT with the keytab's key */
    bool tgt_stale_key;          /* ... and the KDC said the key is wrong */
    char tgt_error[512];
    long clock_skew;             /* the KDC's clock minus ours, seconds (with tgt_ok) */
    int kdc_service_kvno;        /* the kvno of a fresh ticket for the SPN; -1 unknown */
    char service_error[512];
};

/* Look at keytab for machine (HOSTA$@REALM) and spn, and ask the KDC:
 * false only when the keytab cannot be used at all. */
bool krb_keytab_examine(const char *keytab, const char *machine, const char *spn,
                        struct krb_keytab_status *st, struct vs_error *err);

/* A real S4U2Proxy as this host toward target ("vsmigrate/hostb...@R" or
 * "cifs/fs...@R"), with the host's own ticket to itself as the evidence:
 * true when the KDC grants it; otherwise err says why and how to fix it. */
bool krb_delegation_probe(struct krb_acceptor *acc, const char *target, struct vs_error *err);

/* ---- group names ------------------------------------------------------------ */

/* Resolve group names ("LAB\VM Migration Admins", "Domain Admins"; a SID is
 * taken as it is) to SIDs in the domain's directory, bound with SASL GSSAPI
 * as acc's machine account. ldap_uri NULL: the servers from DNS SRV records
 * of the realm's domain. All or nothing: *sids (n strings, krb_strv_free)
 * only on success. */
bool krb_groups_resolve(struct krb_acceptor *acc, const char *ldap_uri, char *const *names,
                        size_t n, char ***sids, struct vs_error *err);
/* The same for any account names (users, computers as "NAME$", groups),
 * bound as the caller: the default ccache ($KRB5CCNAME). */
bool krb_accounts_resolve(const char *ldap_uri, char *const *names, size_t n, char ***sids,
                          struct vs_error *err);
/* The default ccache's principal ("admin@LAB.TEST"); false (and "") when
 * there is no ticket. */
bool krb_default_principal(char *buf, size_t len);
/* A binary SID (as in objectSid) as text; false if malformed. Pure. */
bool krb_sid_from_binary(const void *data, size_t len, char *out, size_t outlen);

/* ---- message protection --------------------------------------------------- */

enum krb_unwrap_status {
    KRB_UNWRAP_OK,
    KRB_UNWRAP_TAMPERED,      /* the checksum does not match: altered in transit */
    KRB_UNWRAP_REPLAYED,      /* a message already received, sent again */
    KRB_UNWRAP_OUT_OF_ORDER,  /* an older message after a newer one */
    KRB_UNWRAP_GAP,           /* a message in between never arrived */
    KRB_UNWRAP_MALFORMED,     /* not a wrap token at all */
    KRB_UNWRAP_FAILED,        /* anything else (the context expired, ...) */
};

/* Pure: classify gss_unwrap's major status. */
enum krb_unwrap_status krb_unwrap_classify(uint32_t major);
const char *krb_unwrap_status_text(enum krb_unwrap_status s);

/* Integrity always; confidentiality when asked. *out is malloc'd. */
bool krb_wrap(struct krb_context *ctx, bool confidential, const void *in, size_t inlen,
              void **out, size_t *outlen, struct vs_error *err);
/* KRB_UNWRAP_OK with *out (malloc'd) and *confidential; otherwise err says
 * what was wrong with the message and *out is NULL. */
enum krb_unwrap_status krb_unwrap(struct krb_context *ctx, const void *in, size_t inlen,
                                  void **out, size_t *outlen, bool *confidential,
                                  struct vs_error *err);

/* ---- keys derived from a context (prf.c) ---------------------------------- */

#define KRB_PRF_MAX 64

/* outlen (at most KRB_PRF_MAX) bytes from the established context's full
 * session key through gss_pseudo_random (RFC 4401, RFC 7802 for Kerberos),
 * with input as the PRF's input. Both ends of a context get the same bytes
 * for the same input, and nobody else can: a key for a stream bound to
 * this authentication (the tunnel's TLS PSK). */
bool krb_context_prf(struct krb_context *ctx, const void *input, size_t inputlen, void *out,
                     size_t outlen, struct vs_error *err);

#endif
