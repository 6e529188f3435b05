/* SPDX-License-Identifier: ISC */
/* rel_common.c: the helpers of rel_common.h. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rel_common.h"
#include "luks2/device.h"

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

int rel_cryptsetup_accepts(const char *path, const uint8_t *image, const char *passphrase)
{
	char key_path[128], *dump[] = { "cryptsetup", "luksDump", (char *)path, NULL };
	int ok;

	if (!write_file(path, image, REL_IMAGE_BYTES) || run_quiet(dump) != 0)
		return 0;
	if (!passphrase)
		return 1;
	snprintf(key_path, sizeof(key_path), "%s.key", path);
	char *test[] = { "cryptsetup", "open", "--test-passphrase", "--key-file", key_path,
			 (char *)path, NULL };
	ok = write_file(key_path, passphrase, strlen(passphrase)) && run_quiet(test) == 0;
	unlink(key_path);
	return ok;
}
