/* SPDX-License-Identifier: ISC */
/*
 * dump.c: `luksvol dump`, the facts `cryptsetup luksDump` shows, in its
 * layout so that scripts reading one can read the other, plus the header
 * copy in use.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>

#include "luks2/device.h"

static void dump_hex(FILE *out, const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (i && i % 16 == 0)
			fputs("\n\t            ", out);
		fprintf(out, "%02x ", bytes[i]);
	}
	fputc('\n', out);
}

static void dump_blob(FILE *out, const char *label, const struct lv_blob *blob)
{
	fprintf(out, "\t%-12s", label);
	if (blob->valid)
		dump_hex(out, blob->bytes, blob->len);
	else
		fputs("(invalid base64)\n", out);
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
	fprintf(out, "Metadata area: \t%" PRIu64 " [bytes]\n", bin->hdr_size);
	fprintf(out, "Keyslots area: \t%" PRIu64 " [bytes]\n", cfg->keyslots_size);
	fprintf(out, "UUID:          \t%s\n", bin->uuid);
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

static void dump_segments(FILE *out, const struct lv_metadata *md)
{
	fputs("Data segments:\n", out);
	for (uint32_t id = 0; id < md->segment_count; id++) {
		const struct lv_segment *seg = lv_md_segment(md, id);
		struct json_object *flags;

		if (!seg)
			continue;
		fprintf(out, "  %u: %s\n", seg->id, seg->type);
		fprintf(out, "\toffset: %" PRIu64 " [bytes]\n", seg->offset_bytes);
		if (seg->dynamic)
			fputs("\tlength: (whole device)\n", out);
		else
			fprintf(out, "\tlength: %" PRIu64 " [bytes]\n", seg->size_bytes);
		if (seg->is_crypt) {
			fprintf(out, "\tcipher: %s\n", seg->encryption);
			fprintf(out, "\tsector: %u [bytes]\n", seg->sector_size);
		}
		if (json_object_object_get_ex(seg->json, "flags", &flags) &&
		    json_object_array_length(flags)) {
			fputs("\tflags : ", out);
			for (size_t i = 0; i < json_object_array_length(flags); i++)
				fprintf(out, "%s ",
					json_object_get_string(json_object_array_get_idx(flags, i)));
			fputc('\n', out);
		}
		fputc('\n', out);
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
		fprintf(out, "\tIterations: %" PRId64 "\n", kdf->iterations);
	} else {
		fprintf(out, "\tTime cost:  %" PRId64 "\n", kdf->time_cost);
		fprintf(out, "\tMemory:     %" PRId64 "\n", kdf->memory_kib);
		fprintf(out, "\tThreads:    %" PRId64 "\n", kdf->cpus);
	}
	dump_blob(out, "Salt:", &kdf->salt);
	fprintf(out, "\tAF stripes: %" PRId64 "\n", ks->af.stripes);
	fprintf(out, "\tAF hash:    %s\n", ks->af.hash);
	fprintf(out, "\tArea offset:%" PRIu64 " [bytes]\n", ks->area.offset_bytes);
	fprintf(out, "\tArea length:%" PRIu64 " [bytes]\n", ks->area.size_bytes);
}

static void dump_keyslots(FILE *out, const struct lv_metadata *md)
{
	fputs("Keyslots:\n", out);
	for (uint32_t id = 0; id < LV_KEYSLOTS_MAX; id++) {
		const struct lv_keyslot *ks = lv_md_keyslot(md, id);
		const struct lv_digest *digest;

		if (!ks)
			continue;
		digest = lv_md_digest_of_keyslot(md, id);
		fprintf(out, "  %u: %s%s\n", id, ks->type,
			digest && digest->segments.count == 0 ? " (unbound)" : "");
		fprintf(out, "\tKey:        %" PRIu32 " bits\n", bits_as_cryptsetup(ks->key_size));
		fprintf(out, "\tPriority:   %s\n", priority_name(ks));
		if (ks->kind == LV_KEYSLOT_LUKS2)
			dump_luks2_keyslot(out, ks);
		if (digest)
			fprintf(out, "\tDigest ID:  %u\n", digest->id);
	}
}

static void dump_tokens(FILE *out, const struct lv_metadata *md)
{
	fputs("Tokens:\n", out);
	for (uint32_t id = 0; id < LV_TOKENS_MAX; id++) {
		const struct lv_token *token = NULL;
		struct json_object *desc;

		for (unsigned i = 0; i < md->token_count; i++)
			if (md->tokens[i].id == id)
				token = &md->tokens[i];
		if (!token)
			continue;
		fprintf(out, "  %u: %s\n", id, token->type);
		if (strcmp(token->type, "luks2-keyring") == 0 &&
		    json_object_object_get_ex(token->json, "key_description", &desc))
			fprintf(out, "\tKey description: %s\n", json_object_get_string(desc));
		for (unsigned k = 0; k < token->keyslots.count; k++)
			fprintf(out, "\tKeyslot:    %u\n", token->keyslots.ids[k]);
	}
}

static void dump_digests(FILE *out, const struct lv_metadata *md)
{
	fputs("Digests:\n", out);
	for (uint32_t id = 0; id < LV_DIGESTS_MAX; id++) {
		for (unsigned i = 0; i < md->digest_count; i++) {
			const struct lv_digest *digest = &md->digests[i];

			if (digest->id != id)
				continue;
			fprintf(out, "  %u: %s\n", id, digest->type);
			if (strcmp(digest->type, "pbkdf2") != 0)
				continue;
			fprintf(out, "\tHash:       %s\n", digest->hash);
			fprintf(out, "\tIterations: %" PRId64 "\n", digest->iterations);
			dump_blob(out, "Salt:", &digest->salt);
			dump_blob(out, "Digest:", &digest->digest);
		}
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
	const char *text = json_object_to_json_string_ext(
		lv_dev_md(dev)->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!text)
		return lv_err_set(err, -ENOMEM, "cannot serialize the metadata");
	fprintf(out, "%s\n", text);
	if (fflush(out) != 0 || ferror(out))
		return lv_err_set(err, -EIO, "cannot write the dump");
	return 0;
}
