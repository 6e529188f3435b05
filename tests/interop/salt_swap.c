/* SPDX-License-Identifier: ISC */
/*
 * salt_swap.c: an LD_PRELOAD library for apply.sh.  It makes the STATE
 * directory look like a filesystem without O_TMPFILE, so that apply names
 * its temporary salt file; and with SALT_SWAP=1 it plays a user who owns
 * that directory: just before the temporary file is linked into place as
 * encryption-salt.yaml, it is replaced by the user's own salt file.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEMP_PREFIX ".encryption-salt.yaml."

static const char planted[] =
	"diskSalt:\n"
	"    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n"
	"    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n"
	"    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n"
	"    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n    - 7\n";

static int (*real_openat(void))(int, const char *, int, ...)
{
	return (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
}

static int open_at(int dir_fd, const char *path, int flags, va_list ap)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE))
		mode = va_arg(ap, mode_t);
	if ((flags & O_TMPFILE) == O_TMPFILE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return real_openat()(dir_fd, path, flags, mode);
}

int openat(int dir_fd, const char *path, int flags, ...)
{
	va_list ap;
	int r;

	va_start(ap, flags);
	r = open_at(dir_fd, path, flags, ap);
	va_end(ap);
	return r;
}

/* glibc's other name for it. */
int openat64(int dir_fd, const char *path, int flags, ...) __attribute__((alias("openat")));

static int is_temp_salt(const char *path)
{
	const char *base = strrchr(path, '/');

	return strncmp(base ? base + 1 : path, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0;
}

/* The user's move: their own file under luksvol's temporary name. */
static void swap(int dir_fd, const char *path)
{
	int fd;

	if (!getenv("SALT_SWAP") || strcmp(getenv("SALT_SWAP"), "1") != 0 || !is_temp_salt(path))
		return;
	unlinkat(dir_fd, path, 0);
	fd = real_openat()(dir_fd, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd >= 0) {
		if (write(fd, planted, sizeof(planted) - 1) < 0)
			_exit(99);
		close(fd);
	}
}

int linkat(int old_dir, const char *old_path, int new_dir, const char *new_path, int flags)
{
	int (*real)(int, const char *, int, const char *, int) =
		(int (*)(int, const char *, int, const char *, int))dlsym(RTLD_NEXT, "linkat");

	swap(old_dir, old_path);
	return real(old_dir, old_path, new_dir, new_path, flags);
}

int link(const char *old_path, const char *new_path)
{
	int (*real)(const char *, const char *) =
		(int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");

	swap(AT_FDCWD, old_path);
	return real(old_path, new_path);
}
