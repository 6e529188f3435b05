/* SPDX-License-Identifier: ISC */
/*
 * node_uuid.c: the node's UUID, for nodeID and kms keys (§2.2): the
 * settings' node_uuid (Talos: SMBIOS, or META's UUIDOverride), else the
 * kernel's DMI product UUID, lowercased; then, for nodeID keys, Talos's
 * entropy check.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keys/keys.h"

#define DMI_PRODUCT_UUID "/sys/class/dmi/id/product_uuid"

/* Talos refuses a UUID in which one character (hyphens count) occurs
 * more than len/2 times: such firmware placeholders are shared by many
 * machines, and the key would be guessable. */
int lv_node_uuid_check(const char *uuid, struct lv_err *err)
{
	size_t len = strlen(uuid), counts[256] = { 0 };

	if (len == 0)
		return lv_err_set(err, -EINVAL, "machine UUID is not populated");
	for (size_t i = 0; i < len; i++)
		if (++counts[(unsigned char)uuid[i]] > len / 2)
			return lv_err_set(err, -EINVAL, "machine UUID %s entropy check failed", uuid);
	return 0;
}

static int uuid_text_valid(const char *uuid)
{
	for (const char *p = uuid; *p; p++)
		if (!isgraph((unsigned char)*p))
			return 0;
	return 1;
}

static int read_dmi_uuid(char *uuid, size_t uuid_size, struct lv_err *err)
{
	ssize_t n;
	int fd = open(DMI_PRODUCT_UUID, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return lv_err_set(err, -errno, "%s: %s (pass --node-uuid)", DMI_PRODUCT_UUID,
				  strerror(errno));
	n = read(fd, uuid, uuid_size - 1);
	close(fd);
	if (n < 0)
		return lv_err_set(err, -EIO, "%s: %s", DMI_PRODUCT_UUID, strerror(errno));
	uuid[n] = '\0';
	while (n > 0 && isspace((unsigned char)uuid[n - 1]))
		uuid[--n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		uuid[i] = (char)tolower((unsigned char)uuid[i]);
	return 0;
}

int lv_node_uuid_load(struct lv_key_context *ctx, struct lv_err *err)
{
	const char *given = ctx->settings ? ctx->settings->node_uuid : NULL;
	int r;

	if (ctx->node_uuid_loaded)
		return 0;
	if (given) {
		if (strlen(given) > LV_NODE_UUID_MAX)
			return lv_err_set(err, -EINVAL, "the node UUID is longer than %d characters",
					  LV_NODE_UUID_MAX);
		snprintf(ctx->node_uuid, sizeof(ctx->node_uuid), "%s", given);
	} else if (ctx->settings && ctx->settings->node_uuid_unknown) {
		return lv_err_set(err, -EINVAL, "no node UUID: %s", ctx->settings->node_uuid_unknown);
	} else {
		r = read_dmi_uuid(ctx->node_uuid, sizeof(ctx->node_uuid), err);
		if (r < 0)
			return r;
	}
	if (!ctx->node_uuid[0])
		return lv_err_set(err, -EINVAL, "machine UUID is not populated");
	if (!uuid_text_valid(ctx->node_uuid))
		return lv_err_set(err, -EINVAL, "machine UUID contains a space or control character");
	ctx->node_uuid_loaded = 1;
	return 0;
}

int lv_node_uuid_get(struct lv_key_context *ctx, struct lv_err *err)
{
	int r = lv_node_uuid_load(ctx, err);

	return r < 0 ? r : lv_node_uuid_check(ctx->node_uuid, err);
}
