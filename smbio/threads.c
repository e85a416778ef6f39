/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/threads.c: making libsmbclient safe to use from several threads.
 *
 * libsmbclient keeps process-wide state (talloc stackframes, the loaded
 * smb.conf, the gensec and krb5 setup) that it guards only when thread hooks
 * are installed. Without them, one context per thread crashed here within
 * seconds ("Bad talloc magic value"); with them, and with context setup and
 * teardown serialised, 8 threads ran clean (../shared/lab-notes.md).
 *
 * libsmbclient 4.17 declares smbc_thread_posix() but does not export it.
 * libsamba-util, which libsmbclient loads, exports smb_thread_set_functions;
 * its argument is a table of function pointers, declared here as Samba 4.x
 * has it (lib/util/smb_threads.h). Careful: some Samba trees carry a variant
 * with a "once" member between lock_mutex and create_tls; 4.17 does not
 * (it exports smb_thread_once instead), and with the wrong layout
 * create_tls lands on the wrong function and crashes at the first context.
 * The hooks must be in place before libsmbclient's first call: a talloc
 * stackframe made without them is stored where the hooks expect a key.
 * Samba's own pthread hooks would crash at that first call, because
 * talloc_stack.c looks its key up before creating it; ours treat a key not
 * yet created as empty. */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "smbio/threads.h"

enum smb_lock_type { SMB_LOCK = 1, SMB_UNLOCK = 2 };

struct smb_thread_functions {
    int (*create_mutex)(const char *name, void **lock, const char *location);
    void (*destroy_mutex)(void *lock, const char *location);
    int (*lock_mutex)(void *lock, int type, const char *location);
    int (*create_tls)(const char *name, void **key, const char *location);
    void (*destroy_tls)(void **key, const char *location);
    int (*set_tls)(void *key, const void *value, const char *location);
    void *(*get_tls)(void *key, const char *location);
};

static int
hook_create_mutex(const char *name, void **lock, const char *location)
{
    pthread_mutex_t *m = malloc(sizeof *m);

    (void)name; (void)location;
    if (m == NULL)
        return ENOMEM;
    pthread_mutex_init(m, NULL);
    *lock = m;
    return 0;
}

static void
hook_destroy_mutex(void *lock, const char *location)
{
    (void)location;
    pthread_mutex_destroy(lock);
    free(lock);
}

static int
hook_lock_mutex(void *lock, int type, const char *location)
{
    (void)location;
    return type == SMB_UNLOCK ? pthread_mutex_unlock(lock) : pthread_mutex_lock(lock);
}

/* talloc_stack.c's per-thread record (Samba 4.x). Samba frees it nowhere,
 * so every thread that ever made an SMB call would leak one: nbdkit starts
 * threads per NBD connection, so a long-lived export would grow without
 * bound. When the thread ends with no frame open, free it. */
struct samba_stackframe {
    int size;
    int arraysize;
    void **stack;
};

static void
free_stackframe(void *p)
{
    struct samba_stackframe *ts = p;

    if (ts == NULL || ts->size != 0)
        return;   /* frames still open: leaking beats guessing */
    talloc_free(ts->stack);
    free(ts);
}

static int
hook_create_tls(const char *name, void **key, const char *location)
{
    pthread_key_t *k = malloc(sizeof *k);
    int rc;

    (void)location;
    if (k == NULL)
        return ENOMEM;
    rc = pthread_key_create(k, name && strcmp(name, "talloc_stackframe") == 0 ? free_stackframe : NULL);
    if (rc != 0) {
        free(k);
        return rc;
    }
    *key = k;
    return 0;
}

static void
hook_destroy_tls(void **key, const char *location)
{
    (void)location;
    if (*key) {
        pthread_key_delete(*(pthread_key_t *)*key);
        free(*key);
        *key = NULL;
    }
}

static int
hook_set_tls(void *key, const void *value, const char *location)
{
    (void)location;
    return key ? pthread_setspecific(*(pthread_key_t *)key, value) : EINVAL;
}

/* talloc_stack.c asks for its stackframe before its once-init has created
 * the key: a key not created yet holds nothing. */
static void *
hook_get_tls(void *key, const char *location)
{
    (void)location;
    return key ? pthread_getspecific(*(pthread_key_t *)key) : NULL;
}

static const struct smb_thread_functions posix_hooks = {
    hook_create_mutex, hook_destroy_mutex, hook_lock_mutex,
    hook_create_tls, hook_destroy_tls, hook_set_tls, hook_get_tls,
};

static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static bool installed;
static pthread_mutex_t setup_mutex = PTHREAD_MUTEX_INITIALIZER;

static void
install(void)
{
    typedef int (*set_fn)(const struct smb_thread_functions *);
    set_fn set = (set_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "smb_thread_set_functions");

    installed = set != NULL && set(&posix_hooks) == 0;
}

bool
smbio_threads_init(struct vs_error *err)
{
    pthread_once(&install_once, install);
    if (!installed)
        vs_error_set(err, VS_ERR_INTERNAL, "libsmbclient's thread hooks (smb_thread_set_functions "
                     "in libsamba-util) are missing, so one process cannot use several SMB "
                     "connections safely: use connections=1");
    return installed;
}

void
smbio_setup_lock(void)
{
    pthread_mutex_lock(&setup_mutex);
}

void
smbio_setup_unlock(void)
{
    pthread_mutex_unlock(&setup_mutex);
}
