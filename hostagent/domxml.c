/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/domxml.c: the parts of a domain definition a check needs. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "hostagent/domxml.h"

static xmlNode *
child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static void
copy_prop(xmlNode *n, const char *prop, char *out, size_t len)
{
    xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)prop) : NULL;
    snprintf(out, len, "%s", v ? (const char *)v : "");
    xmlFree(v);
}

/* <memory unit='MiB'>256</memory>; libvirt's default unit is KiB. */
static bool
memory_of(xmlNode *mem, uint64_t *bytes)
{
    static const struct { const char *unit; uint64_t mult; } units[] = {
        { "b", 1 }, { "bytes", 1 }, { "KiB", 1024 }, { "k", 1024 }, { "KB", 1000 },
        { "MiB", 1024 * 1024 }, { "M", 1024 * 1024 }, { "MB", 1000 * 1000 },
        { "GiB", 1024ULL * 1024 * 1024 }, { "G", 1024ULL * 1024 * 1024 },
        { "GB", 1000ULL * 1000 * 1000 }, { "TiB", 1024ULL * 1024 * 1024 * 1024 },
    };
    xmlChar *text = xmlNodeGetContent(mem);
    xmlChar *unit = xmlGetProp(mem, (const xmlChar *)"unit");
    uint64_t mult = 1024;
    char *end;
    bool ok = text != NULL;
    unsigned long long v = ok ? strtoull((const char *)text, &end, 10) : 0;

    if (ok && (end == (char *)text || *end != '\0'))
        ok = false;
    if (ok && unit) {
        ok = false;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strcmp(units[i].unit, (const char *)unit) == 0) {
                mult = units[i].mult;
                ok = true;
            }
    }
    if (ok && v > UINT64_MAX / mult)
        ok = false;
    *bytes = ok ? v * mult : 0;
    xmlFree(text);
    xmlFree(unit);
    return ok;
}

/* Markup declarations (<!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST) before
 * libxml2 sees them: a definition from another host may define internal
 * entities that expand a few hundred KiB into gigabytes (libxml2's loop
 * check stops only the nested "billion laughs"). libvirt's definitions have
 * no DTD, so any is refused. Comments and CDATA sections are skipped. */
static bool
has_markup_declaration(const char *xml, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (xml[i] != '<' || xml[i + 1] != '!')
            continue;
        const char *rest = xml + i + 2;
        size_t left = len - i - 2;
        if (left >= 2 && memcmp(rest, "--", 2) == 0) {
            const char *end = memmem(rest + 2, left - 2, "-->", 3);
            if (end == NULL)
                return false;   /* unclosed comment: libxml2 refuses it */
            i = (size_t)(end - xml) + 2;
        } else if (left >= 7 && memcmp(rest, "[CDATA[", 7) == 0) {
            const char *end = memmem(rest + 7, left - 7, "]]>", 3);
            if (end == NULL)
                return false;
            i = (size_t)(end - xml) + 2;
        } else {
            return true;
        }
    }
    return false;
}

static unsigned
depth_of(xmlNode *n)
{
    unsigned deepest = 0;

    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            unsigned d = depth_of(c);
            if (d > deepest)
                deepest = d;
            if (deepest > DOMXML_MAX_DEPTH)
                break;
        }
    return deepest + 1;
}

bool
domxml_parse(const char *xml, size_t len, struct domxml_info *out, struct vs_error *err)
{
    xmlDoc *doc;
    xmlNode *root, *devices, *n;

    memset(out, 0, sizeof *out);
    if (len > 1024 * 1024 || len > (size_t)INT32_MAX) {
        vs_error_set(err, VS_ERR_INVALID, "the domain definition is over 1 MiB");
        return false;
    }
    if (has_markup_declaration(xml, len)) {
        vs_error_set(err, VS_ERR_INVALID, "the domain definition has a DTD or an entity "
                     "declaration (<!DOCTYPE, <!ENTITY ...), which vsmigrate refuses in XML from "
                     "outside: remove it (libvirt's own definitions have none)");
        return false;
    }
    /* no entity substitution (no XML_PARSE_NOENT), no DTD loading, no network;
     * libxml2's own depth limit (256) holds as XML_PARSE_HUGE is not given */
    doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                        XML_PARSE_NOCDATA);
    if (doc == NULL) {
        vs_error_set(err, VS_ERR_INVALID, "the domain definition is not well-formed XML");
        return false;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {   /* the scan above missed one */
        vs_error_set(err, VS_ERR_INVALID, "the domain definition has a DTD, which vsmigrate "
                     "refuses in XML from outside: remove it");
        xmlFreeDoc(doc);
        return false;
    }
    if (depth_of(xmlDocGetRootElement(doc)) > DOMXML_MAX_DEPTH) {
        vs_error_set(err, VS_ERR_INVALID, "the domain definition nests elements more than %d "
                     "deep, which no libvirt definition does", DOMXML_MAX_DEPTH);
        xmlFreeDoc(doc);
        return false;
    }
    root = xmlDocGetRootElement(doc);
    if (root == NULL || strcmp((const char *)root->name, "domain") != 0) {
        vs_error_set(err, VS_ERR_INVALID, "the XML is not a libvirt domain definition");
        xmlFreeDoc(doc);
        return false;
    }
    copy_prop(root, "type", out->virt_type, sizeof out->virt_type);
    n = child(child(root, "os"), "type");
    copy_prop(n, "arch", out->arch, sizeof out->arch);
    copy_prop(n, "machine", out->machine, sizeof out->machine);
    n = child(root, "name");
    if (n) {
        xmlChar *v = xmlNodeGetContent(n);
        snprintf(out->name, sizeof out->name, "%s", v ? (const char *)v : "");
        xmlFree(v);
    }
    n = child(root, "memory");
    if (n == NULL || !memory_of(n, &out->memory_bytes)) {
        vs_error_set(err, VS_ERR_INVALID, "the domain definition has no readable <memory>");
        xmlFreeDoc(doc);
        return false;
    }
    n = child(root, "vcpu");
    if (n) {
        xmlChar *v = xmlNodeGetContent(n);
        out->vcpus = v ? (unsigned)strtoul((const char *)v, NULL, 10) : 0;
        xmlFree(v);
    }
    n = child(root, "cpu");
    if (n) {
        xmlBuffer *b = xmlBufferCreate();
        if (b && xmlNodeDump(b, doc, n, 0, 0) > 0)
            out->cpu_xml = strdup((const char *)xmlBufferContent(b));
        xmlBufferFree(b);
    }
    devices = child(root, "devices");
    for (n = devices ? devices->children : NULL; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)n->name, "interface") == 0 && out->nnics < DOMXML_MAX_ITEMS) {
            struct domxml_nic *nic = &out->nics[out->nnics];
            xmlNode *src = child(n, "source");
            copy_prop(n, "type", nic->kind, sizeof nic->kind);
            if (strcmp(nic->kind, "network") == 0)
                copy_prop(src, "network", nic->name, sizeof nic->name);
            else if (strcmp(nic->kind, "bridge") == 0)
                copy_prop(src, "bridge", nic->name, sizeof nic->name);
            else
                continue;
            out->nnics++;
        } else if (strcmp((const char *)n->name, "disk") == 0 && out->ndisks < DOMXML_MAX_ITEMS) {
            char device[16];
            copy_prop(n, "device", device, sizeof device);
            if (device[0] && strcmp(device, "disk") != 0)
                continue;   /* cdrom, floppy, lun */
            copy_prop(child(n, "target"), "dev", out->disks[out->ndisks].target,
                      sizeof out->disks[0].target);
            xmlNode *src = child(n, "source"), *host = child(src, "host");
            char protocol[16], transport[16];
            copy_prop(src, "protocol", protocol, sizeof protocol);
            copy_prop(host, "transport", transport, sizeof transport);
            if (strcmp(protocol, "nbd") == 0 && strcmp(transport, "unix") == 0)
                copy_prop(host, "socket", out->disks[out->ndisks].socket,
                          sizeof out->disks[0].socket);
            out->ndisks++;
        } else if (strcmp((const char *)n->name, "lease") == 0 && out->nleases < DOMXML_MAX_ITEMS) {
            struct domxml_lease *l = &out->leases[out->nleases++];
            xmlChar *v;
            if ((v = xmlNodeGetContent(child(n, "lockspace"))) != NULL)
                snprintf(l->lockspace, sizeof l->lockspace, "%s", (const char *)v);
            xmlFree(v);
            if ((v = xmlNodeGetContent(child(n, "key"))) != NULL)
                snprintf(l->key, sizeof l->key, "%s", (const char *)v);
            xmlFree(v);
            copy_prop(child(n, "target"), "path", l->path, sizeof l->path);
        }
    }
    /* the disks' places on the share, from our metadata */
    n = child(root, "metadata");
    for (xmlNode *vm = n ? n->children : NULL; vm; vm = vm->next) {
        if (vm->type != XML_ELEMENT_NODE || vm->ns == NULL ||
            strcmp((const char *)vm->ns->href, DOMXML_NS) != 0 || strcmp((const char *)vm->name, "vm") != 0)
            continue;
        for (xmlNode *d = vm->children; d; d = d->next) {
            char target[32];
            if (d->type != XML_ELEMENT_NODE || strcmp((const char *)d->name, "disk") != 0)
                continue;
            copy_prop(d, "target", target, sizeof target);
            for (size_t i = 0; i < out->ndisks; i++)
                if (strcmp(out->disks[i].target, target) == 0)
                    copy_prop(d, "url", out->disks[i].url, sizeof out->disks[i].url);
        }
    }
    xmlFreeDoc(doc);
    return true;
}

void
domxml_free(struct domxml_info *info)
{
    free(info->cpu_xml);
    info->cpu_xml = NULL;
}
