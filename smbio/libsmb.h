/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/libsmb.h: Samba's own client calls behind libsmbclient, for what
 * libsmbclient's API cannot do.
 *
 * libsmbclient 4.17 offers one blocking request at a time per context, and no
 * flush. Samba's client library (liblibsmb), which libsmbclient has loaded,
 * has asynchronous reads and writes on tevent, which keep several requests
 * in flight on one SMB connection, and a write with SMB2 write-through. Its
 * symbols are private to Samba, so they are looked up at run time and used
 * only on Samba versions whose signatures were checked; elsewhere the caller
 * falls back to libsmbclient's blocking calls. */
#ifndef VSM_SMBIO_LIBSMB_H
#define VSM_SMBIO_LIBSMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libsmbclient.h>

struct tevent_context;
struct tevent_req;

/* Whether the asynchronous calls can be used here; when not, *why says so
 * in words (for the export's status and debug log). Resolves once. */
bool smbio_libsmb_async_available(const char **why);

/* The connection and Samba file number behind an SMBCFILE that was opened
 * from url. The SMBCFILE's layout is private to libsmbclient; it is trusted
 * only when the file name it holds is url. */
bool smbio_libsmb_handle(SMBCFILE *f, const char *url, void **cli, uint16_t *fnum);

/* One read of up to len bytes at off (the server or the credits may give
 * fewer; a read at or past the end gives 0). NULL when out of memory. The
 * request is a talloc top-level chunk: free it after its _recv. */
struct tevent_req *smbio_libsmb_read_send(struct tevent_context *ev, void *cli, uint16_t fnum,
                                          void *buf, uint64_t off, size_t len);
/* 0 or an errno (smbio_errno_from_ntstatus) */
int smbio_libsmb_read_recv(struct tevent_req *req, size_t *got);

/* A whole write (Samba splits it at the server's maximum). */
struct tevent_req *smbio_libsmb_write_send(struct tevent_context *ev, void *cli, uint16_t fnum,
                                           const void *buf, uint64_t off, size_t len);
int smbio_libsmb_write_recv(struct tevent_req *req, size_t *put);

/* A blocking write with SMB2 write-through, after which the server has
 * fsynced the file. The NTSTATUS, or 0xffffffff when Samba has no
 * cli_writeall. */
uint32_t smbio_libsmb_write_through(void *cli, uint16_t fnum, const void *buf, uint64_t off,
                                    size_t len, size_t *put);

/* An NTSTATUS as the errno libsmbclient would give for it. A lost or
 * expired session maps to one of the errnos smbio_errno_is_session_lost
 * accepts. Pure; unit-tested. */
int smbio_errno_from_ntstatus(uint32_t status);

#endif
