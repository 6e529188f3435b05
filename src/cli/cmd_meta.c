/* SPDX-License-Identifier: ISC */
/*
 * cmd_meta.c: `luksvol meta dump|get|set|delete` on a META partition or
 * image (include/luksvol-meta.h).  A value to set comes from a file or
 * standard input, never from the command line (tag 9 holds STATE's
 * passphrases); a sensitive tag's value is printed only with
 * --show-secrets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "luksvol-meta.h"

/* The largest value one tag can hold: the whole data area but its record. */
#define VALUE_MAX (LV_META_DATA_BYTES - 8)

static int parse_tag(const char *text, unsigned *tag)
{
	if (lv_meta_tag_parse(text, tag) == 0)
		return 0;
	fprintf(stderr, "luksvol: meta: \"%s\" is not a tag (1..255, 0xNN, or a Talos name such "
		"as StateEncryptionConfig)\n", text);
	return EXIT_BAD_PARAM;
}

static int open_meta(const struct cli_opts *opts, unsigned flags, struct lv_meta **meta)
{
	struct lv_err err = { 0 };
	int r = lv_meta_open(opts->positional[opts->positional_count - 1],
			     flags | (opts->force_meta ? LV_META_FORCE : 0), meta, &err);

	return r < 0 ? cli_fail(r == -ENOENT ? -ENODEV : r, &err) : EXIT_OK;
}

int cli_meta_dump(const struct cli_opts *opts)
{
	struct lv_meta *meta = NULL;
	struct lv_err err = { 0 };
	int r = open_meta(opts, 0, &meta);

	if (r != EXIT_OK)
		return r;
	r = lv_meta_dump(meta, stdout, opts->json, opts->show_secrets, &err);
	lv_meta_close(&meta);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

/* The value as stored: raw bytes on standard output, nothing added. */
int cli_meta_get(const struct cli_opts *opts)
{
	struct lv_meta *meta = NULL;
	const struct lv_secret *value;
	struct lv_err err = { 0 };
	unsigned tag;
	int r = parse_tag(opts->positional[0], &tag);

	if (r != EXIT_OK)
		return r;
	if (lv_meta_tag_sensitive(tag) && !opts->show_secrets) {
		fprintf(stderr, "luksvol: meta get: tag %u (%s) may hold secrets: add --show-secrets "
			"to print it\n", tag, lv_meta_tag_name(tag));
		return EXIT_BAD_PARAM;
	}
	r = open_meta(opts, 0, &meta);
	if (r != EXIT_OK)
		return r;
	if (lv_meta_check(meta, &err) < 0) {
		lv_meta_close(&meta);
		return cli_fail(-EINVAL, &err);
	}
	value = lv_meta_get(meta, tag, NULL);
	if (!value) {
		lv_err_set(&err, -ENOENT, "META %s: no tag %u", opts->positional[1], tag);
		r = cli_fail(-ENOENT, &err);
	} else if (value->len && fwrite(value->bytes, 1, value->len, stdout) != value->len)
		r = EXIT_BAD_PARAM;
	lv_meta_close(&meta);
	return r;
}

/* Opens the value's source: the file (a regular one: a FIFO would hang,
 * a directory or device is a mistake), or standard input unless it is a
 * terminal. */
static int value_source(const char *path, int *fd, struct lv_err *err)
{
	struct stat sb;

	if (!path || strcmp(path, "-") == 0) {
		if (isatty(STDIN_FILENO))
			return lv_err_set(err, -EINVAL, "meta set: give the value in a file "
					  "(--value-file F) or on standard input, not a terminal");
		*fd = STDIN_FILENO;
		return 0;
	}
	*fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0)
		return lv_err_set(err, -EINVAL, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(*fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(*fd);
		return lv_err_set(err, -EINVAL, "%s: not a regular file", path);
	}
	return 0;
}

/* Reads the whole value into a secret: tag 9's may be a passphrase. */
static int read_value(const char *path, struct lv_secret **value, struct lv_err *err)
{
	const char *name = path && strcmp(path, "-") != 0 ? path : "standard input";
	struct lv_secret *buf = lv_secret_new(VALUE_MAX + 1);
	size_t len = 0;
	int fd = -1, r = buf ? value_source(path, &fd, err) : lv_err_set(err, -ENOMEM, "out of memory");

	while (r == 0 && len <= VALUE_MAX) {
		ssize_t n = read(fd, buf->bytes + len, VALUE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = lv_err_set(err, -EINVAL, "%s: cannot read: %s", name, strerror(errno));
		else if (n == 0)
			break;
		else
			len += (size_t)n;
	}
	if (fd > STDIN_FILENO)
		close(fd);
	if (r == 0 && len > VALUE_MAX)
		r = lv_err_set(err, -ENOSPC, "%s: longer than the %u bytes a META tag can hold", name,
			       VALUE_MAX);
	if (r < 0) {
		lv_secret_free(&buf);
		return r;
	}
	buf->len = len;
	*value = buf;
	return 0;
}

/* Sets tag to value, or deletes it (value NULL), written back at once. */
static int write_tag(const struct cli_opts *opts, unsigned tag, const struct lv_secret *value)
{
	struct lv_meta *meta = NULL;
	struct lv_err err = { 0 };
	int r = open_meta(opts, LV_META_WRITABLE, &meta);

	if (r != EXIT_OK)
		return r;
	if (value)
		r = lv_meta_set(meta, tag, value->bytes, value->len, &err);
	/* A corrupt META has no tags to delete: say so, not "no tag". */
	else if ((r = opts->force_meta ? 0 : lv_meta_check(meta, &err)) == 0)
		r = lv_meta_delete(meta, tag, &err);
	if (r == 0)
		r = lv_meta_flush(meta, &err);
	lv_meta_close(&meta);
	if (r == 0 && opts->verbose)
		printf("Tag %u %s.\n", tag, value ? "set" : "deleted");
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_meta_set(const struct cli_opts *opts)
{
	struct lv_secret *value = NULL;
	struct lv_err err = { 0 };
	unsigned tag;
	int r = parse_tag(opts->positional[0], &tag);

	if (r != EXIT_OK)
		return r;
	/* The value is read before the META is locked: it may come slowly. */
	r = read_value(opts->value_file, &value, &err);
	if (r < 0)
		return cli_fail(r, &err);
	r = write_tag(opts, tag, value);
	lv_secret_free(&value);
	return r;
}

int cli_meta_delete(const struct cli_opts *opts)
{
	unsigned tag;
	int r = parse_tag(opts->positional[0], &tag);

	return r != EXIT_OK ? r : write_tag(opts, tag, NULL);
}
