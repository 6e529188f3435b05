/* SPDX-License-Identifier: ISC */
/*
 * dm_ioctl.c: device-mapper ioctls.  Every command is one buffer: struct
 * dm_ioctl, then (from data_start) the payload.  Loading a table appends
 * struct dm_target_spec records, each followed by its NUL-terminated
 * parameters and padded to 8 bytes ("next" is relative to the record).
 * Replies that do not fit set DM_BUFFER_FULL_FLAG and are retried with a
 * larger buffer.  Buffers that can hold a key live in lv_secret memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dm/dm_ioctl.h"

#define DM_CONTROL "/dev/mapper/control"
#define DM_ALIGN 8
#define DM_BUFFER_INITIAL 16384
#define DM_BUFFER_MAX (1u << 22)

static size_t align_up(size_t n)
{
	return (n + DM_ALIGN - 1) & ~(size_t)(DM_ALIGN - 1);
}

static int open_control(struct lv_err *err)
{
	int fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return lv_err_set(err, -ENODEV,
				  DM_CONTROL ": missing: device-mapper is not available (modprobe dm-mod)");
	return lv_err_set(err, errno == EACCES || errno == EPERM ? -EACCES : -errno,
			  DM_CONTROL ": cannot open: %s", strerror(errno));
}

/* Fills the dm_ioctl header of a buffer of buffer_bytes; the device is
 * named by its DM UUID when uuid is set, else by name. */
static struct dm_ioctl *start_request(struct lv_secret *buf, const struct lv_dm_ref *ref,
				      uint32_t flags)
{
	struct dm_ioctl *io = (struct dm_ioctl *)buf->bytes;

	memset(buf->bytes, 0, buf->len);
	io->version[0] = DM_VERSION_MAJOR;
	io->version[1] = 0;
	io->version[2] = 0;
	io->data_size = (uint32_t)buf->len;
	io->data_start = (uint32_t)align_up(sizeof(*io));
	io->flags = flags;
	if (ref && ref->uuid && ref->uuid[0])
		snprintf(io->uuid, sizeof(io->uuid), "%s", ref->uuid);
	else if (ref && ref->name)
		snprintf(io->name, sizeof(io->name), "%s", ref->name);
	return io;
}

/* Runs cmd on a request built by build(); grows the buffer while the
 * kernel says it is full.  *reply stays valid until the caller frees it. */
static int run_ioctl(unsigned long cmd, const struct lv_dm_ref *ref, uint32_t flags,
		     int (*build)(struct dm_ioctl *io, size_t buffer_bytes, const void *arg),
		     const void *arg, struct lv_secret **reply, struct lv_err *err)
{
	int fd = open_control(err);

	*reply = NULL;
	if (fd < 0)
		return fd;
	for (size_t size = DM_BUFFER_INITIAL; size <= DM_BUFFER_MAX; size *= 2) {
		struct lv_secret *buf = lv_secret_new(size);
		struct dm_ioctl *io;
		int r;

		if (!buf) {
			close(fd);
			return lv_err_set(err, -ENOMEM, "out of memory");
		}
		io = start_request(buf, ref, flags);
		r = build ? build(io, size, arg) : 0;
		if (r == 0 && ioctl(fd, cmd, io) < 0)
			r = -errno;
		if (r == 0 && (io->flags & DM_BUFFER_FULL_FLAG)) {
			lv_secret_free(&buf);
			continue;
		}
		close(fd);
		if (r < 0) {
			lv_secret_free(&buf);
			return r;
		}
		*reply = buf;
		return 0;
	}
	close(fd);
	return lv_err_set(err, -E2BIG, "device-mapper reply larger than %u bytes", DM_BUFFER_MAX);
}

static void info_from_reply(const struct dm_ioctl *io, struct lv_dm_info *info)
{
	memset(info, 0, sizeof(*info));
	info->exists = 1;
	info->major = (uint32_t)(io->dev >> 8 & 0xfff);
	info->minor = (uint32_t)((io->dev & 0xff) | (io->dev >> 12 & 0xfff00));
	info->open_count = io->open_count;
	info->target_count = io->target_count;
	info->readonly = !!(io->flags & DM_READONLY_FLAG);
	info->suspended = !!(io->flags & DM_SUSPEND_FLAG);
	info->live_table = !!(io->flags & DM_ACTIVE_PRESENT_FLAG);
	snprintf(info->name, sizeof(info->name), "%.*s", (int)sizeof(io->name), io->name);
	snprintf(info->uuid, sizeof(info->uuid), "%.*s", (int)sizeof(io->uuid), io->uuid);
}

int lv_dm_version(uint32_t version[3], struct lv_err *err)
{
	struct lv_secret *reply;
	int r = run_ioctl(DM_VERSION, NULL, 0, NULL, NULL, &reply, err);

	if (r < 0)
		return err && err->code ? r : lv_err_set(err, r, "device-mapper VERSION failed: %s",
							strerror(-r));
	memcpy(version, ((struct dm_ioctl *)reply->bytes)->version, 3 * sizeof(uint32_t));
	lv_secret_free(&reply);
	return 0;
}

int lv_dm_info(const char *name, struct lv_dm_info *info, struct lv_err *err)
{
	struct lv_secret *reply;
	int r = run_ioctl(DM_DEV_STATUS, &(struct lv_dm_ref){ name, NULL }, 0, NULL, NULL, &reply, err);

	memset(info, 0, sizeof(*info));
	if (r == -ENXIO)
		return 0;
	if (r < 0)
		return err && err->code ? r : lv_err_set(err, r, "%s: device-mapper status failed: %s",
							name, strerror(-r));
	info_from_reply((struct dm_ioctl *)reply->bytes, info);
	lv_secret_free(&reply);
	return 0;
}

static int build_uuid(struct dm_ioctl *io, size_t buffer_bytes, const void *arg)
{
	(void)buffer_bytes;
	if (arg && strlen(arg) >= sizeof(io->uuid))
		return -ENAMETOOLONG;
	if (arg)
		snprintf(io->uuid, sizeof(io->uuid), "%s", (const char *)arg);
	return 0;
}

struct table_line {
	uint64_t length_sectors;
	const char *target_type;
	const char *params;
};

static int build_table(struct dm_ioctl *io, size_t buffer_bytes, const void *arg)
{
	const struct table_line *line = arg;
	struct dm_target_spec *spec = (struct dm_target_spec *)((uint8_t *)io + io->data_start);
	size_t params_len = strlen(line->params) + 1;
	size_t record = align_up(sizeof(*spec) + params_len);

	if (io->data_start + record > buffer_bytes)
		return -E2BIG;
	io->target_count = 1;
	spec->sector_start = 0;
	spec->length = line->length_sectors;
	spec->next = (uint32_t)record;
	snprintf(spec->target_type, sizeof(spec->target_type), "%s", line->target_type);
	memcpy((uint8_t *)(spec + 1), line->params, params_len);
	return 0;
}

int lv_dm_remove(const char *name, int deferred, struct lv_err *err)
{
	struct lv_secret *reply;
	int r = run_ioctl(DM_DEV_REMOVE, &(struct lv_dm_ref){ name, NULL }, deferred ? DM_DEFERRED_REMOVE : 0, NULL, NULL,
			  &reply, err);

	lv_secret_free(&reply);
	if (r == -EBUSY)
		return lv_err_set(err, -EBUSY, "%s: device is still in use", name);
	if (r == -ENXIO)
		return lv_err_set(err, -ENODEV, "%s: no such mapping", name);
	if (r < 0)
		return err && err->code ? r : lv_err_set(err, r, "%s: cannot remove: %s", name,
							strerror(-r));
	return 0;
}

/* The kernel's answer to a table it refused, or to a key it cannot find. */
static int load_error(const char *name, const char *target_type, int r, struct lv_err *err)
{
	if (err && err->code)
		return r;
	if (r == -ENOKEY)
		return lv_err_set(err, -EPERM, "%s: the kernel found no key for the %s table",
				  name, target_type);
	return lv_err_set(err, r, "%s: the kernel refused the %s table: %s", name, target_type,
			  strerror(-r));
}

int lv_dm_load(const struct lv_dm_ref *ref, uint64_t length_sectors, const char *target_type,
	       const char *params, int readonly, struct lv_err *err)
{
	const char *name = ref->name;
	struct table_line line = { length_sectors, target_type, params };
	uint32_t flags = DM_SECURE_DATA_FLAG | (readonly ? DM_READONLY_FLAG : 0);
	struct lv_secret *reply = NULL;
	int r = run_ioctl(DM_TABLE_LOAD, ref, flags, build_table, &line, &reply, err);

	lv_secret_free(&reply);
	if (r == -ENXIO)
		return lv_err_set(err, -ENODEV, "%s: no such mapping", name);
	return r < 0 ? load_error(name, target_type, r, err) : 0;
}

/* DEV_SUSPEND with or without the suspend flag; "what" names it in errors. */
static int suspend_ioctl(const struct lv_dm_ref *ref, uint32_t flags, const char *what,
			 struct lv_dm_info *info, struct lv_err *err)
{
	const char *name = ref->name;
	struct lv_secret *reply = NULL;
	int r = run_ioctl(DM_DEV_SUSPEND, ref, flags | DM_SECURE_DATA_FLAG, NULL, NULL, &reply,
			  err);

	if (r == 0 && info)
		info_from_reply((struct dm_ioctl *)reply->bytes, info);
	lv_secret_free(&reply);
	if (r == -ENXIO)
		return lv_err_set(err, -ENODEV, "%s: no such mapping", name);
	if (r < 0)
		return err && err->code ? r : lv_err_set(err, r, "%s: cannot %s: %s", name, what,
							strerror(-r));
	return 0;
}

int lv_dm_suspend(const struct lv_dm_ref *ref, struct lv_err *err)
{
	return suspend_ioctl(ref, DM_SUSPEND_FLAG, "suspend", NULL, err);
}

int lv_dm_resume(const struct lv_dm_ref *ref, struct lv_dm_info *info, struct lv_err *err)
{
	return suspend_ioctl(ref, 0, "resume", info, err);
}

int lv_dm_clear(const struct lv_dm_ref *ref, struct lv_err *err)
{
	const char *name = ref->name;
	struct lv_secret *reply = NULL;
	int r = run_ioctl(DM_TABLE_CLEAR, ref, DM_SECURE_DATA_FLAG, NULL, NULL, &reply, err);

	lv_secret_free(&reply);
	if (r < 0)
		return err && err->code ? r : lv_err_set(err, r, "%s: cannot clear the inactive table: %s",
							name, strerror(-r));
	return 0;
}

/* struct dm_target_msg (sector 0, like cryptsetup) and the message text. */
static int build_message(struct dm_ioctl *io, size_t buffer_bytes, const void *arg)
{
	struct dm_target_msg *msg = (struct dm_target_msg *)((uint8_t *)io + io->data_start);
	size_t text_len = strlen(arg) + 1;

	if (io->data_start + sizeof(*msg) + text_len > buffer_bytes)
		return -E2BIG;
	msg->sector = 0;
	memcpy(msg->message, arg, text_len);
	return 0;
}

int lv_dm_message(const struct lv_dm_ref *ref, const char *message, struct lv_err *err)
{
	const char *name = ref->name;
	struct lv_secret *reply = NULL;
	int r = run_ioctl(DM_TARGET_MSG, ref, DM_SECURE_DATA_FLAG, build_message, message, &reply,
			  err);

	lv_secret_free(&reply);
	if (r == -ENXIO)
		return lv_err_set(err, -ENODEV, "%s: no such mapping", name);
	if (r == -ENOKEY)
		return lv_err_set(err, -EPERM, "%s: dm-crypt found no key for the message", name);
	if (r < 0)
		return err && err->code ? r : lv_err_set(err, r, "%s: dm-crypt refused the message: %s",
							name, strerror(-r));
	return 0;
}

/* CREATE, TABLE_LOAD, then resume (DEV_SUSPEND without the suspend flag). */
int lv_dm_create_single(const char *name, const char *uuid, uint64_t length_sectors,
			const char *target_type, const char *params, int readonly,
			struct lv_dm_info *info, struct lv_err *err)
{
	struct lv_secret *reply = NULL;
	struct lv_err ignored;
	int r;

	if (strlen(name) >= LV_DM_NAME_MAX)
		return lv_err_set(err, -EINVAL, "%s: mapping name longer than %d bytes", name,
				  LV_DM_NAME_MAX - 1);
	r = run_ioctl(DM_DEV_CREATE, &(struct lv_dm_ref){ name, NULL }, 0, build_uuid, uuid, &reply, err);
	lv_secret_free(&reply);
	if (r == -EBUSY || r == -EEXIST)
		return lv_err_set(err, -EEXIST, "%s: a mapping with this name or UUID already exists",
				  name);
	if (r < 0)
		return err && err->code ? r : lv_err_set(err, r, "%s: cannot create: %s", name,
							strerror(-r));
	r = lv_dm_load(&(struct lv_dm_ref){ name, uuid }, length_sectors, target_type, params,
		       readonly, err);
	if (r == 0)
		r = lv_dm_resume(&(struct lv_dm_ref){ name, uuid }, info, err);
	if (r < 0)
		/* Never leave a half-created device behind. */
		lv_dm_remove(name, 0, &ignored);
	return r;
}

/* TABLE_LOAD then resume; a table the kernel would not resume with is
 * cleared again, so no inactive table (which may hold a key) stays. */
int lv_dm_reload(const struct lv_dm_ref *ref, uint64_t length_sectors, const char *target_type,
		 const char *params, int readonly, struct lv_dm_info *info, struct lv_err *err)
{
	struct lv_err ignored;
	int r = lv_dm_load(ref, length_sectors, target_type, params, readonly, err);

	if (r < 0)
		return r;
	r = lv_dm_resume(ref, info, err);
	if (r < 0)
		lv_dm_clear(ref, &ignored);
	return r;
}

int lv_dm_table(const char *name, char target_type[16], uint64_t *length_sectors,
		struct lv_secret **params, struct lv_err *err)
{
	struct lv_secret *reply;
	int r = run_ioctl(DM_TABLE_STATUS, &(struct lv_dm_ref){ name, NULL }, DM_STATUS_TABLE_FLAG | DM_SECURE_DATA_FLAG,
			  NULL, NULL, &reply, err);

	*params = NULL;
	if (r < 0)
		return err && err->code ? r : lv_err_set(err, r == -ENXIO ? -ENODEV : r,
							"%s: cannot read the table: %s", name,
							strerror(-r));
	const struct dm_ioctl *io = (const struct dm_ioctl *)reply->bytes;
	if (io->target_count < 1 || io->data_start + sizeof(struct dm_target_spec) >= io->data_size) {
		lv_secret_free(&reply);
		return lv_err_set(err, -ENXIO, "%s: no active table", name);
	}
	const struct dm_target_spec *spec =
		(const struct dm_target_spec *)(reply->bytes + io->data_start);
	const char *text = (const char *)(spec + 1);
	size_t max = io->data_size - io->data_start - sizeof(*spec);
	snprintf(target_type, 16, "%.*s", (int)sizeof(spec->target_type), spec->target_type);
	*length_sectors = spec->length;
	*params = lv_secret_dup(text, strnlen(text, max) + 1);
	lv_secret_free(&reply);
	return *params ? 0 : lv_err_set(err, -ENOMEM, "out of memory");
}

int lv_dm_list(void (*visit)(const char *name, void *ctx), void *ctx, struct lv_err *err)
{
	struct lv_secret *reply;
	int r = run_ioctl(DM_LIST_DEVICES, NULL, 0, NULL, NULL, &reply, err);

	if (r < 0)
		return err && err->code ? r : lv_err_set(err, r, "cannot list mappings: %s",
							strerror(-r));
	const struct dm_ioctl *io = (const struct dm_ioctl *)reply->bytes;
	size_t offset = io->data_start;
	while (offset + sizeof(struct dm_name_list) < io->data_size) {
		const struct dm_name_list *entry =
			(const struct dm_name_list *)(reply->bytes + offset);
		if (entry->dev == 0)
			break;
		visit(entry->name, ctx);
		if (entry->next == 0)
			break;
		offset += entry->next;
	}
	lv_secret_free(&reply);
	return 0;
}
