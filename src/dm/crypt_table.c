/* SPDX-License-Identifier: ISC */
/*
 * crypt_table.c: the dm-crypt table line, built as cryptsetup builds it
 * (luks2-reference.md §4.1), and parsed back for status.
 *
 *   <cipher> <key> <iv_offset> <device> <offset> [<#opts> <opt>...]
 *
 * key is ":<bytes>:logon:<description>" for a keyring key, or hex.
 * Options come in dm-crypt's fixed order: allow_discards, same_cpu_crypt,
 * submit_from_crypt_cpus, no_read_workqueue, no_write_workqueue,
 * sector_size:<n> (only when not 512).  LUKS2 never uses iv_large_sectors.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/constants.h"
#include "dm/crypt_table.h"


/* <cipher>-<mode>[-<iv>[:<ivopts>]] of letters, digits and ",_()" only;
 * "capi:" specs and anything else dm-crypt would parse differently are
 * refused, as cryptsetup refuses them for LUKS2 activation. */
int lv_crypt_cipher_parsable(const char *cipher)
{
	size_t len = strlen(cipher);
	int dashes = 0;

	if (len == 0 || len >= 128 || strncmp(cipher, "capi:", 5) == 0)
		return 0;
	for (const char *p = cipher; *p; p++) {
		if (*p == '-')
			dashes++;
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			   strchr(",_:", *p)))
			return 0;
	}
	return dashes >= 1 && cipher[0] != '-' && cipher[len - 1] != '-';
}

static int append(char *buf, size_t size, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *used)
		return -E2BIG;
	*used += (size_t)n;
	return 0;
}

void lv_crypt_key_hex(const struct lv_secret *key, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < key->len; i++) {
		out[2 * i] = digits[key->bytes[i] >> 4];
		out[2 * i + 1] = digits[key->bytes[i] & 15];
	}
	out[2 * key->len] = '\0';
}

int lv_crypt_table_build(const struct lv_crypt_table *t, struct lv_secret **params)
{
	size_t size = 2 * t->key->len + 512, used = 0;
	unsigned count = 0;
	int r;

	*params = lv_secret_new(size);
	if (!*params)
		return -ENOMEM;
	char *buf = (char *)(*params)->bytes;
	r = append(buf, size, &used, "%s ", t->cipher);
	if (r == 0 && t->key_description)
		r = append(buf, size, &used, ":%zu:logon:%s", t->key->len, t->key_description);
	else if (r == 0) {
		lv_crypt_key_hex(t->key, buf + used);
		used += 2 * t->key->len;
	}
	if (r == 0)
		r = append(buf, size, &used, " 0 %u:%u %" PRIu64, t->device_major, t->device_minor,
			   t->offset_sectors);
	for (const struct lv_flag_names *f = lv_flag_names; f->flag; f++)
		count += f->dm && (t->flags & f->flag);
	count += t->sector_size != 512;
	if (r == 0 && count)
		r = append(buf, size, &used, " %u", count);
	for (const struct lv_flag_names *f = lv_flag_names; r == 0 && f->flag; f++)
		if (f->dm && (t->flags & f->flag))
			r = append(buf, size, &used, " %s", f->dm);
	if (r == 0 && t->sector_size != 512)
		r = append(buf, size, &used, " sector_size:%u", t->sector_size);
	if (r < 0)
		lv_secret_free(params);
	return r;
}

/* A decimal unsigned at text, or -1 when there is none.  (Not sscanf: it
 * pulls every float parser into a static binary.) */
static long parse_unsigned(const char *text)
{
	char *end;
	unsigned long value;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	value = strtoul(text, &end, 10);
	return errno || value > UINT32_MAX ? -1 : (long)value;
}

static int parse_key(const char *key, struct lv_mapping_status *st)
{
	long bytes;

	if (key[0] == ':') {
		bytes = parse_unsigned(key + 1);
		if (bytes < 0)
			return -EINVAL;
		st->key_bits = (uint32_t)bytes * 8;
		st->key_in_keyring = 1;
		return 0;
	}
	st->key_bits = strcmp(key, "-") == 0 ? 0 : (uint32_t)(strlen(key) / 2 * 8);
	return 0;
}

static void parse_option(const char *option, struct lv_mapping_status *st)
{
	static const char sector_size[] = "sector_size:";
	long sector;

	for (const struct lv_flag_names *f = lv_flag_names; f->flag; f++)
		if (f->dm && strcmp(option, f->dm) == 0)
			st->flags |= f->flag;
	if (strncmp(option, sector_size, sizeof(sector_size) - 1) == 0) {
		sector = parse_unsigned(option + sizeof(sector_size) - 1);
		if (sector >= 0)
			st->sector_size = (uint32_t)sector;
	}
}

/* Parses a crypt table line in place; the key field is never copied. */
int lv_crypt_table_parse(char *params, struct lv_mapping_status *st)
{
	char *save = NULL, *field[5];
	unsigned count = 0;

	for (int i = 0; i < 5; i++) {
		field[i] = strtok_r(i ? NULL : params, " ", &save);
		if (!field[i])
			return -EINVAL;
	}
	snprintf(st->cipher, sizeof(st->cipher), "%s", field[0]);
	if (parse_key(field[1], st) < 0)
		return -EINVAL;
	st->iv_offset = strtoull(field[2], NULL, 10);
	snprintf(st->device, sizeof(st->device), "%s", field[3]);
	st->offset_sectors = strtoull(field[4], NULL, 10);
	st->sector_size = 512;
	char *count_text = strtok_r(NULL, " ", &save);
	if (count_text)
		count = (unsigned)strtoul(count_text, NULL, 10);
	for (unsigned i = 0; i < count; i++) {
		char *option = strtok_r(NULL, " ", &save);
		if (!option)
			break;
		parse_option(option, st);
	}
	return 0;
}
