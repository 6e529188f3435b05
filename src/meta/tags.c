/* SPDX-License-Identifier: ISC */
/*
 * tags.c: META tag names.  6..17 are Talos's (talos:pkg/machinery/meta/
 * constants.go, Upgrade = iota + 6); 0..5 are go-adv's (End, two left to
 * syslinux, Reserved1..3: go-adv:adv/internal/constants/constants.go).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "base/ascii.h"
#include "meta/meta.h"

static const struct {
	unsigned tag;
	const char *name;
	int sensitive;
} tags[] = {
	{ 3, "Reserved1", 0 },
	{ 4, "Reserved2", 0 },
	{ 5, "Reserved3", 0 },
	{ 6, "Upgrade", 0 },
	{ 7, "StagedUpgradeImageRef", 0 },
	{ 8, "StagedUpgradeInstallOptions", 0 },
	/* STATE's encryption config: static passphrases in cleartext. */
	{ LV_META_TAG_STATE_ENCRYPTION_CONFIG, "StateEncryptionConfig", 1 },
	{ 10, "MetalNetworkPlatformConfig", 0 },
	{ 11, "DownloadURLCode", 0 },
	{ 12, "UserReserved1", 0 },
	{ 13, "UserReserved2", 0 },
	{ 14, "UserReserved3", 0 },
	{ LV_META_TAG_UUID_OVERRIDE, "UUIDOverride", 0 },
	/* The machine's identity token towards Omni / SideroLink. */
	{ 16, "UniqueMachineToken", 1 },
	{ 17, "DiskImageBootloader", 0 },
};

#define TAG_COUNT (sizeof(tags) / sizeof(tags[0]))

const char *lv_meta_tag_name(unsigned tag)
{
	for (size_t i = 0; i < TAG_COUNT; i++)
		if (tags[i].tag == tag)
			return tags[i].name;
	return NULL;
}

int lv_meta_tag_sensitive(unsigned tag)
{
	for (size_t i = 0; i < TAG_COUNT; i++)
		if (tags[i].tag == tag)
			return tags[i].sensitive;
	return 0;
}

static int parse_number(const char *text, unsigned *tag)
{
	char *end = NULL;
	unsigned long value = 0;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	/* Decimal, or hex after 0x: a leading zero is not octal. */
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		if (!isxdigit((unsigned char)text[2]))
			return -EINVAL;
		value = strtoul(text + 2, &end, 16);
	} else {
		value = strtoul(text, &end, 10);
	}
	if (errno || *end || value == 0 || value > LV_META_TAG_MAX)
		return -EINVAL;
	*tag = (unsigned)value;
	return 0;
}

int lv_meta_tag_parse(const char *text, unsigned *tag)
{
	if (!text || !text[0])
		return -EINVAL;
	if (parse_number(text, tag) == 0)
		return 0;
	for (size_t i = 0; i < TAG_COUNT; i++) {
		if (lv_ascii_caseeq(text, tags[i].name)) {
			*tag = tags[i].tag;
			return 0;
		}
	}
	return -EINVAL;
}
