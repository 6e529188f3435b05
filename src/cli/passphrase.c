/* SPDX-License-Identifier: ISC */
/*
 * passphrase.c: where passphrases come from: a key file (with size and
 * offset), stdin, or the terminal with echo off.  Never argv.  Bytes land
 * directly in locked, non-dumpable lv_secret buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

#define KEYFILE_MAX_BYTES (8u << 20)	/* cryptsetup's default key file cap */
#define PROMPT_MAX_BYTES 512		/* cryptsetup's interactive cap */

static int skip_bytes(int fd, uint64_t count)
{
	uint8_t sink[4096];

	if (lseek(fd, (off_t)count, SEEK_CUR) >= 0)
		return 0;
	while (count > 0) {
		ssize_t n = read(fd, sink, count < sizeof(sink) ? (size_t)count : sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		count -= (uint64_t)n;
	}
	return 0;
}

/*
 * The read buffer starts at one page and doubles as input arrives: a
 * secret is mlocked, which faults in and zeroes every page, and a buffer of
 * the 8 MiB cap cost more than the rest of an `open` of a PBKDF2 keyslot
 * (bench/RESULTS.md, openclose).
 */
#define READ_BUFFER_START_BYTES 4096

/* Moves buf's first used bytes into a secret of at least want bytes. */
static int grow_secret(struct lv_secret **buf, size_t used, size_t want)
{
	size_t cap = (*buf)->len;
	struct lv_secret *bigger;

	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	bigger = lv_secret_new(cap);
	if (!bigger)
		return -ENOMEM;
	memcpy(bigger->bytes, (*buf)->bytes, used);
	lv_secret_free(buf);
	*buf = bigger;
	return 0;
}

/* Reads up to max bytes (stop_at_newline: up to the first '\n', which is
 * dropped) into a secret of exactly the bytes read.  *overflow is set when
 * more input followed. */
static int read_secret(int fd, size_t max, int stop_at_newline, struct lv_secret **out,
		       int *overflow)
{
	struct lv_secret *buf = lv_secret_new(max + 1 < READ_BUFFER_START_BYTES ? max + 1 :
					      READ_BUFFER_START_BYTES);
	size_t len = 0;
	int r = 0;

	*out = NULL;
	*overflow = 0;
	if (!buf)
		return -ENOMEM;
	while (len < max + 1) {
		if (len == buf->len && (r = grow_secret(&buf, len, len + 1)) < 0)
			break;
		if (buf->len > max + 1)
			buf->len = max + 1;
		ssize_t n = read(fd, buf->bytes + len, stop_at_newline ? 1 : buf->len - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -EIO;
			break;
		}
		if (n == 0)
			break;
		if (stop_at_newline && buf->bytes[len] == '\n')
			break;
		len += (size_t)n;
	}
	if (r == 0 && len > max) {
		*overflow = 1;
		len = max;
	}
	if (r == 0 && !(*out = lv_secret_dup(buf->bytes, len)))
		r = -ENOMEM;
	lv_secret_free(&buf);
	return r;
}

static int read_key_file(const struct cli_key_source *src, struct lv_secret **passphrase,
			 struct lv_err *err)
{
	int from_stdin = strcmp(src->path, "-") == 0;
	int fd = from_stdin ? STDIN_FILENO : open(src->path, O_RDONLY | O_CLOEXEC);
	size_t max = src->size_limit ? (size_t)src->size_limit : KEYFILE_MAX_BYTES;
	int overflow, r;

	if (fd < 0)
		return lv_err_set(err, -EINVAL, "%s: cannot open the key file: %s", src->path,
				  strerror(errno));
	if (src->size_limit > KEYFILE_MAX_BYTES)
		r = lv_err_set(err, -EINVAL, "--keyfile-size exceeds %u bytes", KEYFILE_MAX_BYTES);
	else if ((r = skip_bytes(fd, src->offset)) < 0)
		lv_err_set(err, -EINVAL, "%s: cannot skip %llu bytes of the key file", src->path,
			   (unsigned long long)src->offset);
	else if ((r = read_secret(fd, max, 0, passphrase, &overflow)) < 0)
		lv_err_set(err, r, "%s: cannot read the key file", src->path);
	else if (overflow && !src->size_limit) {
		lv_secret_free(passphrase);
		r = lv_err_set(err, -EINVAL, "%s: key file exceeds %u bytes", src->path,
			       KEYFILE_MAX_BYTES);
	} else if (src->size_limit && (*passphrase)->len < src->size_limit) {
		lv_secret_free(passphrase);
		r = lv_err_set(err, -EINVAL, "%s: key file is shorter than --keyfile-size",
			       src->path);
	}
	if (!from_stdin)
		close(fd);
	return r;
}

static int prompt_terminal(int tty, const char *prompt, struct lv_secret **passphrase)
{
	struct termios saved, quiet;
	int overflow, r;

	if (tcgetattr(tty, &saved) < 0)
		return -EIO;
	quiet = saved;
	quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	/* Echo goes off before the prompt appears, so nothing typed after it
	 * is ever echoed; typed-ahead input is kept, not flushed. */
	if (tcsetattr(tty, TCSANOW, &quiet) < 0)
		return -EIO;
	if (write(tty, prompt, strlen(prompt)) < 0) {
		tcsetattr(tty, TCSANOW, &saved);
		return -EIO;
	}
	r = read_secret(tty, PROMPT_MAX_BYTES, 1, passphrase, &overflow);
	tcsetattr(tty, TCSANOW, &saved);
	if (write(tty, "\n", 1) < 0 && r == 0)
		r = -EIO;
	if (r == 0 && overflow) {
		lv_secret_free(passphrase);
		r = -E2BIG;
	}
	return r;
}

static int read_interactive(const char *prompt, int verify, struct lv_secret **passphrase,
			    struct lv_err *err)
{
	struct lv_secret *again = NULL;
	char text[300];
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), r;

	if (tty < 0)
		return lv_err_set(err, -EINVAL, "no terminal to ask for the passphrase; use --key-file");
	snprintf(text, sizeof(text), "%s: ", prompt);
	r = prompt_terminal(tty, text, passphrase);
	if (r == 0 && verify) {
		r = prompt_terminal(tty, "Verify passphrase: ", &again);
		if (r == 0 && ((*passphrase)->len != again->len ||
			       !lv_secret_equal(*passphrase, again)))
			r = -EPERM;
		lv_secret_free(&again);
	}
	close(tty);
	if (r < 0)
		lv_secret_free(passphrase);
	if (r == -EPERM)
		return lv_err_set(err, -EPERM, "passphrases do not match");
	if (r < 0)
		return lv_err_set(err, -EINVAL, "cannot read the passphrase from the terminal");
	return 0;
}

int cli_read_passphrase(const struct cli_key_source *src, const char *prompt, int verify,
			struct lv_secret **passphrase, struct lv_err *err)
{
	int overflow, r;

	*passphrase = NULL;
	if (src->path)
		return read_key_file(src, passphrase, err);
	if (isatty(STDIN_FILENO))
		return read_interactive(prompt, verify, passphrase, err);
	/* Piped stdin without --key-file: one line, like cryptsetup. */
	r = read_secret(STDIN_FILENO, KEYFILE_MAX_BYTES, 1, passphrase, &overflow);
	if (r < 0)
		return lv_err_set(err, r, "cannot read the passphrase from stdin");
	return 0;
}

int cli_confirm(const struct cli_opts *opts, const char *question)
{
	char answer[16];

	if (opts->batch || !isatty(STDIN_FILENO))
		return 1;
	fprintf(stderr, "\nWARNING!\n========\n%s\n\nAre you sure? (Type 'yes' in capital letters): ",
		question);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	return strcmp(answer, "YES\n") == 0;
}
