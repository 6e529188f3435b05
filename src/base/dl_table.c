/* SPDX-License-Identifier: ISC */
/* dl_table.c: shared libraries loaded on first use (dl_table.h). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/dl_table.h"

static int library_load(const struct lv_dl_library *library, void *table, char *why,
			size_t why_bytes)
{
	void *handle = dlopen(library->soname, RTLD_NOW | RTLD_LOCAL);

	if (!handle) {
		snprintf(why, why_bytes, "cannot load %s: %s", library->soname, dlerror());
		return -ENOTSUP;
	}
	for (size_t i = 0; i < library->count; i++) {
		void *call = dlsym(handle, library->calls[i].symbol);

		if (!call) {
			/* The library stays loaded: another table may use it. */
			snprintf(why, why_bytes, "%s: no %s in it", library->soname,
				 library->calls[i].symbol);
			return -ENOTSUP;
		}
		/* POSIX: a function's address round-trips through void *. */
		memcpy((char *)table + library->calls[i].offset, &call, sizeof(call));
	}
	return 0;
}

static int once_run(struct lv_dl_once *once)
{
	for (size_t i = 0; i < once->count; i++) {
		int r = library_load(&once->libraries[i], once->table, once->why,
				     sizeof(once->why));

		if (r < 0)
			return r;
	}
	return once->init ? once->init(once->table, once->why, sizeof(once->why)) : 0;
}

int lv_dl_once_load(struct lv_dl_once *once, struct lv_err *err)
{
	int r;

	if (pthread_mutex_lock(&once->lock) != 0)
		return lv_err_set(err, -ENOTSUP, "cannot load %s", once->libraries[0].soname);
	if (!once->tried) {
		once->result = once_run(once);
		once->tried = true;
	}
	r = once->result;
	pthread_mutex_unlock(&once->lock);
	return r < 0 ? lv_err_set(err, r, "%s", once->why) : 0;
}
