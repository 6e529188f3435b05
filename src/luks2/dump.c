/* SPDX-License-Identifier: ISC */
/*
 * dump.c: `luksvol dump`, what `cryptsetup luksDump` shows, line for line
 * in its layout so that scripts reading one can read the other, plus the
 * header copy in use.  Like luksDump, it shows keyslots and tokens 0..31,
 * segments 0..31 and digests 0..7, by id; a token's type-specific lines
 * come from its type's ops (token.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "luks2/device.h"
#include "luks2/token.h"

/* cryptsetup's hexprint_base64: nothing at all (not even the newline)
 * for text that does not decode. */
static void dump_blob(FILE *out, const char *label, const struct lv_blob *blob)
{
	fprintf(out, "\t%-12s", label);
	if (!blob->valid)
		return;
	for (size_t i = 0; i < blob->len; i++) {
		if (i && i % 16 == 0)
			fputs("\n\t            ", out);
		fprintf(out, "%02x ", blob->bytes[i]);
	}
	fputc('\n', out);
}

/* printf's "%s" of NULL, as glibc prints what json-c returns for a
 * missing field. */
static const char *text_or_null(const char *text)
{
	return text ? text : "(null)";
}

static void dump_string_list(FILE *out, const struct lv_string_list *list)
{
	for (unsigned i = 0; i < list->count; i++)
		fprintf(out, "%s ", list->items[i]);
}

static const char *copy_name(enum lv_copy_index index)
{
	return index == LV_PRIMARY ? "primary" : "secondary";
}

static void dump_header_info(FILE *out, const struct lv_device *dev)
{
	const struct lv_hdr_bin *bin = lv_dev_bin(dev);
	const struct lv_config *cfg = &lv_dev_md(dev)->config;
	const struct lv_hdr_copy *other = &dev->copies[1 - dev->active];

	fputs("LUKS header information\n", out);
	fprintf(out, "Version:       \t%u\n", bin->version);
	fprintf(out, "Epoch:         \t%" PRIu64 "\n", bin->seqid);
	fprintf(out, "Metadata area: \t%" PRIu64 " [bytes]\n", cfg->json_size + LV_HDR_BIN_BYTES);
	fprintf(out, "Keyslots area: \t%" PRIu64 " [bytes]\n", cfg->keyslots_size);
	fprintf(out, "UUID:          \t%s\n", bin->uuid[0] ? bin->uuid : "(no UUID)");
	fprintf(out, "Label:         \t%s\n", bin->label[0] ? bin->label : "(no label)");
	fprintf(out, "Subsystem:     \t%s\n", bin->subsystem[0] ? bin->subsystem : "(no subsystem)");
	fputs("Flags:       \t", out);
	if (cfg->flags.count)
		dump_string_list(out, &cfg->flags);
	else
		fputs("(no flags)", out);
	fputc('\n', out);
	if (cfg->mandatory.count) {
		fputs("Requirements:\t", out);
		dump_string_list(out, &cfg->mandatory);
		fputc('\n', out);
	}
	fprintf(out, "Header copy:   \t%s (%s copy %s)\n", copy_name(dev->active),
		copy_name(1 - dev->active), other->state == LV_COPY_OK ? "valid" : "damaged");
	fputc('\n', out);
}

static void dump_segment(FILE *out, const struct lv_segment *seg)
{
	fprintf(out, "  %s: %s\n", seg->id.text, seg->type);
	fprintf(out, "\toffset: %" PRIu64 " [bytes]\n", seg->offset_bytes);
	if (seg->dynamic)
		fputs("\tlength: (whole device)\n", out);
	else
		fprintf(out, "\tlength: %" PRIu64 " [bytes]\n", seg->size_bytes);
	if (seg->encryption)
		fprintf(out, "\tcipher: %s\n", seg->encryption);
	if (seg->is_crypt || lv_json_member(seg->json, "sector_size"))
		fprintf(out, "\tsector: %" PRIu32 " [bytes]\n", seg->sector_size);
	if (seg->integrity_type)
		fprintf(out, "\tintegrity: %s\n", seg->integrity_type);
	for (unsigned i = 0; i < seg->flags.count; i++)
		fprintf(out, i ? ", %s" : "\tflags : %s", seg->flags.items[i]);
	if (seg->flags.count)
		fputc('\n', out);
	fputc('\n', out);
}

static void dump_segments(FILE *out, const struct lv_metadata *md)
{
	fputs("Data segments:\n", out);
	for (uint32_t id = 0; id < LV_SEGMENTS_DUMP_MAX; id++) {
		const struct lv_segment *seg = lv_md_segment(md, id);

		if (seg)
			dump_segment(out, seg);
	}
}

static const char *priority_name(const struct lv_keyslot *ks)
{
	if (!ks->has_priority || ks->priority == LV_PRIORITY_NORMAL)
		return "normal";
	if (ks->priority == LV_PRIORITY_IGNORE)
		return "ignored";
	if (ks->priority == LV_PRIORITY_PREFER)
		return "preferred";
	return "invalid";
}

/* json_object_get_int()'s view of an int64: clamped to int. */
static int clamp_int(int64_t value)
{
	return value > INT32_MAX ? INT32_MAX : value < INT32_MIN ? INT32_MIN : (int)value;
}

/* Key sizes in bits as cryptsetup prints them: the JSON value taken as a
 * uint32 (crypt_jobj_get_uint32) times 8, in 32-bit unsigned arithmetic.
 * A value out of range prints as cryptsetup prints it; the load already
 * warned about it with its real value. */
static uint32_t bits_as_cryptsetup(int64_t key_bytes)
{
	return (uint32_t)key_bytes * 8u;
}

static void dump_luks2_keyslot(FILE *out, const struct lv_keyslot *ks)
{
	const struct lv_kdf *kdf = &ks->kdf;

	fprintf(out, "\tCipher:     %s\n", ks->area.encryption);
	fprintf(out, "\tCipher key: %" PRIu32 " bits\n", bits_as_cryptsetup(ks->area.key_size));
	fprintf(out, "\tPBKDF:      %s\n", kdf->type);
	if (kdf->kind == LV_KDF_PBKDF2) {
		fprintf(out, "\tHash:       %s\n", kdf->hash);
		fprintf(out, "\tIterations: %" PRIu64 "\n", (uint64_t)kdf->iterations);
	} else {
		fprintf(out, "\tTime cost:  %" PRIu64 "\n", (uint64_t)kdf->time_cost);
		fprintf(out, "\tMemory:     %" PRIu64 "\n", (uint64_t)kdf->memory_kib);
		fprintf(out, "\tThreads:    %" PRIu64 "\n", (uint64_t)kdf->cpus);
	}
	dump_blob(out, "Salt:", &kdf->salt);
	fprintf(out, "\tAF stripes: %u\n", (unsigned)clamp_int(ks->af.stripes));
	fprintf(out, "\tAF hash:    %s\n", ks->af.hash);
	fprintf(out, "\tArea offset:%" PRIu64 " [bytes]\n", ks->area.offset_bytes);
	fprintf(out, "\tArea length:%" PRIu64 " [bytes]\n", ks->area.size_bytes);
}

static void dump_reencrypt_keyslot(FILE *out, const struct lv_keyslot *ks)
{
	const struct lv_reencrypt *re = &ks->reencrypt;

	fprintf(out, "\t%-12s%s\n", "Mode:", re->mode);
	fprintf(out, "\t%-12s%s\n", "Direction:", re->direction);
	fprintf(out, "\t%-12s%s\n", "Resilience:", ks->area.type);
	if (strcmp(ks->area.type, "checksum") == 0) {
		fprintf(out, "\t%-12s%s\n", "Hash:", text_or_null(re->hash));
		fprintf(out, "\t%-12s%d [bytes]\n", "Hash data:", clamp_int(re->sector_size));
	} else if (strcmp(ks->area.type, "datashift") == 0) {
		fprintf(out, "\t%-12s%" PRIu64 "[bytes]\n", "Shift size:", re->shift_size);
	}
	fprintf(out, "\tArea offset:%" PRIu64 " [bytes]\n", ks->area.offset_bytes);
	fprintf(out, "\tArea length:%" PRIu64 " [bytes]\n", ks->area.size_bytes);
}

/* The first digest listing segment number (LUKS2_digest_by_segment). */
static const struct lv_digest *digest_of_segment(const struct lv_metadata *md, uint32_t number)
{
	char text[16];

	lv_u32_text(text, number);
	for (unsigned i = 0; i < md->digest_count; i++)
		if (lv_id_list_has(&md->digests[i].segments, text))
			return &md->digests[i];
	return NULL;
}

/* luksDump's "(unbound)": the keyslot's digest (the first listing it) is
 * no segment's digest, or there is none. */
static int unbound(const struct lv_metadata *md, const struct lv_keyslot *ks)
{
	const struct lv_digest *digest = lv_md_digest_of_keyslot(md, ks);

	for (uint32_t s = 0; digest && s < md->segment_count; s++)
		if (digest_of_segment(md, s) == digest)
			return 0;
	return 1;
}

static void dump_keyslot(FILE *out, const struct lv_metadata *md, const struct lv_keyslot *ks)
{
	fprintf(out, "  %s: %s%s\n", ks->id.text, ks->type, unbound(md, ks) ? " (unbound)" : "");
	fprintf(out, "\tKey:        %" PRIu32 " bits\n", bits_as_cryptsetup(ks->key_size));
	fprintf(out, "\tPriority:   %s\n", priority_name(ks));
	if (ks->kind == LV_KEYSLOT_LUKS2)
		dump_luks2_keyslot(out, ks);
	else if (ks->kind == LV_KEYSLOT_REENCRYPT)
		dump_reencrypt_keyslot(out, ks);
	/* Every digest entry that names it: a digest listing it twice shows twice. */
	for (unsigned i = 0; i < md->digest_count; i++)
		for (unsigned k = 0; k < md->digests[i].keyslots.count; k++)
			if (strcmp(md->digests[i].keyslots.items[k].text, ks->id.text) == 0)
				fprintf(out, "\tDigest ID:  %s\n", md->digests[i].id.text);
}

static void dump_keyslots(FILE *out, const struct lv_metadata *md)
{
	fputs("Keyslots:\n", out);
	for (uint32_t id = 0; id < LV_KEYSLOTS_MAX; id++) {
		const struct lv_keyslot *ks = lv_md_keyslot(md, id);

		if (ks)
			dump_keyslot(out, md, ks);
	}
}

static void dump_tokens(FILE *out, const struct lv_metadata *md)
{
	fputs("Tokens:\n", out);
	for (uint32_t id = 0; id < LV_TOKENS_MAX; id++) {
		const struct lv_token *token = lv_md_token(md, id);

		if (!token)
			continue;
		fprintf(out, "  %s: %s\n", token->id.text, token->type);
		if (token->ops && token->ops->dump)
			token->ops->dump(token, out);
		for (unsigned k = 0; k < token->keyslots.count; k++)
			fprintf(out, "\tKeyslot:    %s\n", token->keyslots.items[k].text);
	}
}

static void dump_digests(FILE *out, const struct lv_metadata *md)
{
	fputs("Digests:\n", out);
	for (uint32_t id = 0; id < LV_DIGESTS_DUMP_MAX; id++) {
		const struct lv_digest *digest = lv_md_digest(md, id);

		if (!digest)
			continue;
		fprintf(out, "  %s: %s\n", digest->id.text, digest->type);
		if (strcmp(digest->type, "pbkdf2") != 0)
			continue;
		fprintf(out, "\tHash:       %s\n", text_or_null(digest->hash));
		fprintf(out, "\tIterations: %" PRIu64 "\n", (uint64_t)digest->iterations);
		dump_blob(out, "Salt:", &digest->salt);
		dump_blob(out, "Digest:", &digest->digest);
	}
}

int lv_dump(struct lv_device *dev, FILE *out, struct lv_err *err)
{
	const struct lv_metadata *md = lv_dev_md(dev);

	dump_header_info(out, dev);
	dump_segments(out, md);
	dump_keyslots(out, md);
	dump_tokens(out, md);
	dump_digests(out, md);
	if (fflush(out) != 0 || ferror(out))
		return lv_err_set(err, -EIO, "cannot write the dump");
	return 0;
}

int lv_dump_json(struct lv_device *dev, FILE *out, struct lv_err *err)
{
	if (lv_metadata_print_json(lv_dev_md(dev), out) < 0)
		return lv_err_set(err, -ENOMEM, "cannot serialize the metadata");
	if (fflush(out) != 0 || ferror(out))
		return lv_err_set(err, -EIO, "cannot write the dump");
	return 0;
}
