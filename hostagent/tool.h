/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/tool.h: running one of vsmigrate's own tools (vsmigrate-disk,
 * vsmigrate-share) and reading what it prints.
 *
 * The agent and the doctor reach the share through these tools rather than
 * by linking the file-server code: libsmbclient's settings are process-wide,
 * and hostagent depends only on common/, krb/ and smbio/. */
#ifndef VSM_HOSTAGENT_TOOL_H
#define VSM_HOSTAGENT_TOOL_H

#include <stddef.h>

/* Run argv[0] with argv, with the environment's KRB5CCNAME and
 * RUNTIME_DIRECTORY replaced by those in env (NULL-terminated "NAME=value"
 * strings; a name left out is removed), stderr discarded, for at most
 * timeout_ms. Its stdout (bounded) goes to out. Returns its exit status, or
 * -1 with why set when it could not run, ran too long or died of a
 * signal; config_key names the setting that says where the tool is.
 * However the tool ended, its private ccache directories under the
 * RUNTIME_DIRECTORY given in env are gone afterwards (common/ccdir.h). */
int tool_run(char *const argv[], char *const env[], long long timeout_ms, const char *config_key,
             char *out, size_t outlen, char *why, size_t whylen);

#endif
