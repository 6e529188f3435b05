/* SPDX-License-Identifier: ISC */
/* small_file.c: a small regular file read whole, with a size cap. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tpm/small_file.h"

static int read_capped(int fd, size_t max_bytes, uint8_t *buf, size_t *len)
{
	*len = 0;
	for (;;) {
		/* One byte past the cap tells a file that grew from one that fits. */
		ssize_t n = read(fd, buf + *len, max_bytes + 1 - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len > max_bytes)
			return -EFBIG;
	}
}

int lv_small_file_read(const char *path, size_t max_bytes, const char *what, uint8_t **buf,
		       size_t *len, struct lv_err *err)
{
	struct stat st;
	int fd, r;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return lv_err_set(err, -errno, "%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return lv_err_set(err, -EINVAL, "%s %s: not a regular file", what, path);
	}
	*buf = malloc(max_bytes + 2);
	r = *buf ? read_capped(fd, max_bytes, *buf, len) : -ENOMEM;
	close(fd);
	if (r == -EFBIG)
		r = lv_err_set(err, r, "%s %s: larger than %zu bytes", what, path, max_bytes);
	else if (r < 0)
		r = lv_err_set(err, r, "%s %s: %s", what, path, strerror(-r));
	if (r < 0) {
		free(*buf);
		*buf = NULL;
		*len = 0;
		return r;
	}
	(*buf)[*len] = '\0';
	return 0;
}
