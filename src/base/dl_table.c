/* SPDX-License-Identifier: ISC */
/* dl_table.c: a shared library loaded on first use (dl_table.h). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/dl_table.h"

int lv_dl_table_load(const char *soname, const struct lv_dl_call *calls, size_t count,
		     void *table, char *why, size_t why_bytes)
{
	void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!library) {
		snprintf(why, why_bytes, "cannot load %s: %s", soname, dlerror());
		return -ENOTSUP;
	}
	for (size_t i = 0; i < count; i++) {
		void *call = dlsym(library, calls[i].symbol);

		if (!call) {
			/* The library stays loaded: another table may use it. */
			snprintf(why, why_bytes, "%s: no %s in it", soname, calls[i].symbol);
			return -ENOTSUP;
		}
		/* POSIX: a function's address round-trips through void *. */
		memcpy((char *)table + calls[i].offset, &call, sizeof(call));
	}
	return 0;
}
