/* SPDX-License-Identifier: ISC */
/* rel_common.c: the helpers of rel_common.h. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include <errno.h>
#include <json-c/json.h>

#include "faultdisk.h"
#include "rel_common.h"
#include "luks2/device.h"
#include "luks2/json_tree.h"

extern char **environ;

const struct lv_pbkdf_params rel_fast_pbkdf = { .type = "pbkdf2", .forced_iterations = 1000 };

struct lv_secret *rel_secret(const char *text)
{
	return lv_secret_dup(text, strlen(text));
}

int rel_make_base(uint8_t *image, const char *token_keyslot, uint8_t *volume_key,
		  size_t *volume_key_len)
{
	struct lv_format_params params = {
		.keyslots_bytes = 1u << 20, .key_slot = 0, .pbkdf = rel_fast_pbkdf,
	};
	struct lv_secret *p0 = rel_secret("p0"), *p1 = rel_secret("p1"), *vk = NULL;
	struct lv_storage *st;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	char token[96];
	int r;

	snprintf(token, sizeof(token), "{\"type\":\"base\",\"keyslots\":[\"%s\"]}", token_keyslot);
	memset(image, 0, REL_IMAGE_BYTES);
	if ((r = lv_storage_open_mem(&st, image, REL_IMAGE_BYTES, 1)) == 0 &&
	    (r = lv_format_storage(st, &params, p0, &dev, &err)) == 0 &&
	    (r = lv_unlock(dev, 0, p0, &vk, NULL, &err)) == 0 &&
	    (r = lv_keyslot_add(dev, 1, vk, p1, &rel_fast_pbkdf, NULL, &err)) == 0 &&
	    (r = lv_token_import(dev, 0, token, NULL, &err)) == 0) {
		memcpy(volume_key, vk->bytes, vk->len);
		*volume_key_len = vk->len;
	}
	if (r < 0)
		fprintf(stderr, "base image: %s\n", err.msg);
	lv_secret_free(&vk);
	lv_secret_free(&p0);
	lv_secret_free(&p1);
	lv_device_free(&dev);
	return r;
}

static int run_quiet(char *const argv[])
{
	posix_spawn_file_actions_t actions;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ) != 0)
		return -1;
	posix_spawn_file_actions_destroy(&actions);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int write_file(const char *path, const void *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(bytes, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok;
}

/* cryptsetup open --test-passphrase on path, with passphrase (and
 * --key-slot slot unless it is LV_ANY_SLOT); 1 when it opens. */
static int cryptsetup_opens(const char *path, const char *passphrase, int slot)
{
	char key_path[128], slot_text[16];
	int ok;

	snprintf(key_path, sizeof(key_path), "%s.key", path);
	snprintf(slot_text, sizeof(slot_text), "%d", slot);
	char *test[] = { "cryptsetup", "open", "--test-passphrase", "--key-file", key_path,
			 (char *)path, slot == LV_ANY_SLOT ? NULL : "--key-slot", slot_text, NULL };
	ok = write_file(key_path, passphrase, strlen(passphrase)) && run_quiet(test) == 0;
	unlink(key_path);
	return ok;
}

int rel_cryptsetup_accepts(const char *path, const uint8_t *image, const char *passphrase)
{
	char *dump[] = { "cryptsetup", "luksDump", (char *)path, NULL };

	if (!write_file(path, image, REL_IMAGE_BYTES) || run_quiet(dump) != 0)
		return 0;
	return !passphrase || cryptsetup_opens(path, passphrase, LV_ANY_SLOT);
}

int rel_cryptsetup_opens_slot(const char *path, const uint8_t *image, const char *passphrase,
			      int slot)
{
	return write_file(path, image, REL_IMAGE_BYTES) && cryptsetup_opens(path, passphrase, slot);
}

/* ---- power-cut sweeps ---- */

static int load_image(uint8_t *image, struct lv_device **dev, struct lv_err *err)
{
	memset(err, 0, sizeof(*err));
	return lv_device_load_mem(dev, image, REL_IMAGE_BYTES, 0, err);
}

int rel_opens(uint8_t *image, const char *text, int slot, const uint8_t *volume_key,
	      size_t volume_key_len)
{
	struct lv_device *dev;
	struct lv_secret *pass = rel_secret(text), *vk = NULL;
	struct lv_err err;
	int r = load_image(image, &dev, &err);

	if (r == 0) {
		r = lv_unlock(dev, slot, pass, &vk, NULL, &err);
		if (r == 0 && (vk->len != volume_key_len ||
			       memcmp(vk->bytes, volume_key, vk->len) != 0))
			r = -EILSEQ;
		lv_secret_free(&vk);
		lv_device_free(&dev);
	}
	lv_secret_free(&pass);
	return r;
}

/* A new keyslot's salt is random in every run, so states are compared
 * without keyslot salts (and without area offsets when asked). */
static void drop_run_dependent(struct json_object *root, unsigned flags)
{
	struct json_object *keyslots, *kdf, *area;

	if (!json_object_object_get_ex(root, "keyslots", &keyslots))
		return;
	json_object_object_foreach(keyslots, id, keyslot) {
		(void)id;
		if (json_object_object_get_ex(keyslot, "kdf", &kdf))
			json_object_object_del(kdf, "salt");
		if ((flags & REL_STATE_NO_AREA_OFFSETS) &&
		    json_object_object_get_ex(keyslot, "area", &area))
			json_object_object_del(area, "offset");
	}
}

char *rel_state_of(uint8_t *image, unsigned flags)
{
	struct json_object *copy = NULL;
	struct lv_device *dev;
	struct lv_err err;
	char *text = NULL;

	if (load_image(image, &dev, &err) < 0)
		return NULL;
	/* The parsed JSON as json-c reads it back, to edit with json-c. */
	if ((text = lv_json_print(lv_dev_md(dev)->root, LV_JSON_PLAIN, NULL)))
		copy = json_tokener_parse(text);
	free(text);
	text = NULL;
	drop_run_dependent(copy, flags);
	if (asprintf(&text, "%s|%s|%s", json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN),
		     lv_dev_bin(dev)->label, lv_dev_bin(dev)->subsystem) < 0)
		text = NULL;
	json_object_put(copy);
	lv_device_free(&dev);
	return text;
}

static unsigned key_count(const struct rel_key *keys)
{
	unsigned n = 0;

	while (n < REL_MAX_KEYS && keys[n].text)
		n++;
	return n;
}

/* The allowed states, with REL_FROM_START and REL_FROM_FINAL resolved. */
struct resolved {
	const struct rel_state *state;
	char *text;	/* NULL: no header loads */
};

static const struct rel_state *matching_state(const struct resolved *states, unsigned count,
					      const char *text)
{
	for (unsigned i = 0; i < count; i++)
		if ((!text && !states[i].text) ||
		    (text && states[i].text && strcmp(text, states[i].text) == 0))
			return states[i].state;
	return NULL;
}

/* One surviving image: an allowed state, each of its passphrases opens
 * its keyslot to the volume key, and cryptsetup loads it and opens it
 * with one of them (a different one from cut to cut). */
static const struct rel_state *check_cut(const struct rel_sweep *sw,
					const struct resolved *states, uint8_t *image,
					unsigned cut, int tear)
{
	const char *torn = tear ? " (torn)" : "";
	char *text = rel_state_of(image, sw->state_flags);
	const struct rel_state *match = matching_state(states, sw->state_count, text);
	unsigned keys;

	if (!match)
		fail_msg("%s, cut at event %u%s: %s", sw->name, cut, torn,
			 text ? "metadata is none of the allowed states" : "luksvol cannot load the image");
	if (!text) {
		/* The allowed "no header" state: for cryptsetup too. */
		if (rel_cryptsetup_accepts(sw->tmp_path, image, NULL))
			fail_msg("%s, cut at event %u%s: cryptsetup loads a header luksvol does not find",
				 sw->name, cut, torn);
		return match;
	}
	free(text);
	keys = key_count(match->keys);
	for (unsigned i = 0; i < keys; i++)
		if (rel_opens(image, match->keys[i].text, match->keys[i].slot, sw->volume_key,
			      sw->volume_key_len) != 0)
			fail_msg("%s, cut at event %u%s: %s state, but \"%s\" does not open keyslot %d to the volume key",
				 sw->name, cut, torn, match->name, match->keys[i].text,
				 match->keys[i].slot);
	const char *probe = keys ? match->keys[(2 * cut + (unsigned)tear) % keys].text : NULL;
	if (!rel_cryptsetup_accepts(sw->tmp_path, image, probe))
		fail_msg("%s, cut at event %u%s: %s state, but cryptsetup does not %s", sw->name, cut,
			 torn, match->name, probe ? "load it or open it with a passphrase of that state"
						  : "load it");
	return match;
}

/* Runs the sweep's operation on a copy of start, power cut at event cut
 * (0: never); *after gets the durable image, *events the count. */
static int run_with_cut(const struct rel_sweep *sw, const uint8_t *start, unsigned cut,
			int tear, uint8_t *after, unsigned *events)
{
	struct fault_disk disk;
	struct lv_err err;
	int r, cut_happened;

	assert_int_equal(fault_disk_init(&disk, start, REL_IMAGE_BYTES), 0);
	disk.cut_at = cut;
	disk.tear = tear;
	memset(&err, 0, sizeof(err));
	r = sw->run(fault_disk_storage(&disk), &err);
	if (r < 0 && !disk.dead)
		fail_msg("%s failed without a power cut: %s", sw->name, err.msg);
	memcpy(after, disk.durable, REL_IMAGE_BYTES);
	*events = disk.events;
	cut_happened = disk.dead;
	fault_disk_destroy(&disk);
	return cut_happened;
}

static char *resolve_text(const struct rel_state *state, uint8_t *start, uint8_t *final,
			  unsigned flags)
{
	char *text;

	switch (state->from) {
	case REL_FROM_START:
		assert_non_null(text = rel_state_of(start, flags));
		return text;
	case REL_FROM_FINAL:
		assert_non_null(text = rel_state_of(final, flags));
		return text;
	case REL_FROM_IMAGE:
		assert_non_null(text = rel_state_of(state->image, flags));
		return text;
	case REL_NO_HEADER:
		return NULL;
	}
	return NULL;
}

unsigned rel_sweep_run(const struct rel_sweep *sw, const uint8_t *start, uint8_t *final)
{
	uint8_t *after = malloc(REL_IMAGE_BYTES), *start_copy = malloc(REL_IMAGE_BYTES);
	struct resolved states[REL_MAX_STATES];
	unsigned total, events, points = 0, seen_count[REL_MAX_STATES] = { 0 };

	assert_non_null(after);
	assert_non_null(start_copy);
	assert_true(sw->state_count <= REL_MAX_STATES);
	memcpy(start_copy, start, REL_IMAGE_BYTES);
	run_with_cut(sw, start, 0, 0, after, &total);
	if (final)
		memcpy(final, after, REL_IMAGE_BYTES);
	for (unsigned i = 0; i < sw->state_count; i++) {
		states[i].state = &sw->states[i];
		states[i].text = resolve_text(&sw->states[i], start_copy, after, sw->state_flags);
	}
	for (unsigned cut = 1; cut <= total; cut++) {
		for (int tear = 0; tear < 2; tear++, points++) {
			if (!run_with_cut(sw, start, cut, tear, after, &events))
				fail_msg("%s: no power cut at event %u of %u", sw->name, cut, total);
			const struct rel_state *seen = check_cut(sw, states, after, cut, tear);
			const char *text = states[seen - sw->states].text;

			/* States with equal metadata are all seen. */
			for (unsigned i = 0; i < sw->state_count; i++)
				seen_count[i] += (!text && !states[i].text) ||
						 (text && states[i].text && strcmp(text, states[i].text) == 0);
		}
	}
	for (unsigned i = 0; i < sw->state_count; i++)
		if (sw->states[i].must_appear && !seen_count[i])
			fail_msg("%s: no cut left the %s state", sw->name, sw->states[i].name);
	print_message("%s: %u events, %u cut points checked\n", sw->name, total, points);
	for (unsigned i = 0; i < sw->state_count; i++)
		free(states[i].text);
	free(start_copy);
	free(after);
	return points;
}
