/* SPDX-License-Identifier: ISC */
/*
 * state_salt.c: encryption-salt.yaml on the STATE filesystem, the salt of
 * lockToState keys (talos-encryption.md §2.5).  Talos writes it with a
 * YAML encoder as "diskSalt:" and one "    - N" line per byte; any YAML
 * with the same meaning is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "crypto/crypto.h"
#include "keys/keys.h"

#define SALT_FILE_MAX 4096

struct salt_reader {
	yaml_parser_t parser;
	uint8_t *salt;
	unsigned count;
	struct lv_err *err;
};

static int salt_error(struct salt_reader *rd, const yaml_event_t *ev, const char *what)
{
	return lv_err_set(rd->err, -EINVAL, "%s:%zu:%zu: %s", LV_STATE_SALT_FILE,
			  ev->start_mark.line + 1, ev->start_mark.column + 1, what);
}

static int next_event(struct salt_reader *rd, yaml_event_t *ev)
{
	if (yaml_parser_parse(&rd->parser, ev))
		return 0;
	return lv_err_set(rd->err, -EINVAL, "%s:%zu:%zu: %s", LV_STATE_SALT_FILE,
			  rd->parser.problem_mark.line + 1, rd->parser.problem_mark.column + 1,
			  rd->parser.problem ? rd->parser.problem : "invalid YAML");
}

/* Reads the next event and requires its type. */
static int expect_event(struct salt_reader *rd, yaml_event_type_t type, const char *what)
{
	yaml_event_t ev;
	int r = next_event(rd, &ev);

	if (r == 0 && ev.type != type)
		r = salt_error(rd, &ev, what);
	yaml_event_delete(&ev);
	return r;
}

static int salt_byte(struct salt_reader *rd, const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	char *end;
	unsigned long value;

	if (rd->count >= LV_STATE_SALT_LEN)
		return salt_error(rd, ev, "diskSalt has more than 32 bytes");
	errno = 0;
	value = strtoul(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end || errno || value > 255)
		return salt_error(rd, ev, "diskSalt: every item must be a byte value 0..255");
	rd->salt[rd->count++] = (uint8_t)value;
	return 0;
}

static int read_salt_sequence(struct salt_reader *rd)
{
	yaml_event_t ev;
	int r = expect_event(rd, YAML_SEQUENCE_START_EVENT, "diskSalt must be a list of bytes");

	while (r == 0) {
		r = next_event(rd, &ev);
		if (r < 0)
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			if (rd->count != LV_STATE_SALT_LEN)
				r = salt_error(rd, &ev, "diskSalt must hold exactly 32 bytes");
			yaml_event_delete(&ev);
			return r;
		}
		r = ev.type == YAML_SCALAR_EVENT ? salt_byte(rd, &ev) :
			salt_error(rd, &ev, "diskSalt: every item must be a byte value 0..255");
		yaml_event_delete(&ev);
	}
	return r;
}

static int read_salt_document(struct salt_reader *rd)
{
	yaml_event_t ev;
	int r, seen = 0;

	r = expect_event(rd, YAML_STREAM_START_EVENT, "not a YAML stream");
	if (r == 0)
		r = expect_event(rd, YAML_DOCUMENT_START_EVENT, "empty file");
	if (r == 0)
		r = expect_event(rd, YAML_MAPPING_START_EVENT, "expected a mapping with diskSalt");
	while (r == 0) {
		r = next_event(rd, &ev);
		if (r < 0)
			break;
		if (ev.type == YAML_MAPPING_END_EVENT && seen) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_SCALAR_EVENT || seen ||
		    strcmp((const char *)ev.data.scalar.value, "diskSalt") != 0)
			r = salt_error(rd, &ev, "expected exactly one key, diskSalt");
		else
			seen = 1;
		yaml_event_delete(&ev);
		if (r == 0)
			r = read_salt_sequence(rd);
	}
	return r;
}

int lv_state_salt_parse(const char *text, size_t text_len, uint8_t salt[LV_STATE_SALT_LEN],
			struct lv_err *err)
{
	struct salt_reader rd = { .salt = salt, .err = err };
	int r;

	if (!yaml_parser_initialize(&rd.parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&rd.parser, (const unsigned char *)text, text_len);
	r = read_salt_document(&rd);
	yaml_parser_delete(&rd.parser);
	return r;
}

char *lv_state_salt_format(const uint8_t salt[LV_STATE_SALT_LEN])
{
	/* "diskSalt:\n" plus at most "    - 255\n" per byte. */
	size_t size = 10 + LV_STATE_SALT_LEN * 10 + 1, used;
	char *text = malloc(size);

	if (!text)
		return NULL;
	used = (size_t)snprintf(text, size, "diskSalt:\n");
	for (unsigned i = 0; i < LV_STATE_SALT_LEN; i++)
		used += (size_t)snprintf(text + used, size - used, "    - %u\n", salt[i]);
	return text;
}

static int read_salt_file(int fd, const char *path, struct lv_secret **salt, struct lv_err *err)
{
	struct lv_secret *text = lv_secret_new(SALT_FILE_MAX);
	ssize_t n = 0;
	size_t used = 0;
	int r;

	if (!text)
		return -ENOMEM;
	while (used < SALT_FILE_MAX && (n = read(fd, text->bytes + used, SALT_FILE_MAX - used)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (used == SALT_FILE_MAX)
		r = lv_err_set(err, -EINVAL, "%s: larger than %d bytes", path, SALT_FILE_MAX);
	else if (n < 0)
		r = lv_err_set(err, -EIO, "%s: %s", path, strerror(errno));
	else if (!(*salt = lv_secret_new(LV_STATE_SALT_LEN)))
		r = -ENOMEM;
	else
		r = lv_state_salt_parse((const char *)text->bytes, used, (*salt)->bytes, err);
	if (r < 0 && r != -ENOMEM)
		lv_err_prefix(err, path);
	if (r < 0)
		lv_secret_free(salt);
	lv_secret_free(&text);
	return r;
}

/* The salt file, for reading: a regular file only, never through a
 * symbolic link, and opened without blocking (a FIFO would hang apply
 * forever; a device node is not a salt).  -ENOENT when there is none. */
static int open_salt_file(int dir_fd, const char *path, int *fd, struct lv_err *err)
{
	struct stat st;

	*fd = openat(dir_fd, LV_STATE_SALT_FILE,
		     O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (*fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (*fd < 0 && errno == ELOOP)
		return lv_err_set(err, -EINVAL, "%s: a symbolic link, not a regular file: refused",
				  path);
	if (*fd < 0)
		return lv_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return lv_err_set(err, -EINVAL, "%s: not a regular file: refused", path);
	}
	return 0;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The new salt's text in a file only this process knows: an unnamed
 * O_TMPFILE, or (where the filesystem has none) a fresh random name
 * created O_EXCL, in *tmp_name.  Mode 0600, written and synced. */
static int write_unlinked(int dir_fd, const char *text, char tmp_name[64], int *fd)
{
	uint8_t rnd[8];
	int r;

	tmp_name[0] = '\0';
	*fd = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (*fd < 0) {
		if ((r = lv_random(rnd, sizeof(rnd))) < 0)
			return r;
		snprintf(tmp_name, 64, ".%s.%02x%02x%02x%02x%02x%02x%02x%02x", LV_STATE_SALT_FILE,
			 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		*fd = openat(dir_fd, tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			     0600);
	}
	if (*fd < 0)
		return -errno;
	r = fchmod(*fd, 0600) < 0 ? -errno : write_all(*fd, text, strlen(text));
	if (r == 0 && fsync(*fd) < 0)
		r = -errno;
	return r;
}

/* Links the written file in as the salt file.  -EEXIST when another
 * writer was first.  A named temporary file is linked by name, so the
 * name is checked to hold our file afterwards: in a directory someone
 * else can write, the temporary name could have been swapped. */
static int link_salt_file(int dir_fd, int fd, const char *tmp_name)
{
	char proc_path[64];
	struct stat ours, linked;
	int r = 0;

	if (!tmp_name[0]) {
		if (linkat(fd, "", dir_fd, LV_STATE_SALT_FILE, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno == EEXIST)
			return -EEXIST;
		/* Without CAP_DAC_READ_SEARCH: through /proc. */
		snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
		return linkat(AT_FDCWD, proc_path, dir_fd, LV_STATE_SALT_FILE, AT_SYMLINK_FOLLOW) == 0 ?
		       0 : -errno;
	}
	if (linkat(dir_fd, tmp_name, dir_fd, LV_STATE_SALT_FILE, 0) < 0)
		r = -errno;
	unlinkat(dir_fd, tmp_name, 0);
	if (r == 0 && (fstat(fd, &ours) < 0 ||
		       fstatat(dir_fd, LV_STATE_SALT_FILE, &linked, AT_SYMLINK_NOFOLLOW) < 0 ||
		       ours.st_dev != linked.st_dev || ours.st_ino != linked.st_ino))
		r = -ESTALE;
	return r;
}

static int link_failed(int r, const char *dir, const char *path, struct lv_err *err)
{
	if (r == -ESTALE)
		return lv_err_set(err, -EBUSY, "%s: replaced while it was being created (can others "
				  "write to %s?): not used", path, dir);
	return r == -EEXIST ? r : lv_err_set(err, r, "%s: cannot write: %s", path, strerror(-r));
}

/* A new random salt, written and linked into place so that a crash never
 * leaves a partial salt and a concurrent writer's salt is never replaced. */
static int create_salt_file(int dir_fd, const char *dir, const char *path,
			    struct lv_secret **salt, struct lv_err *err)
{
	char tmp_name[64] = "", *text = NULL;
	int fd = -1, r;

	*salt = lv_secret_new(LV_STATE_SALT_LEN);
	if (!*salt)
		return -ENOMEM;
	r = lv_random((*salt)->bytes, LV_STATE_SALT_LEN);
	if (r == 0 && !(text = lv_state_salt_format((*salt)->bytes)))
		r = -ENOMEM;
	if (r == 0 && (r = write_unlinked(dir_fd, text, tmp_name, &fd)) < 0) {
		if (tmp_name[0] && fd >= 0)
			unlinkat(dir_fd, tmp_name, 0);
		r = lv_err_set(err, r, "%s: cannot create a file: %s", dir, strerror(-r));
	} else if (r == 0) {
		r = link_salt_file(dir_fd, fd, tmp_name);
		if (r == 0 && fsync(dir_fd) < 0)
			r = -errno;
		if (r < 0)
			r = link_failed(r, dir, path, err);
	}
	if (fd >= 0)
		close(fd);
	if (text) {
		lv_wipe(text, strlen(text));
		free(text);
	}
	if (r < 0)
		lv_secret_free(salt);
	return r;
}

static int load_from_dir(int dir_fd, const char *dir, const char *path, int create,
			 struct lv_secret **salt, int *created, struct lv_err *err)
{
	int fd, r = open_salt_file(dir_fd, path, &fd, err);

	if (r == 0) {
		r = read_salt_file(fd, path, salt, err);
		close(fd);
		return r;
	}
	if (r != -ENOENT)
		return r;
	if (!create)
		return lv_err_set(err, -ENOENT, "%s: no such file (the lockToState salt)", path);
	r = create_salt_file(dir_fd, dir, path, salt, err);
	if (r == -EEXIST)	/* another writer won the race: use its salt */
		return load_from_dir(dir_fd, dir, path, 0, salt, created, err);
	*created = r == 0;
	return r;
}

int lv_state_salt_load(const char *dir, int create, struct lv_secret **salt, int *created,
		       struct lv_err *err)
{
	char path[4096];
	int dir_fd, r;

	*created = 0;
	*salt = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, LV_STATE_SALT_FILE) >= sizeof(path))
		return lv_err_set(err, -ENAMETOOLONG, "%s: path too long", dir);
	/* Every step below is relative to this one directory, so renaming
	 * the path under us changes nothing. */
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return lv_err_set(err, errno == ENOENT ? -ENOENT : -errno, "%s: %s (--state-dir)", dir,
				  strerror(errno));
	r = load_from_dir(dir_fd, dir, path, create, salt, created, err);
	close(dir_fd);
	return r;
}

int lv_state_salt_fingerprint(const struct lv_secret *salt, char hex[65])
{
	static const char message[] = "encryption salt checksum";
	uint8_t mac[32];
	int r = lv_hmac("sha256", salt->bytes, salt->len, message, sizeof(message) - 1, mac,
			sizeof(mac));

	for (unsigned i = 0; r == 0 && i < sizeof(mac); i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return r;
}
