/* SPDX-License-Identifier: ISC */
/*
 * passphrase.c: where passphrases come from: a key file (with size and
 * offset), piped stdin, or the terminal with echo off.  Never argv.  Bytes
 * land directly in locked, non-dumpable lv_secret buffers.  The rules are
 * cryptsetup's (tools_get_key, crypt_keyfile_device_read).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

#define KEYFILE_MAX_BYTES (8u << 20)	/* cryptsetup's default key file cap */
#define PROMPT_MAX_BYTES 512		/* cryptsetup's interactive cap */

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

/* Why read_secret stopped. */
enum read_end {
	READ_EOF,
	READ_NEWLINE,	/* at a '\n' (dropped), with stop_at_newline */
	READ_OVER,	/* more than max bytes were there */
};

/* Where a '\n' ends bytes[0..n) when the line stops at one: its index,
 * and the bytes read past it are given back (a seekable file, read in
 * blocks).  n when there is none. */
static size_t line_end(int fd, const uint8_t *bytes, size_t n, int *r)
{
	const uint8_t *nl = memchr(bytes, '\n', n);
	size_t at = nl ? (size_t)(nl - bytes) : n;

	*r = 0;
	if (nl && n - at > 1 && lseek(fd, -(off_t)(n - at - 1), SEEK_CUR) < 0)
		*r = -errno;
	return at;
}

/*
 * Reads up to max bytes (stop_at_newline: up to the first '\n', reading no
 * byte past it) into a secret of exactly the bytes read.  A pipe or a
 * terminal is read one byte at a time for that, as cryptsetup does; a
 * regular file (seekable) in blocks.  With detect_over one byte more is
 * read, to tell a key longer than max; without (an exact --keyfile-size)
 * no byte past max is taken: stdin may carry the next passphrase there.
 */
static int read_secret(int fd, size_t max, int stop_at_newline, int seekable, int detect_over,
		       struct lv_secret **out, enum read_end *end)
{
	size_t want = detect_over ? max + 1 : max;
	struct lv_secret *buf = lv_secret_new(want < READ_BUFFER_START_BYTES ? want + !want :
					      READ_BUFFER_START_BYTES);
	size_t len = 0;
	int r = 0;

	*out = NULL;
	*end = READ_EOF;
	if (!buf)
		return -ENOMEM;
	while (len < want) {
		if (len == buf->len && (r = grow_secret(&buf, len, len + 1)) < 0)
			break;
		if (buf->len > want)
			buf->len = want;
		ssize_t n = read(fd, buf->bytes + len,
				 stop_at_newline && !seekable ? 1 : buf->len - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		size_t kept = stop_at_newline ? line_end(fd, buf->bytes + len, (size_t)n, &r)
					      : (size_t)n;
		len += kept;
		if (r < 0)
			break;
		if (kept < (size_t)n) {
			*end = READ_NEWLINE;
			break;
		}
	}
	if (r == 0 && len > max) {
		*end = READ_OVER;
		len = max;
	}
	if (r == 0 && !(*out = lv_secret_dup(buf->bytes, len)))
		r = -ENOMEM;
	lv_secret_free(&buf);
	return r;
}

/* Skips count bytes: past the end of a regular file is an error, and so
 * is a pipe that ends first (cryptsetup: "Cannot seek to requested keyfile
 * offset."), never an empty passphrase. */
static int skip_bytes(int fd, uint64_t count, const struct stat *regular)
{
	uint8_t sink[4096];

	if (count == 0)
		return 0;
	if (regular) {
		off_t at = lseek(fd, 0, SEEK_CUR);

		if (at < 0 || at > regular->st_size || count > (uint64_t)(regular->st_size - at))
			return -ESPIPE;
		return lseek(fd, (off_t)count, SEEK_CUR) < 0 ? -errno : 0;
	}
	while (count > 0) {
		ssize_t n = read(fd, sink, count < sizeof(sink) ? (size_t)count : sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			explicit_bzero(sink, sizeof(sink));
			return -ESPIPE;
		}
		count -= (uint64_t)n;
	}
	explicit_bzero(sink, sizeof(sink));
	return 0;
}

/* The checks of crypt_keyfile_device_read on what read_secret found. */
static int check_key_read(const char *name, const struct cli_key_source *src, int regular,
			  enum read_end end, struct lv_secret **passphrase, struct lv_err *err)
{
	int r = 0;

	if (end == READ_OVER && !src->size_limit)
		r = lv_err_set(err, -EINVAL, "%s: maximum keyfile size exceeded: the key exceeds %u bytes",
			       name, KEYFILE_MAX_BYTES);
	else if (src->size_limit && (*passphrase)->len != src->size_limit)
		r = lv_err_set(err, -EINVAL,
			       "%s: cannot read requested amount of data: %zu of --keyfile-size %llu bytes",
			       name, (*passphrase)->len, (unsigned long long)src->size_limit);
	else if ((*passphrase)->len == 0 && end == READ_EOF && !regular)
		r = lv_err_set(err, -EPIPE, "%s: nothing to read on input", name);
	if (r < 0)
		lv_secret_free(passphrase);
	return r;
}

/* Reads fd (named name) as a key: offset bytes skipped, then exactly
 * --keyfile-size bytes, or everything up to 8 MiB (stop_at_newline: up to
 * the first '\n', for piped stdin without --key-file). */
static int read_key_input(int fd, const char *name, const struct cli_key_source *src,
			  int stop_at_newline, int from_stdin, struct lv_secret **passphrase,
			  struct lv_err *err)
{
	size_t max = src->size_limit ? (size_t)src->size_limit : KEYFILE_MAX_BYTES;
	struct stat st;
	int regular_input = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	/* cryptsetup takes --key-file - for a pipe, whatever stdin is. */
	int regular = regular_input && !from_stdin;
	enum read_end end;
	int r;

	if (isatty(fd))
		return lv_err_set(err, -EINVAL, "%s: cannot read a key file from a terminal", name);
	if (skip_bytes(fd, src->offset, regular ? &st : NULL) < 0)
		return lv_err_set(err, -EINVAL,
				  "%s: cannot seek to requested keyfile offset %llu: the input is shorter",
				  name, (unsigned long long)src->offset);
	r = read_secret(fd, max, stop_at_newline, regular_input, !src->size_limit, passphrase, &end);
	if (r < 0)
		return lv_err_set(err, r == -ENOMEM ? r : -EINVAL, "%s: cannot read the key: %s",
				  name, strerror(-r));
	return check_key_read(name, src, regular, end, passphrase, err);
}

static int read_key_file(const struct cli_key_source *src, struct lv_secret **passphrase,
			 struct lv_err *err)
{
	int fd = open(src->path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0)
		return lv_err_set(err, -EINVAL, "%s: cannot open the key file: %s", src->path,
				  strerror(errno));
	r = read_key_input(fd, src->path, src, 0, 0, passphrase, err);
	close(fd);
	return r;
}

/* ---- the terminal ---- */

/*
 * While echo is off, a signal that ends or stops the process first gives
 * the terminal its settings back; a stopped prompt turns echo off again
 * when it is continued.  The handler reaches the prompt through
 * active_prompt: a signal handler has no other way in.
 */
static const int prompt_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM, SIGUSR1, SIGUSR2, SIGPIPE, SIGXCPU, SIGXFSZ,
	SIGVTALRM, SIGPROF, SIGTSTP, SIGTTIN, SIGTTOU,
};
#define PROMPT_SIGNAL_COUNT (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

struct prompt_state {
	int tty;
	struct termios saved, quiet;
	struct sigaction old[PROMPT_SIGNAL_COUNT];
};

static struct prompt_state *volatile active_prompt;

static void on_prompt_signal(int sig);

static void catch_signal(int sig)
{
	struct sigaction sa = { .sa_handler = on_prompt_signal, .sa_flags = SA_RESTART };

	/* All of them blocked in the handler: its tcsetattr from the
	 * background then raises no SIGTTOU. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < PROMPT_SIGNAL_COUNT; i++)
		sigaddset(&sa.sa_mask, prompt_signals[i]);
	sigaction(sig, &sa, NULL);
}

static void on_prompt_signal(int sig)
{
	struct prompt_state *prompt = active_prompt;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int saved_errno = errno;
	sigset_t only;

	if (prompt)
		tcsetattr(prompt->tty, TCSANOW, &prompt->saved);
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	sigemptyset(&only);
	sigaddset(&only, sig);
	sigprocmask(SIG_UNBLOCK, &only, NULL);
	raise(sig);
	/* Only a stop signal comes back here, once continued. */
	catch_signal(sig);
	if (prompt)
		tcsetattr(prompt->tty, TCSANOW, &prompt->quiet);
	errno = saved_errno;
}

static void prompt_signals_catch(struct prompt_state *prompt)
{
	active_prompt = prompt;
	for (size_t i = 0; i < PROMPT_SIGNAL_COUNT; i++) {
		sigaction(prompt_signals[i], NULL, &prompt->old[i]);
		/* An ignored signal (nohup, a background job) stays ignored. */
		if (prompt->old[i].sa_handler != SIG_IGN)
			catch_signal(prompt_signals[i]);
	}
}

static void prompt_signals_release(struct prompt_state *prompt)
{
	active_prompt = NULL;
	for (size_t i = 0; i < PROMPT_SIGNAL_COUNT; i++)
		sigaction(prompt_signals[i], &prompt->old[i], NULL);
}

static int prompt_terminal(int tty, const char *text, struct lv_secret **passphrase)
{
	struct prompt_state prompt = { .tty = tty };
	enum read_end end;
	int r;

	if (tcgetattr(tty, &prompt.saved) < 0)
		return -EIO;
	prompt.quiet = prompt.saved;
	prompt.quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	prompt_signals_catch(&prompt);
	/* Echo goes off before the prompt appears, so nothing typed after it
	 * is ever echoed; typed-ahead input is kept, not flushed. */
	r = tcsetattr(tty, TCSANOW, &prompt.quiet) < 0 ? -EIO : 0;
	if (r == 0 && write(tty, text, strlen(text)) < 0)
		r = -EIO;
	if (r == 0)
		r = read_secret(tty, PROMPT_MAX_BYTES, 1, 0, 1, passphrase, &end);
	tcsetattr(tty, TCSANOW, &prompt.saved);
	prompt_signals_release(&prompt);
	if (write(tty, "\n", 1) < 0 && r == 0)
		r = -EIO;
	if (r == 0 && end == READ_OVER) {
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
	if (r == -E2BIG)
		return lv_err_set(err, -EINVAL, "the passphrase is longer than %d bytes",
				  PROMPT_MAX_BYTES);
	if (r < 0)
		return lv_err_set(err, -EINVAL, "cannot read the passphrase from the terminal");
	return 0;
}

int cli_read_passphrase(const struct cli_key_source *src, const char *prompt, int verify,
			struct lv_secret **passphrase, struct lv_err *err)
{
	int from_stdin = !src->path || strcmp(src->path, "-") == 0;

	*passphrase = NULL;
	if (!from_stdin)
		return read_key_file(src, passphrase, err);
	/* Standard input on a terminal is a prompt, even with --key-file -. */
	if (isatty(STDIN_FILENO)) {
		if (src->offset)
			return lv_err_set(err, -EINVAL, "--keyfile-offset cannot be used with terminal input");
		return read_interactive(prompt, verify, passphrase, err);
	}
	/* Piped stdin without --key-file: one line, like cryptsetup. */
	return read_key_input(STDIN_FILENO, "standard input", src, !src->path, 1, passphrase, err);
}

int cli_asks(const struct cli_opts *opts)
{
	return !opts->batch && isatty(STDIN_FILENO);
}

int cli_confirm(const struct cli_opts *opts, const char *question)
{
	char answer[16];

	if (!cli_asks(opts))
		return 1;
	fprintf(stderr, "\nWARNING!\n========\n%s\n\nAre you sure? (Type 'yes' in capital letters): ",
		question);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	return strcmp(answer, "YES\n") == 0;
}

int cli_declined(int code, const char *why)
{
	fprintf(stderr, "luksvol: %s\n", why);
	return cli_exit_code(code);
}
