/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate-share: set up and check an SMB3 share for VM disks.
 *
 *   vsmigrate-share provision //SERVER/SHARE --hosts 'hosta$,hostb$' --admins 'LAB\Group'
 *                   [--read-only-hosts 'hostc$'] [--path SERVERPATH] [--exact] [--dry-run]
 *   vsmigrate-share check //SERVER/SHARE [--hosts ...] [--admins ...] [--read-only-hosts ...]
 *
 * Runs as the caller's Kerberos identity ($KRB5CCNAME) from any
 * domain-joined machine; vsmigrate-share(1) has the details. */
#include <config.h>

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "fileserver-hooks/acl.h"
#include "fileserver-hooks/netshare.h"
#include "fileserver-hooks/sharecheck.h"
#include "fileserver-hooks/smbshare.h"
#include "krb/krb.h"

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: vsmigrate-share provision //SERVER/SHARE --hosts LIST --admins LIST\n"
        "                        [--read-only-hosts LIST] [--path SERVERPATH] [--exact] [--dry-run]\n"
        "       vsmigrate-share check //SERVER/SHARE [--hosts LIST] [--admins LIST]\n"
        "                        [--read-only-hosts LIST] [--json | --lines]\n"
        "  provision  create the share if it is missing (needs --path, the folder on the\n"
        "             server), and give the share root's ACL what VM hosts and admins need;\n"
        "             ACEs of other accounts stay unless --exact; --dry-run shows the change\n"
        "  check      dialect, signing, encryption, the ACEs against those needed, and a\n"
        "             write test as the caller\n"
        "  LIST       comma-separated accounts: computer accounts end in '$' (hosta$),\n"
        "             groups may carry the domain (LAB\\VM Migration Admins)\n"
        "  --ldap-uri URI   the directory to look names up in (default: DNS SRV records)\n"
        "  --lines          check: RESULT<TAB>NAME<TAB>TEXT per line (as vsmigrate doctor reads)\n"
        "Runs with the caller's Kerberos ticket ($KRB5CCNAME); no password is ever asked.\n"
        "exit status: 0 ok; 1 a check failed or the change failed; 2 usage; 3 no usable\n"
        "ticket; 4 refused by the server; 5 server unreachable; 6 no such share or folder;\n"
        "7 the share already exists elsewhere\n");
}

struct options {
    const char *verb;
    const char *target;
    const char *hosts, *ro_hosts, *admins;
    const char *path;
    const char *ldap_uri;
    bool exact, dry_run, json;
};

/* --lines: one "RESULT<TAB>NAME<TAB>TEXT" per line, for vsmigrate doctor and
 * scripts; an error that stops the check is a line too. */
static bool lines_output;

static void
print_line(const char *result, const char *name, const char *text)
{
    printf("%s\t%s\t", result, name);
    for (const char *c = text; *c; c++)
        putchar(*c == '\t' || *c == '\n' || *c == '\r' ? ' ' : *c);
    putchar('\n');
}

static int
fail(struct vs_error *err)
{
    if (lines_output)
        print_line("fail", "share", err->message);
    fprintf(stderr, "vsmigrate-share: %s\n", err->message);
    return vs_exit_for(err->code);
}

static bool
roles_from(const struct options *o, struct share_roles *r, struct vs_error *err)
{
    memset(r, 0, sizeof *r);
    r->ldap_uri = o->ldap_uri;
    return share_names_split(o->hosts ? o->hosts : "", &r->hosts, &r->nhosts, err) &&
           share_names_split(o->ro_hosts ? o->ro_hosts : "", &r->ro_hosts, &r->nro_hosts, err) &&
           share_names_split(o->admins ? o->admins : "", &r->admins, &r->nadmins, err);
}

static void
roles_free(struct share_roles *r)
{
    krb_strv_free(r->hosts, r->nhosts);
    krb_strv_free(r->ro_hosts, r->nro_hosts);
    krb_strv_free(r->admins, r->nadmins);
}

static void
print_plan(const struct share_target *t, const struct acl_plan *p, bool dry_run)
{
    char line[600];

    printf("//%s/%s: the share root's ACL%s\n", t->server, t->share,
           dry_run ? " (dry run: nothing is changed)" : "");
    printf("  before:\n");
    for (size_t i = 0; i < p->n; i++)
        if (p->changes[i].kind != ACL_ADD) {
            acl_ace_describe(&p->changes[i].ace, line, sizeof line);
            printf("    %s\n", line);
        }
    printf("  after:\n");
    for (size_t i = 0; i < p->result.n; i++) {
        acl_ace_describe(&p->result.aces[i], line, sizeof line);
        printf("    %s\n", line);
    }
    printf("  diff:\n");
    for (size_t i = 0; i < p->n; i++) {
        acl_ace_describe(&p->changes[i].ace, line, sizeof line);
        printf("  %c %s\n", p->changes[i].kind == ACL_ADD ? '+' : p->changes[i].kind == ACL_REMOVE
                                                                  ? '-' : ' ', line);
    }
}

static int
do_provision(const struct options *o)
{
    struct share_target t;
    struct share_roles roles;
    struct acl_want *want = NULL;
    size_t nwant = 0;
    struct share_conn *c = NULL;
    struct acl_list cur;
    struct acl_plan plan;
    struct vs_error err;
    bool exists, created = false;
    int rc;

    if (!share_target_parse(o->target, &t, &err))
        return fail(&err);
    if (!o->hosts || !o->admins) {
        fprintf(stderr, "vsmigrate-share: provision needs --hosts (the computer accounts that "
                        "run VMs, e.g. 'hosta$,hostb$') and --admins (who manages VMs)\n");
        return VS_EXIT_USAGE;
    }
    if (!roles_from(o, &roles, &err))
        return fail(&err);
    if (!share_wanted_build(&roles, &want, &nwant, &err)) {
        roles_free(&roles);
        return fail(&err);
    }
    roles_free(&roles);
    /* Whether the share exists: a tree connect is the one answer every
     * server gives at once (Samba's MS-SRVS side learns of a new share
     * only when its worker reloads). */
    if (share_open(&t, &c, &err))
        exists = true;
    else if (err.code == VS_ERR_NOTFOUND)
        exists = false;
    else {
        free(want);
        return fail(&err);
    }
    if (!exists) {
        if (o->path == NULL) {
            fprintf(stderr, "vsmigrate-share: //%s/%s does not exist; to create it, give --path "
                            "with its folder on the server (for example --path /srv/vms)\n",
                    t.server, t.share);
            free(want);
            return VS_EXIT_NOTFOUND;
        }
        if (o->dry_run) {
            printf("//%s/%s: would create the share at %s on %s, then set its root's ACL "
                   "(dry run)\n", t.server, t.share, o->path, t.server);
            free(want);
            return VS_EXIT_OK;
        }
        if (!netshare_add(t.server, t.share, o->path, "VM disks (vsmigrate)", &err)) {
            free(want);
            return fail(&err);
        }
        printf("//%s/%s: created at %s\n", t.server, t.share, o->path);
        created = true;
        /* smbd loads a new share at the next tree connect; allow it a moment */
        for (int attempt = 0; !share_open(&t, &c, &err); attempt++) {
            if (attempt == 20) {
                free(want);
                return fail(&err);
            }
            usleep(250 * 1000);
        }
    }
    if (!share_read_acl(c, &cur, &err)) {
        share_close(c);
        free(want);
        return fail(&err);
    }
    /* a share made just now holds only the server's defaults: nobody's ACEs to keep */
    if (!acl_plan_make(&cur, want, nwant, o->exact || created, &plan, &err)) {
        acl_list_free(&cur);
        share_close(c);
        free(want);
        return fail(&err);
    }
    print_plan(&t, &plan, o->dry_run);
    rc = VS_EXIT_OK;
    if (plan.added == 0 && plan.removed == 0)
        printf("//%s/%s: nothing to change\n", t.server, t.share);
    else if (o->dry_run)
        printf("//%s/%s: would add %zu and remove %zu ACEs\n", t.server, t.share, plan.added,
               plan.removed);
    else if (!share_write_dacl(c, &plan.result, &err))
        rc = fail(&err);
    else
        printf("//%s/%s: added %zu and removed %zu ACEs\n", t.server, t.share, plan.added,
               plan.removed);
    acl_plan_free(&plan);
    acl_list_free(&cur);
    share_close(c);
    free(want);
    return rc;
}

static int
do_check(const struct options *o)
{
    struct share_target t;
    struct share_roles roles;
    struct acl_want *want = NULL;
    size_t nwant = 0, failures;
    struct share_report *rep = calloc(1, sizeof *rep);
    struct vs_error err;
    char tag[64];

    if (rep == NULL)
        return VS_EXIT_FAILED;
    if (!share_target_parse(o->target, &t, &err)) {
        free(rep);
        return fail(&err);
    }
    if (!roles_from(o, &roles, &err)) {
        free(rep);
        return fail(&err);
    }
    if (roles.nhosts + roles.nro_hosts + roles.nadmins > 0 &&
        !share_wanted_build(&roles, &want, &nwant, &err)) {
        roles_free(&roles);
        free(rep);
        return fail(&err);
    }
    roles_free(&roles);
    if (gethostname(tag, sizeof tag) != 0)
        snprintf(tag, sizeof tag, "host");
    tag[strcspn(tag, ".")] = '\0';
    share_check_run(&t, want, nwant, tag, rep);
    failures = share_report_failures(rep);
    if (o->json) {
        json_t *checks = json_array();
        for (size_t i = 0; i < rep->n; i++)
            json_array_append_new(checks, json_check(rep->items[i].name,
                                                     share_item_state_name(rep->items[i].state),
                                                     rep->items[i].text));
        json_print_line(stdout, json_pack("{s:s,s:b,s:o}", "share", o->target, "ok", failures == 0,
                                          "checks", checks));
    } else if (lines_output) {
        for (size_t i = 0; i < rep->n; i++)
            print_line(share_item_state_name(rep->items[i].state), rep->items[i].name,
                       rep->items[i].text);
    } else {
        for (size_t i = 0; i < rep->n; i++)
            printf("%-4s  %-22s %s\n", share_item_state_name(rep->items[i].state),
                   rep->items[i].name, rep->items[i].text);
        if (failures)
            printf("//%s/%s: %zu of %zu checks failed\n", t.server, t.share, failures, rep->n);
        else
            printf("//%s/%s: ready for VM disks\n", t.server, t.share);
    }
    free(want);
    free(rep);
    return failures ? VS_EXIT_FAILED : VS_EXIT_OK;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "hosts", required_argument, NULL, 'H' },
        { "read-only-hosts", required_argument, NULL, 'R' },
        { "admins", required_argument, NULL, 'A' },
        { "path", required_argument, NULL, 'p' },
        { "ldap-uri", required_argument, NULL, 'L' },
        { "exact", no_argument, NULL, 'x' },
        { "dry-run", no_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' },
        { "lines", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct options o = { 0 };
    int opt;

    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'H': o.hosts = optarg; break;
        case 'R': o.ro_hosts = optarg; break;
        case 'A': o.admins = optarg; break;
        case 'p': o.path = optarg; break;
        case 'L': o.ldap_uri = optarg; break;
        case 'x': o.exact = true; break;
        case 'n': o.dry_run = true; break;
        case 'j': o.json = true; break;
        case 'l': lines_output = true; break;
        case 'h': usage(stdout); return VS_EXIT_OK;
        default: usage(stderr); return VS_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return VS_EXIT_USAGE;
    }
    o.verb = argv[optind];
    o.target = argv[optind + 1];
    if (strcmp(o.verb, "provision") == 0) {
        if (o.json || lines_output) {
            fprintf(stderr, "vsmigrate-share: --json and --lines are for check\n");
            return VS_EXIT_USAGE;
        }
        return do_provision(&o);
    }
    if (strcmp(o.verb, "check") == 0) {
        if (o.exact || o.dry_run || o.path) {
            fprintf(stderr, "vsmigrate-share: --exact, --dry-run and --path are for provision\n");
            return VS_EXIT_USAGE;
        }
        return do_check(&o);
    }
    fprintf(stderr, "vsmigrate-share: unknown command '%s' (provision or check)\n", o.verb);
    usage(stderr);
    return VS_EXIT_USAGE;
}
