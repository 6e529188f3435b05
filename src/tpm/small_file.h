/* SPDX-License-Identifier: ISC */
/* small_file.h: reading a small regular file whole (keys, signatures, efivars). */
#ifndef LV_SMALL_FILE_H
#define LV_SMALL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"

/* Reads path (a regular file, symlinks followed; a FIFO, device or
 * directory is refused without blocking) into a malloc'ed buffer with a
 * NUL after its len bytes.  what names the file in messages ("PCR public
 * key").  -ENOENT when absent, -EFBIG above max_bytes, -EINVAL when not a
 * regular file, else the errno of the failed call. */
int lv_small_file_read(const char *path, size_t max_bytes, const char *what, uint8_t **buf,
		       size_t *len, struct lv_err *err);

#endif
