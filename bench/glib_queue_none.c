/* queue_ops.h without GLib: the GAsyncQueue rows are skipped. */
#include "queue_ops.h"

const queue_ops *const glib_queue_ops = NULL;
