/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/actions.c: the table of actions (see actions.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "hostagent/actions.h"

static const struct vsm_action_info table[VSM__ACTION_END] = {
#define VSM_ACTION_ROW(id, name_, roles_, cli_, handler, help_) \
    [VSM_ACTION_##id] = { .name = name_, .roles = roles_, .cli = cli_, .help = help_ },
    VSM_ACTIONS(VSM_ACTION_ROW)
#undef VSM_ACTION_ROW
};

const struct vsm_action_info *
vsm_action_info(enum vsm_action a)
{
    return a > VSM_ACTION_NONE && a < VSM__ACTION_END ? &table[a] : NULL;
}

enum vsm_action
vsm_action_lookup(const char *name, struct vs_error *err)
{
    char known[512] = "";
    size_t used = 0;

    for (int a = 1; a < VSM__ACTION_END; a++)
        if (strcmp(table[a].name, name) == 0)
            return (enum vsm_action)a;
    for (int a = 1; a < VSM__ACTION_END && used < sizeof known; a++) {
        int n = snprintf(known + used, sizeof known - used, "%s%s", a > 1 ? ", " : "", table[a].name);
        if (n > 0)
            used += (size_t)n;
    }
    vs_error_set(err, VS_ERR_INVALID, "unknown action '%s': this agent knows %s; run the same "
                 "vsmigrate version on the workstation and the hosts", name, known);
    return VSM_ACTION_NONE;
}
