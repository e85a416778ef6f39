/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/acl.c: parse, plan and print a share root's ACL. Pure. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileserver-hooks/acl.h"

#define FILE_DELETE_CHILD 0x00000040u
#define WRITE_BITS 0x00000116u      /* write data, append, write EA... as "W" in smbcacls */

bool
acl_sid_valid(const char *sid)
{
    size_t parts = 0, len = strlen(sid);
    const char *p = sid + 4;

    if (len < 5 || len >= ACL_SID_MAX || strncmp(sid, "S-1-", 4) != 0)
        return false;
    /* the authority, then up to 15 sub-authorities: digit runs joined by '-' */
    for (;;) {
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > (parts == 0 ? 15 : 10))
            return false;
        parts++;
        p += digits;
        if (*p == '\0')
            return parts <= 16;
        if (*p++ != '-')
            return false;
    }
}

/* A number of at most maxdigits in base; the whole span [p, end) must be it. */
static bool
parse_number(const char *p, const char *end, int base, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;

    if (p == end)
        return false;
    for (; p < end; p++) {
        int d;
        if (isdigit((unsigned char)*p))
            d = *p - '0';
        else if (base == 16 && isxdigit((unsigned char)*p))
            d = tolower((unsigned char)*p) - 'a' + 10;
        else
            return false;
        if (v > (max - (unsigned long)d) / (unsigned long)base)
            return false;
        v = v * (unsigned long)base + (unsigned long)d;
    }
    *out = v;
    return true;
}

static bool
copy_sid(char *dst, const char *p, const char *end)
{
    size_t len = (size_t)(end - p);

    if (len == 0 || len >= ACL_SID_MAX)
        return false;
    memcpy(dst, p, len);
    dst[len] = '\0';
    return acl_sid_valid(dst);
}

/* "SID:TYPE/FLAGS/0xMASK" */
static bool
parse_ace(const char *p, const char *end, struct acl_ace *a)
{
    const char *colon = NULL, *s1, *s2;
    unsigned long v;

    /* the SID ends at the last ':' (a SID has none) */
    for (const char *q = p; q < end; q++)
        if (*q == ':')
            colon = q;
    if (colon == NULL || !copy_sid(a->sid, p, colon))
        return false;
    p = colon + 1;
    s1 = memchr(p, '/', (size_t)(end - p));
    if (s1 == NULL)
        return false;
    s2 = memchr(s1 + 1, '/', (size_t)(end - s1 - 1));
    if (s2 == NULL)
        return false;
    if (!parse_number(p, s1, 10, 255, &v) || v > 1)   /* only allowed and denied ACEs in a DACL */
        return false;
    a->type = (unsigned)v;
    if (!parse_number(s1 + 1, s2, 10, 255, &v))
        return false;
    a->flags = (unsigned)v;
    if (end - s2 < 4 || s2[1] != '0' || (s2[2] != 'x' && s2[2] != 'X') ||
        !parse_number(s2 + 3, end, 16, 0xffffffffUL, &v))
        return false;
    a->mask = (uint32_t)v;
    a->name[0] = '\0';
    return true;
}

bool
acl_parse(const char *text, size_t len, struct acl_list *out, struct vs_error *err)
{
    const char *p = text, *end;
    size_t cap = 0;

    memset(out, 0, sizeof *out);
    if (len > ACL_TEXT_MAX) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the file server sent a %zu-byte security descriptor "
                     "(more than %d): refusing it", len, ACL_TEXT_MAX);
        return false;
    }
    /* libsmbclient counts the terminating NUL in some versions */
    while (len > 0 && text[len - 1] == '\0')
        len--;
    end = text + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *tok_end = comma ? comma : end;
        size_t toklen = (size_t)(tok_end - p);
        unsigned long v;

        if (toklen > 9 && strncmp(p, "REVISION:", 9) == 0) {
            if (!parse_number(p + 9, tok_end, 10, 255, &v))
                goto bad;
            out->revision = (unsigned)v;
        } else if (toklen > 6 && strncmp(p, "OWNER:", 6) == 0) {
            if (!copy_sid(out->owner, p + 6, tok_end))
                goto bad;
        } else if (toklen > 6 && strncmp(p, "GROUP:", 6) == 0) {
            if (!copy_sid(out->group, p + 6, tok_end))
                goto bad;
        } else if (toklen > 4 && strncmp(p, "ACL:", 4) == 0) {
            if (out->n == ACL_MAX_ACES) {
                vs_error_set(err, VS_ERR_PROTOCOL, "the share root's ACL has more than %d "
                             "entries: refusing it", ACL_MAX_ACES);
                acl_list_free(out);
                return false;
            }
            if (out->n == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct acl_ace *na = realloc(out->aces, ncap * sizeof *na);
                if (na == NULL) {
                    vs_error_set(err, VS_ERR_NOMEM, "out of memory");
                    acl_list_free(out);
                    return false;
                }
                out->aces = na;
                cap = ncap;
            }
            if (!parse_ace(p + 4, tok_end, &out->aces[out->n]))
                goto bad;
            out->n++;
        } else if (toklen != 0) {
            goto bad;
        }
        p = comma ? comma + 1 : end;
    }
    return true;
bad:
    vs_error_set(err, VS_ERR_PROTOCOL, "the file server's security descriptor is malformed near "
                 "\"%.40s\": is this a Windows or Samba file server?", p);
    acl_list_free(out);
    return false;
}

void
acl_attach_names(struct acl_list *l, const char *text, size_t len)
{
    const char *p = text, *end;
    size_t i = 0;
    char (*names)[ACL_NAME_MAX] = calloc(l->n ? l->n : 1, sizeof *names);

    if (names == NULL)
        return;
    while (len > 0 && text[len - 1] == '\0')
        len--;
    end = text + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *tok_end = comma ? comma : end, *colon = NULL;

        if (tok_end - p > 4 && strncmp(p, "ACL:", 4) == 0) {
            for (const char *q = p + 4; q < tok_end; q++)
                if (*q == ':')
                    colon = q;
            /* a name with a comma in it would shift everything: give up */
            if (i == l->n || colon == NULL || colon - (p + 4) >= ACL_NAME_MAX)
                goto out;
            snprintf(names[i], ACL_NAME_MAX, "%.*s", (int)(colon - (p + 4)), p + 4);
            /* Samba's own names for "no domain" start with '\' */
            if (names[i][0] == '\\')
                memmove(names[i], names[i] + 1, strlen(names[i]));
            i++;
        }
        p = comma ? comma + 1 : end;
    }
    if (i == l->n)
        for (i = 0; i < l->n; i++)
            if (strcmp(names[i], l->aces[i].sid) != 0)
                snprintf(l->aces[i].name, ACL_NAME_MAX, "%s", names[i]);
out:
    free(names);
}

void
acl_list_free(struct acl_list *l)
{
    free(l->aces);
    l->aces = NULL;
    l->n = 0;
}

char *
acl_format_dacl(const struct acl_list *l)
{
    size_t cap = l->n * (ACL_SID_MAX + 32) + 1, used = 0;
    char *s = malloc(cap);

    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < l->n; i++)
        /* decimal: libsmbclient 4.17 reads the numeric form with %u, so "0x..." would be 0 */
        used += (size_t)snprintf(s + used, cap - used, "%sACL:%s:%u/%u/%u", i ? "," : "",
                                 l->aces[i].sid, l->aces[i].type, l->aces[i].flags,
                                 l->aces[i].mask);
    return s;
}

bool
acl_mask_equivalent(uint32_t have, uint32_t want)
{
    return (have & ~FILE_DELETE_CHILD) == (want & ~FILE_DELETE_CHILD);
}

void
acl_mask_words(uint32_t mask, char *buf, size_t len)
{
    if (acl_mask_equivalent(mask, ACL_MASK_FULL))
        snprintf(buf, len, "FULL");
    else if (acl_mask_equivalent(mask, ACL_MASK_CHANGE))
        snprintf(buf, len, "CHANGE");
    else if (mask == ACL_MASK_READ)
        snprintf(buf, len, "READ");
    else
        snprintf(buf, len, "0x%08x", mask);
}

void
acl_flag_words(unsigned flags, char *buf, size_t len)
{
    static const struct { unsigned bit; const char *word; } words[] = {
        { ACE_FLAG_OI, "OI" }, { ACE_FLAG_CI, "CI" }, { ACE_FLAG_NP, "NP" },
        { ACE_FLAG_IO, "IO" }, { ACE_FLAG_INHERITED, "I" },
    };
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0] && used < len; i++)
        if (flags & words[i].bit)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "|" : "", words[i].word);
    if (used == 0)
        snprintf(buf, len, "-");
}

void
acl_ace_describe(const struct acl_ace *a, char *buf, size_t len)
{
    char mask[16], flags[24];

    acl_mask_words(a->mask, mask, sizeof mask);
    acl_flag_words(a->flags, flags, sizeof flags);
    if (a->name[0])
        snprintf(buf, len, "%-7s %-9s %-6s %s (%s)", a->type == ACE_DENIED ? "DENIED" : "ALLOWED",
                 flags, mask, a->name, a->sid);
    else
        snprintf(buf, len, "%-7s %-9s %-6s %s", a->type == ACE_DENIED ? "DENIED" : "ALLOWED", flags,
                 mask, a->sid);
}

static const struct acl_want *
wanted_for(const struct acl_want *want, size_t n, const char *sid)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(want[i].sid, sid) == 0)
            return &want[i];
    return NULL;
}

static bool
push_change(struct acl_plan *p, size_t *cap, enum acl_change_kind kind, const struct acl_ace *a)
{
    if (p->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct acl_change *nc = realloc(p->changes, ncap * sizeof *nc);
        if (nc == NULL)
            return false;
        p->changes = nc;
        *cap = ncap;
    }
    p->changes[p->n].kind = kind;
    p->changes[p->n].ace = *a;
    p->n++;
    p->added += kind == ACL_ADD;
    p->removed += kind == ACL_REMOVE;
    return true;
}

bool
acl_plan_make(const struct acl_list *cur, const struct acl_want *want, size_t nwant, bool exact,
              struct acl_plan *out, struct vs_error *err)
{
    size_t cap = 0, nres = 0;
    bool *matched = calloc(nwant ? nwant : 1, sizeof *matched);
    struct acl_ace *res = calloc(cur->n + nwant + 1, sizeof *res);

    memset(out, 0, sizeof *out);
    if (matched == NULL || res == NULL)
        goto nomem;
    for (size_t i = 0; i < nwant; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(want[i].sid, want[j].sid) == 0) {
                vs_error_set(err, VS_ERR_INVALID, "%s is named twice (%s and %s): give each "
                             "account one role", want[i].sid, want[j].name, want[i].name);
                free(matched);
                free(res);
                return false;
            }
    /* decide each present ACE */
    for (size_t i = 0; i < cur->n; i++) {
        const struct acl_ace *a = &cur->aces[i];
        const struct acl_want *w = wanted_for(want, nwant, a->sid);
        bool keep;

        if (a->flags & ACE_FLAG_INHERITED)
            keep = true;
        else if (w != NULL) {
            size_t wi = (size_t)(w - want);
            keep = a->type == ACE_ALLOWED && a->flags == w->flags &&
                   acl_mask_equivalent(a->mask, w->mask) && !matched[wi];
            if (keep)
                matched[wi] = true;
        } else
            keep = !exact;
        if (!push_change(out, &cap, keep ? ACL_KEEP : ACL_REMOVE, a))
            goto nomem;
    }
    for (size_t i = 0; i < nwant; i++) {
        struct acl_ace a = { .type = ACE_ALLOWED, .flags = want[i].flags, .mask = want[i].mask };
        if (matched[i])
            continue;
        snprintf(a.sid, sizeof a.sid, "%s", want[i].sid);
        snprintf(a.name, sizeof a.name, "%s", want[i].name);
        if (!push_change(out, &cap, ACL_ADD, &a))
            goto nomem;
    }
    /* the order Windows expects: explicit denied, explicit allowed, inherited */
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < out->n; i++) {
            const struct acl_ace *a = &out->changes[i].ace;
            bool inherited = a->flags & ACE_FLAG_INHERITED;
            int kind = inherited ? 2 : a->type == ACE_DENIED ? 0 : 1;
            if (out->changes[i].kind != ACL_REMOVE && kind == pass)
                res[nres++] = *a;
        }
    out->result.revision = cur->revision;
    snprintf(out->result.owner, sizeof out->result.owner, "%s", cur->owner);
    snprintf(out->result.group, sizeof out->result.group, "%s", cur->group);
    out->result.aces = res;
    out->result.n = nres;
    free(matched);
    return true;
nomem:
    vs_error_set(err, VS_ERR_NOMEM, "out of memory");
    free(matched);
    free(res);
    free(out->changes);
    memset(out, 0, sizeof *out);
    return false;
}

void
acl_plan_free(struct acl_plan *p)
{
    free(p->changes);
    acl_list_free(&p->result);
    memset(p, 0, sizeof *p);
}

enum acl_grant
acl_grants(const struct acl_list *l, const struct acl_want *w)
{
    uint32_t inheritable = 0, here = 0;
    bool any = false;
    unsigned both = ACE_FLAG_OI | ACE_FLAG_CI;

    for (size_t i = 0; i < l->n; i++) {
        const struct acl_ace *a = &l->aces[i];
        if (strcmp(a->sid, w->sid) != 0)
            continue;
        if (a->type == ACE_DENIED)
            return ACL_DENIED_ACE;
        any = true;
        if ((a->flags & both) == both && !(a->flags & ACE_FLAG_NP))
            inheritable |= a->mask;
        if (!(a->flags & ACE_FLAG_IO))
            here |= a->mask;
    }
    if (!any)
        return ACL_MISSING;
    if (w->flags & ACE_FLAG_IO)     /* wanted for what is created below only */
        here = w->mask;
    if ((inheritable & w->mask) == w->mask && (here & w->mask) == w->mask)
        return (w->mask & WRITE_BITS) == 0 && ((inheritable | here) & WRITE_BITS) ? ACL_TOO_STRONG
                                                                                 : ACL_GRANTED;
    if ((here & w->mask) == w->mask)
        return ACL_NOT_INHERITED;
    return ACL_WEAKER;
}

const char *
acl_grant_text(enum acl_grant g)
{
    switch (g) {
    case ACL_GRANTED: return "granted";
    case ACL_MISSING: return "no ACE";
    case ACL_WEAKER: return "less than needed";
    case ACL_NOT_INHERITED: return "on the root only, not inherited by the VM folders";
    case ACL_DENIED_ACE: return "a DENIED ACE";
    case ACL_TOO_STRONG: return "more than read-only";
    }
    return "?";
}
