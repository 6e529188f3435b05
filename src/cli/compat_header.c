/* SPDX-License-Identifier: ISC */
/*
 * compat_header.c: cryptsetup 2.6.1's header actions: isLuks, luksDump,
 * luksUUID, luksHeaderBackup/Restore, repair, erase, config and token,
 * with its messages (tests/compat/README.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/compat.h"

int compat_is_luks(const struct compat_opts *opts)
{
	const char *path = compat_header_path(opts), *type = opts->type;
	enum lv_luks_version version;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	struct stat sb;
	int r;

	if (stat(path, &sb) < 0)
		return compat_error(-ENODEV, "Device %s does not exist or access denied.", path);
	if (lv_probe(path, &version, &err) < 0 || version == LV_NOT_LUKS)
		return -EINVAL;
	if (type && ((strcmp(type, "luks1") == 0 && version != LV_LUKS1) ||
		     (strcmp(type, "luks2") == 0 && version != LV_LUKS2)))
		return -EINVAL;
	if (version == LV_LUKS1)
		return 0;
	r = lv_device_load(&dev, path, 0, &err);
	lv_device_free(&dev);
	return r < 0 ? -EINVAL : 0;
}

/* --volume-key-file: the raw key, in a new file only the owner reads. */
static int store_volume_key(const char *path, const struct lv_secret *volume_key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	ssize_t n = -1;

	if (fd < 0)
		return compat_error(-EINVAL, "Cannot open file %s.", path);
	n = write(fd, volume_key->bytes, volume_key->len);
	if (n != (ssize_t)volume_key->len || fsync(fd) < 0) {
		close(fd);
		unlink(path);
		return compat_error(-EIO, "Cannot write to file %s.", path);
	}
	return close(fd) < 0 ? compat_error(-EIO, "Cannot write to file %s.", path) : 0;
}

static int dump_volume_key(const struct compat_opts *opts)
{
	const char *path = compat_header_path(opts);
	struct lv_secret *passphrase = NULL, *volume_key = NULL;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int slot, r;

	if (!cli_confirm(&opts->base, "Header dump with volume key is sensitive information\n"
			 "that allows access to encrypted partition without a passphrase.\n"
			 "This dump should be stored encrypted in a safe place."))
		return -EPERM;
	if ((r = compat_load(path, 0, &dev)) < 0)
		return r;
	lv_device_free(&dev);
	if ((r = compat_read_key(&opts->base.key, "Enter passphrase for the device", 0,
				 &passphrase)) < 0)
		return r;
	if ((r = compat_load(path, 0, &dev)) == 0 &&
	    (r = lv_unlock(dev, opts->base.key_slot, passphrase, &volume_key, &slot, &err)) < 0)
		compat_unlock_failed(r, &err);
	lv_secret_free(&passphrase);
	if (r == 0 && opts->volume_key_file)
		r = store_volume_key(opts->volume_key_file, volume_key);
	if (r == 0 && (r = cli_print_volume_key(path, dev, volume_key, opts->volume_key_file,
						&err)) < 0)
		compat_fail(r, &err);
	lv_secret_free(&volume_key);
	lv_device_free(&dev);
	return r;
}

/* luksvol's dump, as cryptsetup prints it: without the "Header copy:" line
 * luksvol adds, and the JSON without a final newline. */
static int dump_as_cryptsetup(struct lv_device *dev, int json, struct lv_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int r;

	if (!out)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = json ? lv_dump_json(dev, out, err) : lv_dump(dev, out, err);
	if (fclose(out) != 0 && r == 0)
		r = lv_err_set(err, -ENOMEM, "out of memory");
	for (char *line = text; r == 0 && line && *line;) {
		char *next = strchr(line, '\n');
		size_t line_len = next ? (size_t)(next - line) + 1 : strlen(line);

		if (json && !next)
			line_len = strlen(line);
		if (json && next && !next[1])
			line_len--;
		if (strncmp(line, "Header copy:", 12) != 0)
			fwrite(line, 1, line_len, stdout);
		line = next ? next + 1 : NULL;
	}
	free(text);
	return r;
}

int compat_dump(const struct compat_opts *opts)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int r;

	if (opts->copt[COPT_DUMP_VOLUME_KEY])
		return dump_volume_key(opts);
	if ((r = compat_load(compat_header_path(opts), 0, &dev)) < 0)
		return r;
	r = dump_as_cryptsetup(dev, opts->copt[COPT_DUMP_JSON], &err);
	lv_device_free(&dev);
	return r < 0 ? compat_fail(r, &err) : 0;
}

int compat_uuid(const struct compat_opts *opts)
{
	struct lv_device *dev = NULL;
	struct lv_header_info header;
	int r;

	if (opts->base.format.uuid && !lv_uuid_valid(opts->base.format.uuid))
		return compat_error(-EINVAL, "Wrong LUKS UUID format provided.");
	if (opts->base.format.uuid) {
		struct lv_err err = { 0 };

		if (!cli_confirm(&opts->base, "Do you really want to change UUID of device?"))
			return compat_error(-EPERM, "Operation aborted.");
		if ((r = compat_load(compat_header_path(opts), LV_LOAD_WRITABLE, &dev)) == 0 &&
		    (r = lv_set_uuid(dev, opts->base.format.uuid, &err)) < 0)
			compat_fail(r, &err);
		lv_device_free(&dev);
		return r;
	}
	if ((r = compat_load(compat_header_path(opts), 0, &dev)) < 0)
		return r;
	lv_header_info(dev, &header);
	printf("%s\n", header.uuid);
	lv_device_free(&dev);
	return 0;
}

int compat_header_backup(const struct compat_opts *opts)
{
	const char *file = opts->base.backup_file;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	struct stat sb;
	int r;

	if (!file)
		return compat_error(-EINVAL, "Option --header-backup-file is required.");
	if (lstat(file, &sb) == 0)
		return compat_error(-EINVAL, "Requested header backup file %s already exists.", file);
	if ((r = compat_load(compat_header_path(opts), 0, &dev)) < 0)
		return r;
	if ((r = lv_header_backup(dev, file, &err)) < 0)
		compat_fail(r, &err);
	lv_device_free(&dev);
	/* cryptsetup: -EINVAL for an existing file, whatever raced it there. */
	return r == -EEXIST ? -EINVAL : r;
}

int compat_header_restore(const struct compat_opts *opts)
{
	const char *file = opts->base.backup_file, *path = compat_header_path(opts);
	struct lv_device *backup = NULL;
	struct lv_err err = { 0 };
	char question[400];
	int r;

	if (!file)
		return compat_error(-EINVAL, "Option --header-backup-file is required.");
	if (lv_device_load(&backup, file, 0, &err) < 0)
		return compat_error(-EINVAL, "Header backup file does not contain compatible LUKS header.");
	lv_device_free(&backup);
	snprintf(question, sizeof(question),
		 "Device %s will have its header and keyslots replaced by the backup.", path);
	if (!cli_confirm(&opts->base, question))
		return compat_error(-EINVAL, "Operation aborted.");
	r = lv_header_restore(path, file, &err);
	return r < 0 ? compat_fail(r, &err) : 0;
}

int compat_repair(const struct compat_opts *opts)
{
	struct lv_err err = { 0 };
	int r = lv_repair(compat_header_path(opts), &err);

	return r < 0 ? compat_fail(r, &err) : 0;
}

int compat_erase(const struct compat_opts *opts)
{
	const char *path = compat_header_path(opts);
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	char question[400];
	int r;

	snprintf(question, sizeof(question),
		 "This operation will erase all keyslots on device %s.\n"
		 "Device will become unusable after this operation.", path);
	if ((r = compat_load(path, 0, &dev)) < 0)
		return r;
	lv_device_free(&dev);
	if (!cli_confirm(&opts->base, question))
		return compat_error(-EPERM, "Operation aborted, keyslots were NOT wiped.");
	if ((r = compat_load(path, LV_LOAD_WRITABLE, &dev)) == 0 && (r = lv_erase(dev, &err)) < 0)
		compat_fail(r, &err);
	lv_device_free(&dev);
	return r;
}

static int priority_value(const char *name)
{
	if (strcmp(name, "ignore") == 0)
		return 0;
	return strcmp(name, "prefer") == 0 ? 2 : 1;
}

int compat_config(const struct compat_opts *opts)
{
	const char *priority = opts->priority;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int r;

	if (priority && strcmp(priority, "ignore") && strcmp(priority, "normal") &&
	    strcmp(priority, "prefer")) {
		compat_usage(opts, "Option --priority can be only ignore/normal/prefer.");
		return -EINVAL;
	}
	if (priority && !opts->base.given[OPT_KEY_SLOT]) {
		compat_usage(opts, "Keyslot specification is required.");
		return -EINVAL;
	}
	if ((r = compat_load(compat_header_path(opts), LV_LOAD_WRITABLE, &dev)) < 0)
		return r;
	if (priority && (r = lv_keyslot_set_priority(dev, opts->base.key_slot,
						     priority_value(priority), &err)) < 0)
		compat_fail(r, &err);
	if (r == 0 && (opts->base.label || opts->base.subsystem) &&
	    (r = lv_set_label(dev, opts->base.label, opts->base.subsystem, &err)) < 0)
		compat_fail(r, &err);
	lv_device_free(&dev);
	return r;
}

/* ---- token ---- */

static int token_in_use(const struct lv_device *dev, int id)
{
	char *json = NULL;
	int used = lv_token_export((struct lv_device *)dev, id, &json, NULL) == 0;

	free(json);
	return used;
}

static int token_import(const struct compat_opts *opts, const char *path)
{
	int id = opts->base.token_id, imported, r;
	/* cryptsetup: --token-replace without --token-id imports anew. */
	int replace = opts->copt[COPT_TOKEN_REPLACE] && id != LV_ANY_SLOT;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	char *text = NULL;

	if ((r = compat_load(path, 0, &dev)) < 0)
		return r;
	if (id != LV_ANY_SLOT && token_in_use(dev, id) && !replace)
		r = compat_error(-EINVAL, "Token %d in use.", id);
	lv_device_free(&dev);
	if (r == 0 && (r = cli_read_token_json(opts->base.json_file, opts->base.batch, &text,
					      &err)) < 0)
		compat_fail(r, &err);
	if (r == 0 && (r = compat_load(path, LV_LOAD_WRITABLE, &dev)) == 0) {
		imported = id;
		r = replace ? lv_token_replace(dev, id, text, &err)
			    : lv_token_import(dev, id, text, &imported, &err);
		if (r < 0)
			compat_fail(r, &err);
	}
	if (r == 0 && opts->base.verbose)
		printf("Token %d created.\n", imported);
	free(text);
	lv_device_free(&dev);
	return r;
}

/* The token's JSON as is, no newline (cryptsetup's export). */
static int token_export(const struct compat_opts *opts, const char *path)
{
	const char *file = opts->base.json_file;
	struct lv_device *dev = NULL;
	char *text = NULL;
	int r;

	if ((r = compat_load(path, 0, &dev)) < 0)
		return r;
	if (opts->base.token_id == LV_ANY_SLOT ||
	    lv_token_export(dev, opts->base.token_id, &text, NULL) < 0)
		r = compat_error(-EINVAL, "Failed to get token %d for export.", opts->base.token_id);
	lv_device_free(&dev);
	if (r == 0 && (!file || strcmp(file, "-") == 0)) {
		fputs(text, stdout);
	} else if (r == 0) {
		struct lv_err err = { 0 };

		if ((r = cli_write_output(file, text, &err)) < 0)
			compat_fail(r, &err);
	}
	free(text);
	return r;
}

static int token_remove(const struct compat_opts *opts, const char *path)
{
	int id = opts->base.token_id, r;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };

	if ((r = compat_load(path, LV_LOAD_WRITABLE, &dev)) < 0)
		return r;
	if (!token_in_use(dev, id))
		r = compat_error(-EINVAL, "Token %d is not in use.", id);
	else if ((r = lv_token_remove(dev, id, &err)) < 0)
		compat_fail(r, &err);
	else if (opts->base.verbose)
		printf("Token %d removed.\n", id);
	lv_device_free(&dev);
	return r;
}

/* A luks2-keyring token: exactly type, keyslots, key_description, in
 * cryptsetup's order. */
static char *keyring_token_json(const struct compat_opts *opts)
{
	struct json_object *token = json_object_new_object(), *slots = json_object_new_array();
	char slot[12];
	char *text = NULL;

	if (token && slots) {
		json_object_object_add(token, "type", json_object_new_string("luks2-keyring"));
		if (opts->base.key_slot != LV_ANY_SLOT) {
			snprintf(slot, sizeof(slot), "%d", opts->base.key_slot);
			json_object_array_add(slots, json_object_new_string(slot));
		}
		json_object_object_add(token, "keyslots", slots);
		slots = NULL;
		json_object_object_add(token, "key_description",
				       json_object_new_string(opts->key_description));
		text = strdup(json_object_to_json_string_ext(token, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(slots);
	json_object_put(token);
	return text;
}

static int token_add(const struct compat_opts *opts, const char *path)
{
	int id = opts->base.token_id, added, r;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	char *text = keyring_token_json(opts);

	if (!text)
		return compat_error(-ENOMEM, "Out of memory.");
	if ((r = compat_load(path, LV_LOAD_WRITABLE, &dev)) == 0) {
		if (id != LV_ANY_SLOT && token_in_use(dev, id))
			r = compat_error(-EINVAL, "Token %d in use.", id);
		else if ((r = lv_token_import(dev, id, text, &added, &err)) < 0)
			compat_fail(r, &err);
		else if (opts->base.verbose)
			printf("Token %d created.\n", added);
	}
	free(text);
	lv_device_free(&dev);
	return r;
}

/* Token id's JSON without keyslot slot in *unassigned (free() it); 0 when
 * the token does not name that keyslot. */
static int token_without_slot(struct lv_device *dev, int id, int slot, char **unassigned)
{
	struct json_object *token, *slots, *kept = json_object_new_array();
	char *text = NULL, want[12];
	int assigned = 0;

	*unassigned = NULL;
	if (!kept || lv_token_export(dev, id, &text, NULL) < 0) {
		json_object_put(kept);
		return 0;
	}
	token = json_tokener_parse(text);
	snprintf(want, sizeof(want), "%d", slot);
	if (token && json_object_object_get_ex(token, "keyslots", &slots) &&
	    json_object_is_type(slots, json_type_array))
		for (size_t i = 0; i < json_object_array_length(slots); i++) {
			struct json_object *ref = json_object_array_get_idx(slots, i);

			if (strcmp(json_object_get_string(ref), want) == 0)
				assigned = 1;
			else
				json_object_array_add(kept, json_object_get(ref));
		}
	if (assigned) {
		json_object_object_add(token, "keyslots", kept);
		kept = NULL;
		*unassigned = strdup(json_object_to_json_string_ext(
			token, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(kept);
	json_object_put(token);
	free(text);
	return assigned;
}

static int token_unassign(const struct compat_opts *opts, const char *path)
{
	int id = opts->base.token_id, slot = opts->base.key_slot, r;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	char *text = NULL;

	if ((r = compat_load(path, LV_LOAD_WRITABLE, &dev)) < 0)
		return r;
	if (!token_without_slot(dev, id, slot, &text))
		r = compat_error(-EINVAL, "Token %d is not assigned to keyslot %d.", id, slot);
	else if (!text)
		r = compat_error(-ENOMEM, "Out of memory.");
	else if ((r = lv_token_replace(dev, id, text, &err)) < 0)
		compat_fail(r, &err);
	free(text);
	lv_device_free(&dev);
	return r;
}

int compat_token(const struct compat_opts *opts)
{
	const char *verb = opts->args[0], *path = opts->header ? opts->header : opts->args[1];

	if (strcmp(verb, "add") == 0 && !opts->key_description) {
		compat_usage(opts, "--key-description parameter is mandatory for token add action.");
		return -EINVAL;
	}
	if (strcmp(verb, "unassign") == 0 && !opts->base.given[OPT_KEY_SLOT]) {
		compat_usage(opts, "Action requires specific keyslot. Use --key-slot parameter.");
		return -EINVAL;
	}
	if (strcmp(verb, "import") == 0)
		return token_import(opts, path);
	if (strcmp(verb, "export") == 0)
		return token_export(opts, path);
	if (strcmp(verb, "remove") == 0)
		return token_remove(opts, path);
	if (strcmp(verb, "add") == 0)
		return token_add(opts, path);
	if (strcmp(verb, "unassign") == 0)
		return token_unassign(opts, path);
	compat_usage(opts, "Invalid token action.");
	return -EINVAL;
}
